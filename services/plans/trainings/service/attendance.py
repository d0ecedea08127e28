"""Attendance per training day, and the completion it leads to: once a participant's attended
days reach the course's threshold, the enrolment is completed, for good, and
plans.training.completed is sent once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.participants.models import Participant
from plans.trainings.models import (
    ATTENDING,
    OPEN,
    AttendanceDay,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingSession,
)
from plans.trainings.service.problems import field_error
from shared.auth import Principal
from shared.etag import IfMatch, check_if_match
from shared.events import TrainingCompleted
from shared.messaging.outbox import add_event
from shared.problems import FieldError, InvalidState, ValidationProblem
from shared.repository import visible_to


async def get_attendance(
    session: AsyncSession, training: TrainingSession, day: date
) -> AttendanceDay | None:
    if day not in training.days:
        raise field_error("path.day", "not_a_training_day", "field.not-a-training-day")
    return await session.get(AttendanceDay, (training.id, day), populate_existing=True)


async def visible_participants(
    session: AsyncSession, participant_ids: Iterable[uuid.UUID], principal: Principal
) -> set[uuid.UUID]:
    """Those of `participant_ids` the principal may see (a partner: those it referred)."""
    query = select(Participant.id).where(
        Participant.id.in_(list(participant_ids)), visible_to(Participant, principal)
    )
    return set(await session.scalars(query))


async def record_attendance(
    session: AsyncSession,
    training: TrainingSession,
    day: date,
    participant_ids: Sequence[uuid.UUID],
    principal: Principal,
    if_match: IfMatch | None,
) -> AttendanceDay:
    """Replaces who was present on `day`, then completes whoever reached the course's threshold.
    The first attendance starts a planned session. `training` must be locked."""
    if training.status not in OPEN:
        raise InvalidState(training.status)
    record = await get_attendance(session, training, day)
    if if_match is not None:
        check_if_match(if_match, record.version if record is not None else 0)
    attending = {
        enrolment.participant_id: enrolment
        for enrolment in await session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == training.id, Enrolment.status.in_(ATTENDING)
            )
        )
    }
    # A partner records its own participants only; others' presence stays as recorded.
    recordable = await visible_participants(session, attending, principal)
    present = set(participant_ids)
    if record is not None:
        present |= set(record.present) - await visible_participants(
            session, record.present, principal
        )
    errors = [
        FieldError(
            field=f"body.participant_ids.{index}", code="not_enrolled", message="field.not-enrolled"
        )
        for index, participant_id in enumerate(participant_ids)
        if participant_id not in recordable
    ]
    if errors:
        raise ValidationProblem(errors)
    if record is None:
        record = AttendanceDay(
            session_id=training.id, day=day, present=sorted(present), recorded_by=principal.id
        )
        session.add(record)
    elif set(record.present) != present:
        record.present, record.recorded_by = sorted(present), principal.id
    if training.status == SessionStatus.planned:
        training.status = SessionStatus.running
    await session.flush()
    await _evaluate(session, training, attending.values())
    return record


async def _evaluate(
    session: AsyncSession, training: TrainingSession, enrolments: Iterable[Enrolment]
) -> None:
    """Recounts attended days; completes (once) those at the course's threshold."""
    records = list(
        await session.scalars(select(AttendanceDay).where(AttendanceDay.session_id == training.id))
    )
    required = training.course.completion_threshold * len(training.days)
    for enrolment in enrolments:
        attended = sorted(r.day for r in records if enrolment.participant_id in r.present)
        if enrolment.attended_days != len(attended):
            enrolment.attended_days = len(attended)
        if enrolment.status == EnrolmentStatus.enrolled and attended and len(attended) >= required:
            enrolment.status = EnrolmentStatus.completed
            enrolment.completed_on = attended[-1]
            await add_event(
                session,
                TrainingCompleted(
                    participant_id=enrolment.participant_id,
                    course_id=training.course_id,
                    session_id=training.id,
                    direction=training.course.direction,
                    run_by_partner_id=training.run_by_partner_id,
                    completed_on=enrolment.completed_on,
                ),
            )
    await session.flush()
