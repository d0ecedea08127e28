"""Plans' participants and their direction consultations. Functions flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from plans.business_plans.models import EDITABLE, BusinessPlan
from plans.directions.models import Direction
from plans.participants.models import DirectionConsultation, Participant, ParticipantStatus
from plans.participants.schemas import ConsultationIn
from shared.auth import Principal
from shared.events import DirectionChosen, ParticipantEnrolled
from shared.messaging.outbox import add_event
from shared.problems import FieldError, InvalidState, NotFound, ValidationProblem


async def add_participant(session: AsyncSession, enrolled: ParticipantEnrolled) -> bool:
    """Records the participant; False when they are known already (intake may say it twice,
    in two events with different ids, which the inbox would not catch)."""
    inserted = await session.execute(
        insert(Participant)
        .values(
            id=enrolled.participant_id,
            applicant_id=enrolled.applicant_id,
            region=enrolled.region,
            categories=enrolled.categories,
            direction=enrolled.direction,
            partner_id=enrolled.partner_id,
            round_id=enrolled.round_id,
            enrolled_at=enrolled.enrolled_at,
            status=ParticipantStatus.active,
        )
        .on_conflict_do_nothing(index_elements=[Participant.id])
        .returning(Participant.id)
    )
    return inserted.first() is not None


async def get_consultation(
    session: AsyncSession, participant: Participant, consultation_id: uuid.UUID
) -> DirectionConsultation:
    consultation = await session.get(DirectionConsultation, consultation_id)
    if consultation is None or consultation.participant_id != participant.id:
        raise NotFound("consultation", consultation_id)
    return consultation


async def choose_direction(
    session: AsyncSession, participant: Participant, body: ConsultationIn, principal: Principal
) -> DirectionConsultation:
    """Records the consultation; the participant's direction, and that of a plan still being
    written, follow the choice."""
    if participant.status != ParticipantStatus.active:
        raise InvalidState(participant.status)
    direction = await session.get(Direction, body.direction)
    if direction is None or not direction.active:
        raise ValidationProblem(
            [
                FieldError(
                    field="body.direction",
                    code="unknown_direction",
                    message="field.unknown-direction",
                )
            ]
        )
    consultation = DirectionConsultation(
        participant_id=participant.id,
        direction=direction.code,
        reason=body.reason,
        consulted_by=principal.id,
    )
    session.add(consultation)
    participant.direction = direction.code
    plans = await session.scalars(
        select(BusinessPlan).where(
            BusinessPlan.participant_id == participant.id, BusinessPlan.status.in_(EDITABLE)
        )
    )
    for plan in plans:
        plan.direction = direction.code
    await session.flush()
    await add_event(
        session, DirectionChosen(participant_id=participant.id, direction=direction.code)
    )
    return consultation
