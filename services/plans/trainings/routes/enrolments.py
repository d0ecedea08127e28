"""Enrolments in a session, by participant: a place or the waitlist, and cancelling either."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from plans.access import OrganisesTrainings, ReadsTrainings
from plans.trainings.models import Enrolment, EnrolmentStatus
from plans.trainings.repository import SessionRepository
from plans.trainings.schemas import EnrolmentIn, EnrolmentOut
from plans.trainings.service import enrolments as service
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, etag_headers, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter()


@router.post(
    "/trainings/sessions/{session_id}/enrolments",
    status_code=201,
    response_model=EnrolmentOut,
    summary="Enrol a participant: a place if one is free, else the waitlist (Idempotency-Key)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def enrol(
    session_id: uuid.UUID,
    body: EnrolmentIn,
    session: SessionDep,
    principal: OrganisesTrainings,
    idem: IdempotencyDep,
) -> Response:
    sessions = SessionRepository(session)

    async def create() -> Enrolment:
        training = await sessions.get(session_id, principal, lock=True)
        return await service.enrol(session, training, body.participant_id, principal)

    async def read(ref: str) -> Enrolment:
        training = await sessions.get(session_id, principal)
        return await service.get_enrolment(session, training, uuid.UUID(ref), principal)

    # An enrolment is named by its participant within the session.
    return await idem.respond(
        create,
        read=read,
        reference=lambda out: out.participant_id,
        response_model=EnrolmentOut,
        headers=lambda out: {
            **etag_headers(out.version),
            "Location": f"/v1/trainings/sessions/{session_id}/enrolments/{out.participant_id}",
        },
    )


@router.get(
    "/trainings/sessions/{session_id}/enrolments",
    response_model=Page[EnrolmentOut],
    summary="A session's enrolments, optionally in one status (a partner sees its own)",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_enrolments(
    session_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsTrainings,
    page: PageParamsDep,
    status: EnrolmentStatus | None = None,
) -> Page[EnrolmentOut]:
    training = await SessionRepository(session).get(session_id, principal)
    return await paginate(
        session,
        service.enrolments_query(session, training, principal, status),
        key_columns=(Enrolment.created_at, Enrolment.id),
        params=page,
        to_item=EnrolmentOut.model_validate,
    )


@router.get(
    "/trainings/sessions/{session_id}/enrolments/{participant_id}",
    response_model=EnrolmentOut,
    summary="A participant's enrolment in a session",
    responses=problem_responses(401, 403, 404),
)
async def get_enrolment(
    session_id: uuid.UUID,
    participant_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsTrainings,
    response: Response,
) -> Enrolment:
    training = await SessionRepository(session).get(session_id, principal)
    enrolment = await service.get_enrolment(session, training, participant_id, principal)
    return read_versioned(enrolment, response)


@router.post(
    "/trainings/sessions/{session_id}/enrolments/{participant_id}/cancel",
    response_model=EnrolmentOut,
    summary="Cancel a place or a waitlist spot; the next in line moves up (If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def cancel_enrolment(
    session_id: uuid.UUID,
    participant_id: uuid.UUID,
    session: SessionDep,
    principal: OrganisesTrainings,
    if_match: IfMatchDep,
    response: Response,
) -> Enrolment:
    training = await SessionRepository(session).get(session_id, principal, lock=True)
    enrolment = await service.get_enrolment(session, training, participant_id, principal)
    return await change_versioned(
        enrolment, if_match, response, lambda row: service.cancel_enrolment(session, training, row)
    )
