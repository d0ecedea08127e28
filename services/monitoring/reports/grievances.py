"""Grievances and appeals lodged in the period (by the day they were lodged): counts by type,
category and outcome, and the days they took to resolve. Read from monitoring's own grievances,
which carry only coded facts here (no description is ever read)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.grievances.models import Grievance
from monitoring.reports.filters import Filters
from monitoring.reports.schemas import GrievanceCount, GrievanceReport
from monitoring.reports.suppression import Row, complete, publish, separate

DIMENSIONS = ("type", "category", "outcome")
OPEN = "open"
DAYS = ("median_days_to_resolve", "p90_days_to_resolve")


async def grievance_report(
    session: AsyncSession, filters: Filters, *, suppress: bool
) -> GrievanceReport:
    period = filters.period(Grievance.lodged_at)
    g = Grievance
    counted = await session.execute(
        select(g.type, g.category, g.outcome, func.count())
        .where(*period)
        .group_by(g.type, g.category, g.outcome)
    )
    by: dict[str, Counter[str]] = {name: Counter() for name in DIMENSIONS}
    for type_, category, outcome, count in counted:
        for name, value in zip(DIMENSIONS, (type_, category, outcome or OPEN), strict=True):
            by[name][str(value)] += count
    days = (extract("epoch", g.resolved_at) - extract("epoch", g.lodged_at)) / 86400
    median, p90 = (
        await session.execute(
            select(
                func.percentile_cont(0.5).within_group(days),
                func.percentile_cont(0.9).within_group(days),
            ).where(*period, g.resolved_at.is_not(None))
        )
    ).one()
    lodged = sum(by["type"].values())
    total = Row(
        {
            "lodged": lodged,
            "resolved": lodged - by["outcome"][OPEN],
            "median_days_to_resolve": _days(median),
            "p90_days_to_resolve": _days(p90),
        }
    )
    rows = [
        Row({"by": name, "group": group, "count": count})
        for name in DIMENSIONS
        for group, count in sorted(by[name].items())
    ]
    return publish((total, rows), withhold=_withhold, render=_render, suppress=suppress)


def _days(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


def _withhold(figures: tuple[Row, list[Row]]) -> None:
    total, rows = figures
    total.hide_if_small("lodged")
    total.hide_if_small("resolved", *DAYS)
    for row in rows:
        row.hide_if_small("count")
    # Each breakdown adds up to those lodged, and the outcomes' "open" is lodged - resolved.
    complete(
        [row.cell("count") for row in rows if row.values["by"] == name] + [total.cell("lodged")]
        for name in DIMENSIONS
    )
    # Those resolved are a part of those lodged: the few still open must not show as a difference.
    separate([total.cell("lodged"), total.cell("resolved", *DAYS)])


def _render(figures: tuple[Row, list[Row]], suppressed_below: int | None) -> GrievanceReport:
    total, rows = figures
    return GrievanceReport.model_validate(
        {
            **total.out(),
            "counts": [GrievanceCount.model_validate(row.out()) for row in rows],
            "suppressed_below": suppressed_below,
        }
    )
