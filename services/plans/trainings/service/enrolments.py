"""Enrolments: a place in a session while one is free, else the waitlist, whose first takes each
place that frees up. Functions that change places take the session locked."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.filters import given
from plans.participants.models import ParticipantStatus
from plans.participants.repository import ParticipantRepository
from plans.trainings.models import OPEN, PLACE_HOLDING, Enrolment, EnrolmentStatus, TrainingSession
from plans.trainings.repository import EnrolmentRepository
from shared.auth import Principal
from shared.problems import Conflict, InvalidState, NotFound


async def places_taken(session: AsyncSession, session_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.status.in_(PLACE_HOLDING))
        )
        or 0
    )


async def fill_places(session: AsyncSession, training: TrainingSession) -> None:
    """Lets the first on the waitlist into free places, and numbers the rest 1, 2, ..."""
    waiting = list(
        await session.scalars(
            select(Enrolment)
            .where(
                Enrolment.session_id == training.id,
                Enrolment.status == EnrolmentStatus.waitlisted,
            )
            .order_by(Enrolment.waitlist_position, Enrolment.created_at)
        )
    )
    free = max(0, training.capacity - await places_taken(session, training.id))
    if training.status not in OPEN:
        free = 0
    for index, enrolment in enumerate(waiting):
        if index < free:
            enrolment.status = EnrolmentStatus.enrolled
            enrolment.waitlist_position = None
        elif enrolment.waitlist_position != index - free + 1:
            enrolment.waitlist_position = index - free + 1
    await session.flush()


async def enrol(
    session: AsyncSession,
    training: TrainingSession,
    participant_id: uuid.UUID,
    principal: Principal,
) -> Enrolment:
    """A place if one is free, else the end of the waitlist. `training` must be locked."""
    if training.status not in OPEN:
        raise InvalidState(training.status)
    participant = await ParticipantRepository(session).get(participant_id, principal)
    if participant.status != ParticipantStatus.active:  # left the programme
        raise InvalidState(participant.status)
    enrolment = await session.scalar(
        select(Enrolment).where(
            Enrolment.session_id == training.id, Enrolment.participant_id == participant_id
        )
    )
    if enrolment is not None and enrolment.status != EnrolmentStatus.cancelled:
        raise Conflict("detail.already-enrolled", extras={"status": enrolment.status})
    # Counted before a new row is added: the count's autoflush must not write a half-made row.
    if await places_taken(session, training.id) < training.capacity:
        status, position = EnrolmentStatus.enrolled, None
    else:
        waiting = await session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(
                Enrolment.session_id == training.id,
                Enrolment.status == EnrolmentStatus.waitlisted,
            )
        )
        status, position = EnrolmentStatus.waitlisted, (waiting or 0) + 1
    if enrolment is None:
        enrolment = Enrolment(session=training, participant_id=participant_id)
        session.add(enrolment)
    enrolment.status, enrolment.waitlist_position = status, position
    enrolment.completed_on = None
    await session.flush()
    return enrolment


async def get_enrolment(
    session: AsyncSession,
    training: TrainingSession,
    participant_id: uuid.UUID,
    principal: Principal,
) -> Enrolment:
    """The participant's enrolment in `training` (a session the principal may see)."""
    await ParticipantRepository(session).get(participant_id, principal)
    enrolment = await session.scalar(
        enrolments_query(session, training, principal)
        .where(Enrolment.participant_id == participant_id)
        .execution_options(populate_existing=True)
    )
    if enrolment is None:
        raise NotFound("enrolment", participant_id)
    return enrolment


async def cancel_enrolment(
    session: AsyncSession, training: TrainingSession, enrolment: Enrolment
) -> Enrolment:
    """Frees the place (or the waitlist spot); the next in line moves up. `training` locked."""
    if enrolment.status not in (EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted):
        raise InvalidState(enrolment.status)
    enrolment.status = EnrolmentStatus.cancelled
    enrolment.waitlist_position = None
    await session.flush()
    await fill_places(session, training)
    return enrolment


def enrolments_query(
    session: AsyncSession,
    training: TrainingSession,
    principal: Principal,
    status: EnrolmentStatus | None = None,
) -> Select[Enrolment]:
    """The enrolments in `training` the principal may see (a partner: its own participants')."""
    return EnrolmentRepository(session).query(
        principal, Enrolment.session_id == training.id, *given((Enrolment.status, status))
    )
