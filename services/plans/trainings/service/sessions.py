"""Sessions of a course: when and where they run, who runs them, and their course of life
(planned -> running -> completed, or cancelled while open). `training` arguments that change
places must be locked (SessionRepository.get(lock=True)): see plans.trainings.service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.filters import given
from plans.trainings.models import (
    OPEN,
    Course,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingSession,
)
from plans.trainings.repository import SessionRepository
from plans.trainings.schemas import SessionIn, SessionUpdate, check_days
from plans.trainings.service.enrolments import fill_places, places_taken
from plans.trainings.service.memoranda import check_memorandum
from plans.trainings.service.problems import field_error
from shared.auth import Principal
from shared.problems import Conflict, InvalidState
from shared.repository import partner_in_scope

_DATES = frozenset({"starts_on", "ends_on", "days"})
_TRANSITIONS = {
    "start": ((SessionStatus.planned,), SessionStatus.running),
    "complete": ((SessionStatus.running,), SessionStatus.completed),
    "cancel": (OPEN, SessionStatus.cancelled),
}


def _training_days(starts_on: date, ends_on: date, days: Sequence[date] | None) -> list[date]:
    if days is not None:
        return sorted(set(days))
    return [starts_on + timedelta(n) for n in range((ends_on - starts_on).days + 1)]


def _run_by(requested: uuid.UUID | None, principal: Principal) -> uuid.UUID | None:
    """Who runs the session: staff say so, a partner runs its own."""
    return partner_in_scope(
        requested,
        principal,
        lambda: field_error("body.run_by_partner_id", "not_own_partner", "field.not-own-partner"),
    )


async def create_session(
    session: AsyncSession, data: SessionIn, principal: Principal
) -> TrainingSession:
    course = await session.get(Course, data.course_id)
    if course is None:
        raise field_error("body.course_id", "not_found", "field.course-unknown")
    if not course.active:
        raise field_error("body.course_id", "course_inactive", "field.course-inactive")
    run_by = _run_by(data.run_by_partner_id, principal)
    if run_by is not None:
        await check_memorandum(session, run_by, data.starts_on, data.ends_on)
    training = TrainingSession(
        course=course,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        days=_training_days(data.starts_on, data.ends_on, data.days),
        place=data.place,
        trainer=data.trainer,
        capacity=data.capacity,
        run_by_partner_id=run_by,
        status=SessionStatus.planned,
    )
    session.add(training)
    await session.flush()
    return training


async def update_session(
    session: AsyncSession, training: TrainingSession, changes: SessionUpdate, principal: Principal
) -> TrainingSession:
    """`training` must be locked."""
    fields = changes.model_fields_set
    if training.status not in OPEN or (
        fields & _DATES and training.status != SessionStatus.planned
    ):
        raise InvalidState(training.status)
    for field in fields - {"run_by_partner_id"}:
        if getattr(changes, field) is None and field != "days":
            raise field_error(f"body.{field}", "missing", "field.not-null")
    if "run_by_partner_id" in fields:
        training.run_by_partner_id = _run_by(changes.run_by_partner_id, principal)
    if fields & _DATES:
        _change_dates(training, changes)
    run_by = training.run_by_partner_id
    if fields & (_DATES | {"run_by_partner_id"}) and run_by is not None:
        await check_memorandum(session, run_by, training.starts_on, training.ends_on)
    for field in ("place", "trainer"):
        if field in fields:
            setattr(training, field, getattr(changes, field))
    if changes.capacity is not None:
        taken = await places_taken(session, training.id)
        if changes.capacity < taken:
            raise Conflict("detail.capacity-below-taken", params={"taken": taken})
        training.capacity = changes.capacity
    await session.flush()
    await fill_places(session, training)
    return training


def _change_dates(training: TrainingSession, changes: SessionUpdate) -> None:
    starts_on = changes.starts_on or training.starts_on
    ends_on = changes.ends_on or training.ends_on
    # Explicit days are kept only when given again; new dates otherwise mean every day.
    days = changes.days if "days" in changes.model_fields_set else None
    try:
        check_days(starts_on, ends_on, days)
    except ValueError:
        raise field_error("body", "value_error", "field.period-invalid") from None
    training.starts_on, training.ends_on = starts_on, ends_on
    training.days = _training_days(starts_on, ends_on, days)


async def transition(
    session: AsyncSession, training: TrainingSession, action: str
) -> TrainingSession:
    """start: planned -> running; complete: running -> completed (whoever is still enrolled did
    not reach the threshold); cancel: planned or running -> cancelled (every place with it)."""
    sources, target = _TRANSITIONS[action]
    if training.status not in sources:
        raise InvalidState(training.status)
    training.status = target
    if target != SessionStatus.running:
        ended = EnrolmentStatus.not_completed if action == "complete" else EnrolmentStatus.cancelled
        for enrolment in await session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == training.id,
                Enrolment.status.in_((EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted)),
            )
        ):
            waitlisted = enrolment.status == EnrolmentStatus.waitlisted
            enrolment.status = EnrolmentStatus.cancelled if waitlisted else ended
            enrolment.waitlist_position = None
    await session.flush()
    return training


def sessions_query(
    session: AsyncSession,
    principal: Principal,
    *,
    direction: str | None = None,
    status: SessionStatus | None = None,
    course_id: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    run_by: uuid.UUID | None = None,
    run_by_ministry: bool = False,
) -> Select[TrainingSession]:
    """Sessions the principal may see; the date range keeps those overlapping it."""
    query = SessionRepository(session).query(
        principal,
        *given(
            (TrainingSession.status, status),
            (TrainingSession.course_id, course_id),
            (TrainingSession.run_by_partner_id, run_by),
        ),
    )
    if direction is not None:
        query = query.where(
            TrainingSession.course_id.in_(select(Course.id).where(Course.direction == direction))
        )
    if date_from is not None:
        query = query.where(TrainingSession.ends_on >= date_from)
    if date_to is not None:
        query = query.where(TrainingSession.starts_on <= date_to)
    if run_by_ministry:
        query = query.where(TrainingSession.run_by_partner_id.is_(None))
    return query
