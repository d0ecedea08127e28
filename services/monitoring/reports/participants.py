"""Participants per year: applications enrolled and not cancelled, by the UTC year of enrolment
(the period bounds `enrolled_at`), with growth as a multiple of the first year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import ApplicationFact
from monitoring.reports.filters import Filters
from monitoring.reports.schemas import Breakdown, GroupYearCount, ParticipantsReport, YearCount
from monitoring.reports.suppression import Cell, Row, complete, hide_ratio_unless, publish, ratio


@dataclass
class _Figures:
    by: Breakdown | None
    first_year: int | None
    years: list[Row]
    breakdown: list[Row]


def _year() -> Any:
    return cast(func.extract("year", func.timezone("UTC", ApplicationFact.enrolled_at)), Integer)


async def participants_per_year(
    session: AsyncSession, filters: Filters, *, by: Breakdown | None, suppress: bool
) -> ParticipantsReport:
    """Participants enrolled per year, and growth as a multiple of the first year; by category
    a participant counts once under each of their categories."""
    year = _year()
    totals = {
        int(y): int(n)
        for y, n in await session.execute(
            select(year, func.count()).where(*filters.enrolments()).group_by(year)
        )
    }
    first_year = min(totals) if totals else None
    years = [
        Row(
            {
                "year": y,
                "count": totals[y],
                "growth": ratio(totals[y], totals[first_year], 2)
                if first_year is not None
                else None,
            }
        )
        for y in sorted(totals)
    ]
    groups = await _groups(session, filters, by) if by is not None else {}
    breakdown: list[Row] = []
    for group, y in sorted(groups, key=lambda key: (key[0] or "", key[1])):
        base = groups.get((group, first_year)) if first_year is not None else None
        count = groups[(group, y)]
        breakdown.append(
            Row({"group": group, "year": y, "count": count, "growth": ratio(count, base, 2)})
        )
    return publish(
        _Figures(by, first_year, years, breakdown),
        withhold=_withhold,
        render=_render,
        suppress=suppress,
    )


async def _groups(
    session: AsyncSession, filters: Filters, by: Breakdown
) -> dict[tuple[str | None, int], int]:
    """Participants per (group, year) of the breakdown."""
    a = ApplicationFact
    year = _year()
    if by == "category":
        sub = (
            select(year.label("year"), func.unnest(a.categories).label("grp"))
            .where(*filters.enrolments())
            .subquery()
        )
        query = select(sub.c.year, sub.c.grp, func.count()).group_by(sub.c.year, sub.c.grp)
    else:
        column: Any = {
            "region": a.region,
            "direction": a.direction,
            "partner": cast(a.partner_id, Text),
        }[by]
        query = select(year, column, func.count()).where(*filters.enrolments())
        query = query.group_by(year, column)
    return {(g, int(y)): int(n) for y, g, n in await session.execute(query)}


def _withhold(figures: _Figures) -> None:
    """Small counts with their growth; then a year's total and its cells form a group (by
    category the cells add up to more than the total, as a person counts under each category;
    grouped all the same, to be safe); a growth is shown only with its count and its first
    year's count."""
    years, breakdown, first_year = figures.years, figures.breakdown, figures.first_year
    for row in (*years, *breakdown):
        row.hide_if_small("count", "growth")
    total_of = {row.values["year"]: row for row in years}
    cells: dict[int, list[Cell]] = defaultdict(list)
    for row in breakdown:
        cells[row.values["year"]].append(row.cell("count", "growth"))
    complete([*cells[y], total.cell("count", "growth")] for y, total in total_of.items())

    if first_year is None:
        return
    base = total_of[first_year].cell("count")
    for row in years:
        hide_ratio_unless(row, "growth", row.cell("count"), base)
    first = {row.values["group"]: row for row in breakdown if row.values["year"] == first_year}
    for row in breakdown:
        group_base = first.get(row.values["group"])
        hide_ratio_unless(
            row, "growth", row.cell("count"), group_base.cell("count") if group_base else None
        )


def _render(figures: _Figures, suppressed_below: int | None) -> ParticipantsReport:
    return ParticipantsReport(
        by=figures.by,
        first_year=figures.first_year,
        years=[YearCount.model_validate(row.out()) for row in figures.years],
        breakdown=[GroupYearCount.model_validate(row.out()) for row in figures.breakdown],
        suppressed_below=suppressed_below,
    )
