from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import BaseModel, new_metadata, utcnow
from shared.partner_keys import add_partner_keys_table
from shared.tables import add_shared_tables


class Base(BaseModel):
    __abstract__ = True
    metadata = new_metadata()


shared_tables = add_shared_tables(Base.metadata)
# Partners' API keys, copied from intake's events (shared.partner_keys).
partner_keys = add_partner_keys_table(Base.metadata)


class TimelineEntry(Base):
    """Read model: one line per event in a participant's journey, from every service."""

    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


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
