from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from intake.applications import service as applications
from intake.applications.models import Application
from intake.applications.repository import ApplicationRepository
from intake.applications.schemas import (
    ApplicationIn,
    ApplicationOut,
    AssessmentOut,
    CancelIn,
    EnrollIn,
)
from intake.dependencies import (
    AppealDaysDep,
    ReadsReferralDetails,
    ReadsReferrals,
    ReviewsCases,
    WritesReferrals,
)
from shared.db import ReadSessionDep, SessionDep
from shared.decisions import DECISIONS, DecisionOut, decisions_page
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.i18n import LanguageDep
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep
from shared.problems import problem_responses
from shared.routes import RESPONSE_ID, links

router = APIRouter(prefix="/v1", tags=["applications"])


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Submit an application (or a partner's referral), checked against the round's rules "
    "and scored",
    responses=problem_responses(401, 403, 404, 409, 422),
    openapi_extra=links(
        "GET /v1/applications/{application_id}",
        "GET /v1/applications/{application_id}/assessment",
        "GET /v1/applications/{application_id}/decisions",
        "POST /v1/applications/{application_id}/enroll",
        "POST /v1/applications/{application_id}/withdraw",
        "POST /v1/applications/{application_id}/cancel",
        application_id=RESPONSE_ID,
    ),
)
async def submit_application(
    body: ApplicationIn,
    session: SessionDep,
    principal: WritesReferrals,
    idem: IdempotencyDep,
    appeal_days: AppealDaysDep,
) -> Response:
    return await idem.create(
        lambda: applications.submit_application(session, body, principal, appeal_days=appeal_days),
        read=lambda application_id: ApplicationRepository(session).get(application_id, principal),
        response_model=ApplicationOut,
        location="/v1/applications/{id}",
    )


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    summary="An application, with its priority score and breakdown",
    responses=problem_responses(401, 403, 404),
    openapi_extra=links(
        "POST /v1/applications/{application_id}/enroll",
        "POST /v1/applications/{application_id}/withdraw",
        "POST /v1/applications/{application_id}/cancel",
        status=200,
        if_match=True,
        application_id="$request.path.application_id",
    ),
)
async def get_application(
    application_id: uuid.UUID,
    session: ReadSessionDep,
    principal: ReadsReferrals,
    response: Response,
) -> Application:
    return read_versioned(
        await ApplicationRepository(session).get(application_id, principal), response
    )


@router.get(
    "/applications/{application_id}/assessment",
    response_model=AssessmentOut,
    summary="Why the application is eligible or not: each rule's result, and the score",
    responses=problem_responses(401, 403, 404),
)
async def get_assessment(
    application_id: uuid.UUID, session: ReadSessionDep, principal: ReadsReferralDetails
) -> AssessmentOut:
    application = await ApplicationRepository(session).get(application_id, principal)
    return applications.assessment_of(application)


@router.get(
    "/applications/{application_id}/decisions",
    response_model=Page[DecisionOut],
    summary="The adverse decisions about an application, oldest first: why, until when and how "
    "they may be appealed, and what an upheld appeal changed",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_decisions(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: ReviewsCases,
    page: PageParamsDep,
    language: LanguageDep,
) -> Page[DecisionOut]:
    application = await ApplicationRepository(session).get(application_id, principal)
    return await decisions_page(
        session, DECISIONS.c.application_id == application.id, page, language
    )


@router.post(
    "/applications/{application_id}/enroll",
    response_model=ApplicationOut,
    summary="Enroll the applicant as a programme participant (If-Match required); an admin may "
    "override the one-benefit rule with a reason",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def enroll(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: ReviewsCases,
    if_match: IfMatchDep,
    response: Response,
    body: EnrollIn | None = None,
) -> Application:
    application = await ApplicationRepository(session).get(application_id, principal)
    reason = body.override_reason if body is not None else None
    return await change_versioned(
        application,
        if_match,
        response,
        lambda application: applications.enroll(
            session, application, principal=principal, override_reason=reason
        ),
    )


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationOut,
    summary="The applicant withdraws (If-Match); a participant's place goes to the next on the "
    "region's waitlist",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def withdraw(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: WritesReferrals,
    if_match: IfMatchDep,
    response: Response,
    appeal_days: AppealDaysDep,
) -> Application:
    application = await ApplicationRepository(session).get(application_id, principal)
    return await change_versioned(
        application,
        if_match,
        response,
        lambda application: applications.withdraw(session, application, appeal_days=appeal_days),
    )


@router.post(
    "/applications/{application_id}/cancel",
    response_model=ApplicationOut,
    summary="Cancel a participant's enrolment (If-Match); the place goes to the next on the "
    "region's waitlist",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def cancel(
    application_id: uuid.UUID,
    body: CancelIn,
    session: SessionDep,
    principal: ReviewsCases,
    if_match: IfMatchDep,
    response: Response,
    appeal_days: AppealDaysDep,
) -> Application:
    application = await ApplicationRepository(session).get(application_id, principal)
    return await change_versioned(
        application,
        if_match,
        response,
        lambda application: applications.cancel(
            session, application, body.reason, appeal_days=appeal_days
        ),
    )
