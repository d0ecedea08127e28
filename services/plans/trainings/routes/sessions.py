"""Sessions: planned by staff, or by a partner for itself; started, completed or cancelled."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from plans.access import OrganisesTrainings, ReadsTrainings
from plans.trainings.models import SessionStatus, TrainingSession
from plans.trainings.repository import SessionRepository
from plans.trainings.schemas import SessionIn, SessionOut, SessionUpdate
from plans.trainings.service import sessions as service
from shared.days import IsoDay
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import FieldError, ValidationProblem, problem_responses
from shared.routes import RESPONSE_ID, links

router = APIRouter()


@router.post(
    "/trainings/sessions",
    status_code=201,
    response_model=SessionOut,
    summary="Plan a session of an active course (staff, or a partner for itself; Idempotency-Key)",
    responses=problem_responses(401, 403, 409, 422),
    openapi_extra=links(
        "GET /v1/trainings/sessions/{session_id}",
        "PATCH /v1/trainings/sessions/{session_id}",
        "POST /v1/trainings/sessions/{session_id}/enrolments",
        "GET /v1/trainings/sessions/{session_id}/enrolments",
        session_id=RESPONSE_ID,
    ),
)
async def create_session(
    body: SessionIn, session: SessionDep, principal: OrganisesTrainings, idem: IdempotencyDep
) -> Response:
    return await idem.create(
        lambda: service.create_session(session, body, principal),
        read=lambda session_id: SessionRepository(session).get(session_id, principal),
        response_model=SessionOut,
        location="/v1/trainings/sessions/{id}",
    )


def _run_by(value: str | None) -> tuple[uuid.UUID | None, bool]:
    if value is None:
        return None, False
    if value == "ministry":
        return None, True
    try:
        return uuid.UUID(value), False
    except ValueError:
        raise ValidationProblem(
            [FieldError(field="query.run_by", code="uuid_parsing", message="field.run-by-invalid")]
        ) from None


@router.get(
    "/trainings/sessions",
    response_model=Page[SessionOut],
    summary="List sessions by start date, with filters (a partner sees its own only)",
    responses=problem_responses(401, 403, 422),
)
async def list_sessions(
    session: SessionDep,
    principal: ReadsTrainings,
    page: PageParamsDep,
    direction: Annotated[str | None, Query(max_length=64, examples=["beekeeping"])] = None,
    status: SessionStatus | None = None,
    course_id: uuid.UUID | None = None,
    date_from: Annotated[
        IsoDay | None, Query(alias="from", description="Sessions still running on or after")
    ] = None,
    date_to: Annotated[
        IsoDay | None, Query(alias="to", description="Sessions starting on or before")
    ] = None,
    run_by: Annotated[
        str | None,
        Query(description='A partner\'s id, or "ministry"', examples=["ministry"]),
    ] = None,
) -> Page[SessionOut]:
    partner_id, ministry = _run_by(run_by)
    return await paginate(
        session,
        service.sessions_query(
            session,
            principal,
            direction=direction,
            status=status,
            course_id=course_id,
            date_from=date_from,
            date_to=date_to,
            run_by=partner_id,
            run_by_ministry=ministry,
        ),
        key_columns=(TrainingSession.starts_on, TrainingSession.id),
        params=page,
        to_item=SessionOut.model_validate,
    )


@router.get(
    "/trainings/sessions/{session_id}",
    response_model=SessionOut,
    summary="A session",
    responses=problem_responses(401, 403, 404),
    openapi_extra=links(
        "PATCH /v1/trainings/sessions/{session_id}",
        status=200,
        if_match=True,
        session_id="$request.path.session_id",
    ),
)
async def get_session(
    session_id: uuid.UUID, session: SessionDep, principal: ReadsTrainings, response: Response
) -> TrainingSession:
    training = await SessionRepository(session).get(session_id, principal)
    return read_versioned(training, response)


@router.patch(
    "/trainings/sessions/{session_id}",
    response_model=SessionOut,
    summary="Change a session: place, trainer, capacity; dates while planned (If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_session(
    session_id: uuid.UUID,
    body: SessionUpdate,
    session: SessionDep,
    principal: OrganisesTrainings,
    if_match: IfMatchDep,
    response: Response,
) -> TrainingSession:
    training = await SessionRepository(session).get(session_id, principal, lock=True)
    return await change_versioned(
        training,
        if_match,
        response,
        lambda row: service.update_session(session, row, body, principal),
    )


async def _locked(
    session_id: uuid.UUID, session: SessionDep, principal: OrganisesTrainings
) -> TrainingSession:
    return await SessionRepository(session).get(session_id, principal, lock=True)


def _add_transition(action: str, summary: str) -> None:
    """POST /trainings/sessions/{id}/<action>: one route per step of a session's course."""

    async def change(
        session: SessionDep,
        principal: OrganisesTrainings,
        if_match: IfMatchDep,
        # Resolved in this order: 401/403, then 428 (no If-Match), then 404 (no such session).
        training: Annotated[TrainingSession, Depends(_locked)],
        response: Response,
    ) -> TrainingSession:
        return await change_versioned(
            training, if_match, response, lambda row: service.transition(session, row, action)
        )

    router.post(
        f"/trainings/sessions/{{session_id}}/{action}",
        response_model=SessionOut,
        name=f"{action}_session",
        summary=summary,
        responses=problem_responses(401, 403, 404, 409, 412, 428),
    )(change)


_add_transition("start", "Start a planned session (If-Match); the first attendance also starts it")
_add_transition(
    "complete", "Complete a running session; who is still enrolled did not complete (If-Match)"
)
_add_transition("cancel", "Cancel a planned or running session and every place in it (If-Match)")
