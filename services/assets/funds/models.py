"""Funding sources, their budget per programme round, and the ledger of every movement."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets.base import Base
from shared.db import utcnow
from shared.repository import OwnedBy, OwnedThrough

# The state budget exists from the first migration on; every order it pays falls back to it.
STATE_FUND_ID = uuid.UUID("00000000-0000-0000-0000-0000000000f1")


class FundKind(StrEnum):
    state = "state"
    partner = "partner"


class Fund(Base):
    """A funding source: the state budget, or a partner's own money under its memorandum."""

    __tablename__ = "funds"
    # A partner sees its own fund only; the state budget (no partner) is staff's.
    __partner__ = OwnedBy("partner_id")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[FundKind] = mapped_column(String(16))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    memorandum: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Budget(Base):
    """A fund's money for one programme round. `available` = allocated - reserved - spent.

    `version` (the ETag) changes with the allocation only: reservations move all the time and
    must not make an administrator's top-up stale.
    """

    __tablename__ = "budgets"
    __partner__ = OwnedThrough("fund")
    __table_args__ = (
        UniqueConstraint("fund_id", "round"),
        CheckConstraint("reserved >= 0 AND spent >= 0", name="not_negative"),
        CheckConstraint("reserved + spent <= allocated", name="within_allocation"),
        CheckConstraint("period_start <= period_end", name="period_order"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.id"), index=True)
    round: Mapped[str] = mapped_column(String(32))
    # The intake programme round this budget funds, if linked (intake's id; no foreign key).
    round_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    allocated: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    reserved: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    spent: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    # For the partner rule only (never loaded): a budget is its fund's partner's.
    fund: Mapped[Fund] = relationship(viewonly=True, lazy="raise")

    @property
    def available(self) -> Decimal:
        return self.allocated - self.reserved - self.spent


class EntryKind(StrEnum):
    allocation = "allocation"
    reduction = "reduction"  # allocation taken back, down to at most what is reserved and spent
    reservation = "reservation"
    release = "release"
    spend = "spend"


class LedgerEntry(Base):
    """One movement of a budget's money, with the order it was for (none for an allocation)."""

    __tablename__ = "ledger_entries"
    __partner__ = OwnedThrough("budget")
    __table_args__ = (Index(None, "budget_id", "at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    budget_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("budgets.id"))
    kind: Mapped[EntryKind] = mapped_column(String(16))
    order_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    budget: Mapped[Budget] = relationship(viewonly=True, lazy="raise")
