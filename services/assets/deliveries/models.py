from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets.base import Base
from shared.db import utcnow
from shared.repository import STAFF_ONLY, OwnedThrough

if TYPE_CHECKING:
    from assets.orders.models import Order


class Signer(StrEnum):
    """Who signed the handover act for the participant. Coded, never a name: names stay in
    intake."""

    participant = "participant"
    representative = "representative"


class ItemStatus(StrEnum):
    in_use = "in_use"
    missing = "missing"
    sold = "sold"
    dead = "dead"
    broken = "broken"


class Delivery(Base):
    """A signed handover act: some or all of an order's units (an order may take several)."""

    __tablename__ = "deliveries"
    __partner__ = OwnedThrough("order")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    delivered_on: Mapped[date]
    place: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[Signer] = mapped_column(String(16))
    officer_id: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The scan or photo of the signed act, in the file store.
    act_key: Mapped[str | None] = mapped_column(Text)
    act_content_type: Mapped[str | None] = mapped_column(String(32))
    act_size: Mapped[int | None]
    act_uploaded_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    units: Mapped[list[DeliveredUnit]] = relationship(lazy="selectin")
    # For the partner rule only (never loaded): a delivery is its order's.
    order: Mapped[Order] = relationship(viewonly=True, lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def act(self) -> dict[str, object] | None:
        if self.act_key is None:
            return None
        return {
            "content_type": self.act_content_type,
            "size": self.act_size,
            "uploaded_at": self.act_uploaded_at,
        }


class DeliveredUnit(Base):
    """A handed-over item: one unit with its serial or ear-tag number (unique per asset type,
    across everyone), or a counted quantity of a bulk type."""

    __tablename__ = "delivered_units"
    __table_args__ = (UniqueConstraint("asset_type", "serial"),)
    __partner__ = OwnedThrough("delivery")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id"), index=True)
    order_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_items.id"))
    asset_type: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(default=1)
    status: Mapped[ItemStatus] = mapped_column(String(16), default=ItemStatus.in_use)
    version: Mapped[int] = mapped_column(default=1)

    history: Mapped[list[ItemHistory]] = relationship(
        lazy="selectin", order_by="ItemHistory.recorded_at", cascade="all, delete-orphan"
    )
    delivery: Mapped[Delivery] = relationship(viewonly=True, lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class ItemHistory(Base):
    """Each status an item has had: the handover, then monitoring's findings."""

    __tablename__ = "item_history"
    __partner__ = OwnedThrough("unit")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delivered_units.id"), index=True)
    status: Mapped[ItemStatus] = mapped_column(String(16))
    occurred_on: Mapped[date]
    source_event_id: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[DeliveredUnit] = relationship(viewonly=True, lazy="raise")


class SerialFlag(Base):
    """A refused second handover of a serial or tag number, for staff to look into."""

    __tablename__ = "serial_flags"
    __table_args__ = (Index("ix_serial_flags_flagged_at_id", "flagged_at", "id"),)
    # Another participant's unit may be named: for staff to look into, never a partner's.
    __partner__ = STAFF_ONLY

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    asset_type: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    existing_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delivered_units.id"))
    flagged_by: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
