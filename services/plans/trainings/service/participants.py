"""A participant's trainings across sessions: their history, whether they completed one (for a
plan's approval), and what a cancelled programme enrolment does to their places."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.participants.repository import ParticipantRepository
from plans.trainings.models import Course, Enrolment, EnrolmentStatus, TrainingSession
from plans.trainings.repository import EnrolmentRepository
from plans.trainings.service.enrolments import cancel_enrolment
from shared.auth import Principal


async def history_query(
    session: AsyncSession, participant_id: uuid.UUID, principal: Principal
) -> Select[Enrolment]:
    """A participant's enrolments; for a partner, its own participant in its own sessions."""
    await ParticipantRepository(session).get(participant_id, principal)
    return EnrolmentRepository(session).query(principal, Enrolment.participant_id == participant_id)


async def has_completed_training(
    session: AsyncSession, participant_id: uuid.UUID, direction: str
) -> bool:
    """Whether the participant completed a course of `direction` (in any session)."""
    found = await session.scalar(
        select(Enrolment.id)
        .join(TrainingSession, Enrolment.session_id == TrainingSession.id)
        .join(Course, TrainingSession.course_id == Course.id)
        .where(
            Enrolment.participant_id == participant_id,
            Enrolment.status == EnrolmentStatus.completed,
            Course.direction == direction,
        )
        .limit(1)
    )
    return found is not None


async def cancel_participant_places(session: AsyncSession, participant_id: uuid.UUID) -> None:
    """Cancels the participant's places and waitlist spots (e.g. their enrolment in the programme
    was cancelled); the next in line takes each freed place. Completed trainings stay."""
    session_ids = (
        await session.scalars(
            select(Enrolment.session_id)
            .where(
                Enrolment.participant_id == participant_id,
                Enrolment.status.in_((EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted)),
            )
            .order_by(Enrolment.session_id)  # one lock order for everyone: no deadlocks
        )
    ).all()
    for session_id in session_ids:
        training = (
            await session.scalars(
                select(TrainingSession)
                .where(TrainingSession.id == session_id)
                .with_for_update(of=TrainingSession)
                .execution_options(populate_existing=True)
            )
        ).one()
        enrolment = await session.scalar(
            select(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.participant_id == participant_id)
            .execution_options(populate_existing=True)
        )
        assert enrolment is not None
        if enrolment.status in (EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted):
            await cancel_enrolment(session, training, enrolment)
