from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plans.base import Base
from shared.db import utcnow


class PlanStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"


class BusinessPlan(Base):
    __tablename__ = "business_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("participants.id"), index=True)
    direction: Mapped[str] = mapped_column(Text)
    status: Mapped[PlanStatus] = mapped_column(String(16), default=PlanStatus.draft)
    submitted_by: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    items: Mapped[list[PlanItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="PlanItem.position"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def total(self) -> Decimal:
        return sum((item.total for item in self.items), Decimal("0.00"))


class PlanItem(Base):
    __tablename__ = "plan_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_plans.id"), index=True)
    position: Mapped[int]
    asset_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity
