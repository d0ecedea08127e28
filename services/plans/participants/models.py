from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plans.base import Base
from shared.db import utcnow
from shared.repository import OwnedBy, OwnedThrough


class ParticipantStatus(StrEnum):
    active = "active"
    cancelled = "cancelled"


class Participant(Base):
    """Plans' own record of an enrolled participant: ids and coded facts, no personal data."""

    __tablename__ = "participants"
    # The partner that referred them, if any, while the person's consent to share with it
    # stands; every row owned through the participant follows.
    __partner__ = OwnedBy("partner_id", application="id")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    applicant_id: Mapped[uuid.UUID]
    region: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    direction: Mapped[str] = mapped_column(Text)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # Intake's programme round the participant was selected in (none when enrolled by hand):
    # the approved plan carries it, so that assets pays from that round's budget.
    round_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    enrolled_at: Mapped[datetime]
    status: Mapped[ParticipantStatus] = mapped_column(
        String(16), default=ParticipantStatus.active, server_default="active"
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None]


class DirectionConsultation(Base):
    """An officer's consultation with the participant: the direction chosen, and why."""

    __tablename__ = "direction_consultations"
    __partner__ = OwnedThrough("participant")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("participants.id"))
    direction: Mapped[str] = mapped_column(ForeignKey("directions.code"))
    reason: Mapped[str] = mapped_column(Text)
    consulted_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # For the ownership rule only: never loaded.
    participant: Mapped[Participant] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (
        Index("ix_direction_consultations_participant_created", "participant_id", "created_at"),
    )
