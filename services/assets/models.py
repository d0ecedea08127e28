from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import BaseModel, new_metadata, utcnow
from shared.partner_keys import add_partner_keys_table
from shared.tables import add_shared_tables


class Base(BaseModel):
    __abstract__ = True
    metadata = new_metadata()


shared_tables = add_shared_tables(Base.metadata)
# Partners' API keys, copied from intake's events (shared.partner_keys).
partner_keys = add_partner_keys_table(Base.metadata)


class OrderStatus(StrEnum):
    open = "open"
    delivered = "delivered"


class Order(Base):
    """The assets to buy and hand over for one approved business plan."""

    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    region: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(Text)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[OrderStatus] = mapped_column(String(16), default=OrderStatus.open)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    items: Mapped[list[OrderItem]] = relationship(
        lazy="selectin", order_by="OrderItem.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def total(self) -> Decimal:
        return sum((item.unit_price * item.quantity for item in self.items), Decimal("0.00"))


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    asset_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))


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
