from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plans.base import Base
from plans.participants.models import Participant
from shared.db import utcnow
from shared.repository import OwnedThrough

CENT = Decimal("0.01")


class PlanStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    changes_requested = "changes_requested"
    approved = "approved"
    rejected = "rejected"
    cancelled = "cancelled"


# The author edits in these states; the others belong to the reviewer or are final.
EDITABLE = frozenset({PlanStatus.draft, PlanStatus.changes_requested})
# States a cancelled enrolment cancels: everything not decided yet.
OPEN = frozenset(
    {PlanStatus.draft, PlanStatus.submitted, PlanStatus.in_review, PlanStatus.changes_requested}
)


class BusinessPlan(Base):
    __tablename__ = "business_plans"
    __partner__ = OwnedThrough("participant")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("participants.id"), index=True)
    direction: Mapped[str] = mapped_column(Text)
    status: Mapped[PlanStatus] = mapped_column(String(32), default=PlanStatus.draft)
    # Coded reason of the last change of state by a reviewer or an event (e.g. asset_sold).
    status_reason: Mapped[str | None] = mapped_column(String(64))
    activity: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    market: Mapped[str | None] = mapped_column(Text)
    # Twelve months: [{"month": 1, "income": "850.00", "costs": "300.00"}, ...]
    projections: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    jobs_created: Mapped[int | None]
    own_contribution: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Everyone who wrote or submitted the plan: none of them may review it.
    authors: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    submitted_by: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=0)  # number of the last submitted version
    approved_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    items: Mapped[list[PlanItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="PlanItem.position"
    )
    # For the ownership rule only: never loaded.
    participant: Mapped[Participant] = relationship(lazy="raise", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def total(self) -> Decimal:
        return sum((item.total for item in self.items), Decimal("0.00")).quantize(CENT)


class PlanItem(Base):
    __tablename__ = "plan_items"
    __partner__ = OwnedThrough("plan")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_plans.id"), index=True)
    position: Mapped[int]
    asset_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    # For the ownership rule only: never loaded.
    plan: Mapped[BusinessPlan] = relationship(lazy="raise", viewonly=True)

    @property
    def total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


class PlanVersion(Base):
    """A submitted plan as it was, with what the reviewer said about that version."""

    __tablename__ = "plan_versions"
    __partner__ = OwnedThrough("plan")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_plans.id"))
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # [{"section": "market", "comment": "...", "by": "staff:x", "at": "..."}]
    comments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # {"market_assessed": {"passed": true, "note": "...", "by": "staff:x", "at": "..."}}
    checklist: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    # For the ownership rule only: never loaded.
    plan: Mapped[BusinessPlan] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (UniqueConstraint("plan_id", "number"),)
