"""Attendance per training day: who was present, as one list a day that each PUT replaces."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from plans.access import OrganisesTrainings, ReadsTrainings
from plans.trainings.models import AttendanceDay, TrainingSession
from plans.trainings.repository import SessionRepository
from plans.trainings.schemas import AttendanceIn, AttendanceOut
from plans.trainings.service import attendance as service
from shared.auth import Principal
from shared.db import SessionDep
from shared.etag import IfMatch, optional_if_match, read_versioned
from shared.problems import problem_responses

router = APIRouter()

OptionalDayIfMatch = Annotated[
    IfMatch | None,
    Depends(
        optional_if_match(
            'Optional: the ETag from your last read of the day, e.g. "2"; "0" when nothing was '
            "recorded yet."
        )
    ),
]


async def _answer(
    session: SessionDep,
    training: TrainingSession,
    day: date,
    record: AttendanceDay | None,
    principal: Principal,
    response: Response,
) -> AttendanceOut:
    """The day as the principal may see it (a partner: its own participants), with its ETag;
    version 0 when nothing was recorded yet."""
    present = list(record.present) if record is not None else []
    if present:
        visible = await service.visible_participants(session, present, principal)
        present = [p for p in present if p in visible]
    out = AttendanceOut(
        session_id=training.id,
        day=day,
        participant_ids=present,
        version=record.version if record is not None else 0,
    )
    return read_versioned(out, response)


@router.put(
    "/trainings/sessions/{session_id}/attendance/{day}",
    response_model=AttendanceOut,
    summary="Record who was present on a training day; completes those at the threshold",
    description="Replaces the day's list (idempotent). Only enrolled participants and the "
    "session's training days; If-Match is optional. A participant whose attended days reach "
    "the course's completion threshold is completed, and plans.training.completed is sent once.",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def put_attendance(
    session_id: uuid.UUID,
    day: date,
    body: AttendanceIn,
    session: SessionDep,
    principal: OrganisesTrainings,
    if_match: OptionalDayIfMatch,
    response: Response,
) -> AttendanceOut:
    training = await SessionRepository(session).get(session_id, principal, lock=True)
    record = await service.record_attendance(
        session, training, day, body.participant_ids, principal, if_match
    )
    return await _answer(session, training, day, record, principal, response)


@router.get(
    "/trainings/sessions/{session_id}/attendance/{day}",
    response_model=AttendanceOut,
    summary="Who was present on a training day (version 0: nothing recorded yet)",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_attendance(
    session_id: uuid.UUID,
    day: date,
    session: SessionDep,
    principal: ReadsTrainings,
    response: Response,
) -> AttendanceOut:
    training = await SessionRepository(session).get(session_id, principal)
    record = await service.get_attendance(session, training, day)
    return await _answer(session, training, day, record, principal, response)
