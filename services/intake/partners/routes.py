from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from intake.dependencies import ReadsApiKeys, ReadsPartners
from intake.partners import service as partners
from intake.partners.models import ApiKey, Memorandum, Partner
from intake.partners.repository import ApiKeyRepository, MemorandumRepository, PartnerRepository
from intake.partners.schemas import (
    ApiKeyIn,
    ApiKeyIssued,
    ApiKeyOut,
    ApiKeyRotated,
    MemorandumIn,
    MemorandumOut,
    PartnerIn,
    PartnerOut,
    PartnerUpdate,
    RotateIn,
)
from shared.auth import Admin
from shared.days import IsoDay
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, check_if_match, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.routes import RESPONSE_ID, links

router = APIRouter(prefix="/v1/partners", tags=["partners"])

_NO_IDEMPOTENCY = (
    " No Idempotency-Key: a stored response would keep the key itself. If the response is lost, "
    "revoke the key (it is listed) and issue another."
)


@router.post(
    "",
    status_code=201,
    response_model=PartnerOut,
    summary="Register a partner organisation",
    responses=problem_responses(401, 403, 422),
    openapi_extra=links(
        "GET /v1/partners/{partner_id}",
        "PATCH /v1/partners/{partner_id}",
        "POST /v1/partners/{partner_id}/memoranda",
        "GET /v1/partners/{partner_id}/memoranda",
        "POST /v1/partners/{partner_id}/api-keys",
        "GET /v1/partners/{partner_id}/api-keys",
        partner_id=RESPONSE_ID,
    ),
)
async def create_partner(
    body: PartnerIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    return await idem.create(
        lambda: partners.create_partner(session, body),
        read=lambda partner_id: PartnerRepository(session).get(partner_id, principal),
        response_model=PartnerOut,
        location="/v1/partners/{id}",
    )


@router.get(
    "",
    response_model=Page[PartnerOut],
    summary="Partner organisations, oldest first (a partner sees only itself)",
    responses=problem_responses(401, 403, 422),
)
async def list_partners(
    session: SessionDep, principal: ReadsPartners, page: PageParamsDep
) -> Page[PartnerOut]:
    return await paginate(
        session,
        PartnerRepository(session).query(principal),
        key_columns=(Partner.created_at, Partner.id),
        params=page,
        to_item=PartnerOut.model_validate,
    )


# Before /{partner_id}, which would take "me" for an id.
@router.get(
    "/me",
    response_model=PartnerOut,
    summary="The calling partner's own record",
    responses=problem_responses(401, 403),
)
async def get_own_partner(
    session: SessionDep, principal: ReadsPartners, response: Response
) -> Partner:
    return read_versioned(await partners.own_partner(session, principal), response)


@router.get(
    "/{partner_id:uuid}",
    response_model=PartnerOut,
    summary="A partner organisation",
    responses=problem_responses(401, 403, 404),
    openapi_extra=links(
        "PATCH /v1/partners/{partner_id}",
        status=200,
        if_match=True,
        partner_id="$request.path.partner_id",
    ),
)
async def get_partner(
    partner_id: uuid.UUID, session: SessionDep, principal: ReadsPartners, response: Response
) -> Partner:
    return read_versioned(await PartnerRepository(session).get(partner_id, principal), response)


@router.patch(
    "/{partner_id:uuid}",
    response_model=PartnerOut,
    summary="Change a partner's name, type or contacts (If-Match required)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_partner(
    partner_id: uuid.UUID,
    body: PartnerUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Partner:
    partner = await PartnerRepository(session).get(partner_id, principal)
    return await change_versioned(
        partner, if_match, response, lambda partner: partners.update_partner(session, partner, body)
    )


# --- Memoranda ----------------------------------------------------------------------------------


@router.post(
    "/{partner_id}/memoranda",
    status_code=201,
    response_model=MemorandumOut,
    summary="Record a memorandum signed with the partner",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def add_memorandum(
    partner_id: uuid.UUID,
    body: MemorandumIn,
    session: SessionDep,
    principal: Admin,
    idem: IdempotencyDep,
) -> Response:
    async def add() -> Memorandum:
        partner = await PartnerRepository(session).get(partner_id, principal)
        return await partners.add_memorandum(session, partner, body)

    async def read(memorandum_id: uuid.UUID) -> Memorandum:
        partner = await PartnerRepository(session).get(partner_id, principal)
        return await MemorandumRepository(session).of_partner(partner, memorandum_id, principal)

    return await idem.create(
        add,
        read=read,
        response_model=MemorandumOut,
        location=f"/v1/partners/{partner_id}/memoranda/{{id}}",
    )


@router.get(
    "/{partner_id}/memoranda",
    response_model=Page[MemorandumOut],
    summary="A partner's memoranda, by start of validity",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_memoranda(
    partner_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsPartners,
    page: PageParamsDep,
    in_force_on: Annotated[
        IsoDay | None, Query(description="Only memoranda in force on this day")
    ] = None,
) -> Page[MemorandumOut]:
    partner = await PartnerRepository(session).get(partner_id, principal)
    return await paginate(
        session,
        partners.memoranda_query(session, partner, principal, in_force_on),
        key_columns=(Memorandum.valid_from, Memorandum.id),
        params=page,
        to_item=MemorandumOut.model_validate,
    )


@router.get(
    "/{partner_id}/memoranda/{memorandum_id}",
    response_model=MemorandumOut,
    summary="One of a partner's memoranda",
    responses=problem_responses(401, 403, 404),
)
async def get_memorandum(
    partner_id: uuid.UUID, memorandum_id: uuid.UUID, session: SessionDep, principal: ReadsPartners
) -> Memorandum:
    partner = await PartnerRepository(session).get(partner_id, principal)
    return await MemorandumRepository(session).of_partner(partner, memorandum_id, principal)


# --- API keys -----------------------------------------------------------------------------------


@router.post(
    "/{partner_id}/api-keys",
    status_code=201,
    response_model=ApiKeyIssued,
    summary="Issue an API key for a partner; the key is shown only in this response",
    description="The other services accept the key once intake's event reaches them (seconds)."
    + _NO_IDEMPOTENCY,
    responses=problem_responses(401, 403, 404, 422),
)
async def issue_api_key(
    partner_id: uuid.UUID,
    body: ApiKeyIn,
    session: SessionDep,
    principal: Admin,
    response: Response,
) -> ApiKeyIssued:
    partner = await PartnerRepository(session).get(partner_id, principal)
    return read_versioned(await partners.issue_api_key(session, partner, body), response)


@router.get(
    "/{partner_id}/api-keys",
    response_model=Page[ApiKeyOut],
    summary="A partner's API keys: prefixes, scopes, expiry and status, never the keys",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_api_keys(
    partner_id: uuid.UUID, session: SessionDep, principal: ReadsApiKeys, page: PageParamsDep
) -> Page[ApiKeyOut]:
    partner = await PartnerRepository(session).get(partner_id, principal)
    return await paginate(
        session,
        ApiKeyRepository(session).query(principal, ApiKey.partner_id == partner.id),
        key_columns=(ApiKey.created_at, ApiKey.id),
        params=page,
        to_item=ApiKeyOut.model_validate,
    )


@router.get(
    "/{partner_id}/api-keys/{key_id}",
    response_model=ApiKeyOut,
    summary="One of a partner's API keys",
    responses=problem_responses(401, 403, 404),
)
async def get_api_key(
    partner_id: uuid.UUID,
    key_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsApiKeys,
    response: Response,
) -> ApiKey:
    return read_versioned(
        await partners.partner_key(session, partner_id, key_id, principal), response
    )


@router.post(
    "/{partner_id}/api-keys/{key_id}/rotate",
    status_code=201,
    response_model=ApiKeyRotated,
    summary="Replace a key with a new one of the same scopes; the old one expires after a grace",
    description="If-Match required (the old key's ETag)." + _NO_IDEMPOTENCY,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def rotate_api_key(
    partner_id: uuid.UUID,
    key_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
    body: RotateIn | None = None,
) -> ApiKeyRotated:
    api_key = await partners.partner_key(session, partner_id, key_id, principal)
    # The old key's ETag in, the new key's out: not one row's change.
    check_if_match(if_match, api_key.version)
    return read_versioned(
        await partners.rotate_api_key(session, api_key, body or RotateIn()), response
    )


@router.post(
    "/{partner_id}/api-keys/{key_id}/revoke",
    response_model=ApiKeyOut,
    summary="Revoke a key at once (If-Match required)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def revoke_api_key(
    partner_id: uuid.UUID,
    key_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> ApiKey:
    api_key = await partners.partner_key(session, partner_id, key_id, principal)
    return await change_versioned(
        api_key, if_match, response, lambda api_key: partners.revoke_api_key(session, api_key)
    )
