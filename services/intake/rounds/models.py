"""Programme rounds: a period, regional quotas, the reserved share, and eligibility and priority
as data (see rules.py and scoring.py for what the JSON columns hold)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow
from shared.repository import SHARED


class RoundStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    selected = "selected"


class Round(Base):
    __tablename__ = "rounds"
    __partner__ = SHARED  # partners read rounds to refer people to an open one

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date]
    period_end: Mapped[date]
    status: Mapped[RoundStatus] = mapped_column(String(16), default=RoundStatus.draft)
    # {"AZ-BA": 120, ...}: places per ISO 3166-2:AZ region.
    quotas: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    reserved_share: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal(0))
    priority_categories: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Who last changed the rules, weights or priority categories, and when (an open round's
    # change re-assesses its applications).
    rules_changed_at: Mapped[datetime | None]
    rules_changed_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
