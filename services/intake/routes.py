from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from intake import service
from intake.models import Applicant, Application, Partner
from intake.pii import FinProtector
from intake.schemas import (
    ApiKeyIn,
    ApiKeyIssued,
    ApplicantIn,
    ApplicantOut,
    ApplicantSummary,
    ApplicantUpdate,
    ApplicationIn,
    ApplicationOut,
    PartnerIn,
    PartnerOut,
)
from shared.auth import Principal, Role, require
from shared.db import SessionDep
from shared.etag import IfMatchDep, check_if_match, set_etag
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")

REFERRALS_WRITE = "referrals:write"
REFERRALS_READ = "referrals:read"

Officer = Annotated[Principal, Depends(require(Role.case_officer, scopes=(REFERRALS_WRITE,)))]
Reader = Annotated[
    Principal,
    Depends(require(Role.case_officer, Role.analyst, Role.monitor, scopes=(REFERRALS_READ,))),
]
PersonalDataReader = Annotated[Principal, Depends(require(Role.case_officer))]
Admin = Annotated[Principal, Depends(require(Role.admin))]


def fins(request: Request) -> FinProtector:
    protector: FinProtector = request.app.state.fins
    return protector


FinsDep = Annotated[FinProtector, Depends(fins)]


@router.post(
    "/applicants",
    tags=["applicants"],
    status_code=201,
    response_model=ApplicantOut,
    summary="Register an applicant",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_applicant(
    body: ApplicantIn,
    session: SessionDep,
    principal: Officer,
    protector: FinsDep,
    idem: IdempotencyDep,
) -> Response:
    async def create() -> ApplicantOut:
        applicant = await service.create_applicant(session, protector, body)
        return await service.reveal_applicant(session, protector, applicant, principal)

    return await idem.respond(create, status_code=201, response_model=ApplicantOut)


@router.get(
    "/applicants",
    tags=["applicants"],
    response_model=Page[ApplicantSummary],
    summary="List applicants, newest last, without personal fields",
    responses=problem_responses(401, 403, 422),
)
async def list_applicants(
    session: SessionDep, principal: Reader, page: PageParamsDep
) -> Page[ApplicantSummary]:
    return await paginate(
        session,
        select(Applicant),
        key_columns=(Applicant.created_at, Applicant.id),
        params=page,
        to_item=ApplicantSummary.model_validate,
    )


@router.get(
    "/applicants/{applicant_id}",
    tags=["applicants"],
    response_model=ApplicantOut,
    summary="An applicant with personal fields (audited)",
    responses=problem_responses(401, 403, 404),
)
async def get_applicant(
    applicant_id: uuid.UUID,
    session: SessionDep,
    principal: PersonalDataReader,
    protector: FinsDep,
    response: Response,
) -> ApplicantOut:
    applicant = await service.get_applicant(session, applicant_id)
    set_etag(response, applicant.version)
    return await service.reveal_applicant(session, protector, applicant, principal)


@router.patch(
    "/applicants/{applicant_id}",
    tags=["applicants"],
    response_model=ApplicantSummary,
    summary="Change an applicant's contact, region or categories (If-Match required)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_applicant(
    applicant_id: uuid.UUID,
    body: ApplicantUpdate,
    session: SessionDep,
    principal: Officer,
    if_match: IfMatchDep,
    response: Response,
) -> Applicant:
    applicant = await service.get_applicant(session, applicant_id)
    check_if_match(if_match, applicant.version)
    applicant = await service.update_applicant(session, applicant, body, principal)
    set_etag(response, applicant.version)
    return applicant


@router.post(
    "/applications",
    tags=["applications"],
    status_code=201,
    response_model=ApplicationOut,
    summary="Submit an application (or a partner's referral)",
    responses=problem_responses(401, 403, 404, 422),
)
async def submit_application(
    body: ApplicationIn, session: SessionDep, principal: Officer, idem: IdempotencyDep
) -> Response:
    async def submit() -> Application:
        return await service.submit_application(session, body, principal)

    return await idem.respond(submit, status_code=201, response_model=ApplicationOut)


@router.get(
    "/applications/{application_id}",
    tags=["applications"],
    response_model=ApplicationOut,
    summary="An application",
    responses=problem_responses(401, 403, 404),
)
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response
) -> Application:
    application = await service.get_application(session, application_id, principal)
    set_etag(response, application.version)
    return application


@router.post(
    "/applications/{application_id}/enroll",
    tags=["applications"],
    response_model=ApplicationOut,
    summary="Enroll the applicant as a programme participant (If-Match required)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def enroll(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Role.case_officer))],
    if_match: IfMatchDep,
    response: Response,
) -> Application:
    application = await service.get_application(session, application_id, principal)
    check_if_match(if_match, application.version)
    application = await service.enroll(session, application)
    set_etag(response, application.version)
    return application


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
    return await service.issue_api_key(session, partner_id, body)
