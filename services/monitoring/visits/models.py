"""Visits after the handover, the monitors who make them, and their reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitoring.base import Base
from shared.db import utcnow


class VisitStatus(StrEnum):
    scheduled = "scheduled"


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("delivery_id", "month"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    delivery_id: Mapped[uuid.UUID]
    region: Mapped[str] = mapped_column(String(8))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    month: Mapped[int]
    due_on: Mapped[date]
    status: Mapped[VisitStatus] = mapped_column(String(16), default=VisitStatus.scheduled)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
