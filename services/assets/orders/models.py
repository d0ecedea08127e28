from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets.base import Base
from assets.funds.models import Fund
from shared.consent import sharing_stands
from shared.db import utcnow
from shared.repository import OwnedThrough, OwnedWhere


class OrderStatus(StrEnum):
    """awaiting_budget -> reserved -> ordered -> [partly_delivered ->] delivered; any but
    delivered -> cancelled.

    A reserved order may also be delivered directly, without the supplier steps (the thin
    journey). An order handed over in several deliveries is `partly_delivered` until every item
    is. `open` is the state of orders from before budgets existed; none is left after the 0004
    migration.
    """

    open = "open"
    awaiting_budget = "awaiting_budget"
    reserved = "reserved"
    ordered = "ordered"
    partly_delivered = "partly_delivered"
    delivered = "delivered"
    cancelled = "cancelled"


class PriceApproval(StrEnum):
    not_required = "not_required"
    required = "required"  # an agreed price is above the plan's: an admin approves it
    approved = "approved"


def _referred_or_paid_by(partner_id: uuid.UUID) -> ColumnElement[bool]:
    """A partner sees orders for the participants it referred and orders paid from its fund,
    while the person's consent to share with it stands: an order is about the person, whoever
    pays. A fund's ledger keeps the amounts and order ids, so its accounts still add up."""
    own_funds = select(Fund.id).where(Fund.partner_id == partner_id)
    return and_(
        or_(Order.partner_id == partner_id, Order.fund_id.in_(own_funds)),
        sharing_stands(Order.participant_id, partner_id),
    )


class Order(Base):
    """The assets to buy and hand over for one approved business plan."""

    __tablename__ = "orders"
    __partner__ = OwnedWhere(_referred_or_paid_by)
    # The queue of a fund's waiting orders, first come first served.
    __table_args__ = (Index(None, "fund_id", "status", "awaiting_since"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    region: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(Text)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[OrderStatus] = mapped_column(String(16), default=OrderStatus.awaiting_budget)
    approved_on: Mapped[date]  # the plan's approval day (UTC): picks the budget that pays
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.id"))
    budget_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("budgets.id"), index=True)
    reserved_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    # The part of `reserved_amount` turned into spending by the deliveries so far.
    spent_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    awaiting_since: Mapped[datetime | None]
    price_approval: Mapped[PriceApproval] = mapped_column(
        String(16), default=PriceApproval.not_required
    )
    price_approved_by: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    items: Mapped[list[OrderItem]] = relationship(
        lazy="selectin", order_by="OrderItem.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def total(self) -> Decimal:
        """At the plan's prices."""
        return sum((item.unit_price * item.quantity for item in self.items), Decimal("0.00"))

    @property
    def cost(self) -> Decimal:
        """At the agreed prices where agreed, else the plan's."""
        return sum((item.price * item.quantity for item in self.items), Decimal("0.00"))


class OrderItem(Base):
    __tablename__ = "order_items"
    __partner__ = OwnedThrough("order")
    __table_args__ = (
        CheckConstraint(
            "delivered_quantity >= 0 AND delivered_quantity <= quantity", name="delivered_in_range"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    asset_type: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The catalogue's supplier, by id only: the catalogue is another domain's table.
    supplier_id: Mapped[uuid.UUID | None]
    agreed_unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Units handed over so far, over all the order's deliveries.
    delivered_quantity: Mapped[int] = mapped_column(default=0)

    # For the partner rule only (never loaded): an item is its order's.
    order: Mapped[Order] = relationship(viewonly=True, lazy="raise")

    @property
    def price(self) -> Decimal:
        return self.unit_price if self.agreed_unit_price is None else self.agreed_unit_price

    @property
    def remaining(self) -> int:
        """Units still to hand over."""
        return self.quantity - self.delivered_quantity
