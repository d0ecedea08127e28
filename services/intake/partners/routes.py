from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from intake.dependencies import Admin
from intake.partners import service as partners
from intake.partners.models import Partner
from intake.partners.schemas import ApiKeyIn, ApiKeyIssued, PartnerIn, PartnerOut
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")


@router.post(
    "/partners",
    tags=["partners"],
    status_code=201,
    response_model=PartnerOut,
    summary="Register a partner organisation",
    responses=problem_responses(401, 403, 422),
)
async def create_partner(
    body: PartnerIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    async def create() -> Partner:
        partner = Partner(**body.model_dump())
        session.add(partner)
        await session.flush()
        return partner

    return await idem.respond(create, status_code=201, response_model=PartnerOut)


@router.post(
    "/partners/{partner_id}/api-keys",
    tags=["partners"],
    status_code=201,
    response_model=ApiKeyIssued,
    summary="Issue an API key for a partner; the key is shown only in this response",
    responses=problem_responses(401, 403, 404, 422),
)
async def issue_api_key(
    partner_id: uuid.UUID, body: ApiKeyIn, session: SessionDep, principal: Admin
) -> ApiKeyIssued:
    return await partners.issue_api_key(session, partner_id, body)
