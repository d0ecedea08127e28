from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from intake.applications import service as applications
from intake.applications.models import Application
from intake.applications.schemas import ApplicationIn, ApplicationOut
from intake.dependencies import Officer, Reader
from shared.auth import Principal, Role, require
from shared.db import SessionDep
from shared.etag import IfMatchDep, check_if_match, set_etag
from shared.idempotency import IdempotencyDep
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")


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
        return await applications.submit_application(session, body, principal)

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
    application = await applications.get_application(session, application_id, principal)
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
    application = await applications.get_application(session, application_id, principal)
    check_if_match(if_match, application.version)
    application = await applications.enroll(session, application)
    set_etag(response, application.version)
    return application
