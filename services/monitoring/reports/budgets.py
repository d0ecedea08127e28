"""Budget use: each fund's budget per round (the period selects budgets that overlap it), with
money as assets counts it: reserved by orders not yet handed over, spent by those handed over."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.queries import equal
from monitoring.readmodels.models import BudgetFact, OrderFact
from monitoring.reports.schemas import BudgetReport, BudgetUse
from monitoring.reports.suppression import Row, complete, publish

ZERO = Decimal("0.00")


async def budget_use(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID | None,
    round_: str | None,
    start: date | None,
    end: date | None,
    suppress: bool,
) -> BudgetReport:
    """Each fund's budget per round, as assets keeps it: available = allocated - reserved - spent,
    where a live order (reserved or ordered) holds its reservation and a delivered one has spent
    it."""
    query = _budgets(partner_id=partner_id, round_=round_, start=start, end=end)
    rows = [Row(_figures(dict(row._mapping))) for row in await session.execute(query)]
    return publish(rows, withhold=_withhold, render=_render, suppress=suppress)


def _budgets(
    *, partner_id: uuid.UUID | None, round_: str | None, start: date | None, end: date | None
) -> Select[*tuple[Any, ...]]:
    b, o = BudgetFact, OrderFact
    live = o.status.in_(("reserved", "ordered"))
    delivered = o.status == "delivered"
    return (
        select(
            b.fund_id,
            b.fund_partner_id,
            b.budget_id,
            b.round,
            b.period_start,
            b.period_end,
            b.allocated,
            func.coalesce(func.sum(o.reserved).filter(live), ZERO).label("reserved"),
            func.coalesce(
                func.sum(func.coalesce(o.reserved, o.delivered_value)).filter(delivered), ZERO
            ).label("spent"),
            func.count(o.order_id).filter(live).label("orders_reserved"),
            func.count(o.order_id).filter(delivered).label("orders_delivered"),
            func.count(o.order_id).filter(o.status == "awaiting_budget").label("orders_waiting"),
        )
        .select_from(b)
        .outerjoin(o, o.budget_id == b.budget_id)
        .where(
            true(),
            *equal((b.fund_partner_id, partner_id), (b.round, round_)),
            *([b.period_end >= start] if start is not None else []),
            *([b.period_start <= end] if end is not None else []),
        )
        .group_by(b.budget_id)
        .order_by(b.period_start, b.round, b.fund_id)
    )


def _figures(values: dict[str, Any]) -> dict[str, Any]:
    """One budget's row, with what is still available and the order counts as integers."""
    reserved, spent = values["reserved"] or ZERO, values["spent"] or ZERO
    counts = ("orders_reserved", "orders_delivered", "orders_waiting")
    return {
        **{key: value for key, value in values.items() if key not in counts},
        "available": values["allocated"] - reserved - spent,
        **{key: int(values[key]) for key in counts},
    }


def _withhold(rows: list[Row]) -> None:
    for row in rows:
        row.hide_if_small("orders_reserved", "reserved", "available")
        row.hide_if_small("orders_delivered", "spent", "available")
        row.hide_if_small("orders_waiting")
        # allocated = reserved + spent + available: never one of the parts withheld alone.
        complete([[row.cell(name) for name in ("reserved", "spent", "available", "allocated")]])


def _render(rows: list[Row], suppressed_below: int | None) -> BudgetReport:
    return BudgetReport(
        budgets=[BudgetUse.model_validate(row.out()) for row in rows],
        suppressed_below=suppressed_below,
    )
