from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets.base import Base
from shared.db import utcnow


class Delivery(Base):
    """A signed handover act."""

    __tablename__ = "deliveries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), unique=True)
    delivered_on: Mapped[date]
    place: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    units: Mapped[list[DeliveredUnit]] = relationship(lazy="selectin")


class DeliveredUnit(Base):
    """One handed-over item with its serial or ear-tag number, unique per asset type."""

    __tablename__ = "delivered_units"
    __table_args__ = (UniqueConstraint("asset_type", "serial"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id"), index=True)
    order_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_items.id"))
    asset_type: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str] = mapped_column(String(64))
