from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from intake.applications import service as applications
from intake.applications.models import Application
from intake.applications.schemas import (
    ApplicationIn,
    ApplicationOut,
    AssessmentOut,
    CancelIn,
    EnrollIn,
)
from intake.dependencies import ReadsReferralDetails, ReadsReferrals, ReviewsCases, WritesReferrals
from intake.rounds.rules import RuleResult
from intake.rounds.scoring import Factor
from shared.db import SessionDep
from shared.etag import IfMatchDep, check_if_match, etag_headers, set_etag
from shared.idempotency import IdempotencyDep
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["applications"])


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Submit an application (or a partner's referral), checked against the round's rules "
    "and scored",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def submit_application(
    body: ApplicationIn, session: SessionDep, principal: WritesReferrals, idem: IdempotencyDep
) -> Response:
    async def submit() -> Application:
        return await applications.submit_application(session, body, principal)

    async def read(ref: str) -> Application:
        return await applications.get_application(session, uuid.UUID(ref), principal)

    return await idem.respond(
        submit,
        read=read,
        status_code=201,
        response_model=ApplicationOut,
        headers=lambda out: {
            **etag_headers(out.version),
            "Location": f"/v1/applications/{out.id}",
        },
    )


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    summary="An application, with its priority score and breakdown",
    responses=problem_responses(401, 403, 404),
)
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: ReadsReferrals, response: Response
) -> Application:
    application = await applications.get_application(session, application_id, principal)
    set_etag(response, application.version)
    return application


@router.get(
    "/applications/{application_id}/assessment",
    response_model=AssessmentOut,
    summary="Why the application is eligible or not: each rule's result, and the score",
    responses=problem_responses(401, 403, 404),
)
async def get_assessment(
    application_id: uuid.UUID, session: SessionDep, principal: ReadsReferralDetails
) -> AssessmentOut:
    application = await applications.get_application(session, application_id, principal)
    rules = [RuleResult.model_validate(r) for r in application.assessment]
    return AssessmentOut(
        application_id=application.id,
        round_id=application.round_id,
        eligible=all(r.passed for r in rules),
        rules=rules,
        score=application.score,
        score_breakdown=[Factor.model_validate(f) for f in application.score_breakdown],
        assessed_at=application.assessed_at,
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
    application = await applications.get_application(session, application_id, principal)
    check_if_match(if_match, application.version)
    application = await applications.enroll(
        session,
        application,
        principal=principal,
        override_reason=body.override_reason if body is not None else None,
    )
    set_etag(response, application.version)
    return application


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
) -> Application:
    application = await applications.get_application(session, application_id, principal)
    check_if_match(if_match, application.version)
    application = await applications.withdraw(session, application)
    set_etag(response, application.version)
    return application


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
) -> Application:
    application = await applications.get_application(session, application_id, principal)
    check_if_match(if_match, application.version)
    application = await applications.cancel(session, application, body.reason)
    set_etag(response, application.version)
    return application
