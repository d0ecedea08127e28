from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlalchemy import select

from intake.applicants import service as applicants
from intake.applicants.models import Applicant
from intake.applicants.schemas import ApplicantIn, ApplicantOut, ApplicantSummary, ApplicantUpdate
from intake.dependencies import FinsDep, Officer, PersonalDataReader, Reader
from shared.db import SessionDep
from shared.etag import IfMatchDep, check_if_match, set_etag
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")


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
        applicant = await applicants.create_applicant(session, protector, body)
        return await applicants.reveal_applicant(session, protector, applicant, principal)

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
    applicant = await applicants.get_applicant(session, applicant_id)
    set_etag(response, applicant.version)
    return await applicants.reveal_applicant(session, protector, applicant, principal)


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
    applicant = await applicants.get_applicant(session, applicant_id)
    check_if_match(if_match, applicant.version)
    applicant = await applicants.update_applicant(session, applicant, body, principal)
    set_etag(response, applicant.version)
    return applicant
