"""The funnel: applications by the day they were submitted (the period bounds `applied_at`); each
stage counts those who reached it and every stage before it (selected means selected in a round
or enrolled by hand), and its median is of the days from the previous stage's date."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import ApplicationFact, VisitFact
from monitoring.reports.filters import Filters
from monitoring.reports.schemas import FunnelReport, FunnelStage, Stage
from monitoring.reports.suppression import Row, hide_ratio_unless, publish, ratio, separate

# work_mem for the funnel's medians: a million applications sort in memory.
SORT_MEMORY = "128MB"
STAGES: tuple[Stage, ...] = (
    "applied",
    "eligible",
    "selected",
    "plan_approved",
    "delivered",
    "operating_6",
    "operating_12",
)
DERIVED = ("conversion_from_previous", "conversion_from_applied", "median_days_from_previous")


def _facts(filters: Filters) -> Any:
    """One row: how many applications reached each stage, and the median days each stage took
    (from the previous stage's day), in one statement (one snapshot).

    Applications up to delivery come from application_facts alone, through its generated
    `funnel_stage` (the stages reached in a row) and UTC days; the operating stages only for the
    delivered, met with their first operating 6- and 12-month visits (two index-only scans in
    participant order, see readmodels.models). Constants inline, so that the planner sees the
    partial indexes' conditions."""
    a, v = ApplicationFact, VisitFact
    stage = a.funnel_stage
    days = {
        "eligible": a.assessed_on - a.applied_on,
        "selected": a.selected_on - a.assessed_on,
        "plan_approved": a.plan_approved_on - a.selected_on,
        "delivered": a.delivered_on - a.plan_approved_on,
    }
    reached = {name: stage >= literal_column(str(n)) for n, name in enumerate(STAGES[:5], 1)}
    applications = (
        select(
            *(func.count().filter(reached[name]) for name in STAGES[:5]),
            *(
                func.percentile_cont(0.5).within_group(days[name]).filter(reached[name])
                for name in STAGES[1:5]
            ),
        )
        .where(*filters.applications(a.applied_at))
        .subquery("a")
    )
    visits = (
        select(
            v.participant_id,
            func.min(v.visited_on).filter(v.month == literal_column("6")).label("op6_on"),
            func.min(v.visited_on).filter(v.month == literal_column("12")).label("op12_on"),
        )
        .where(v.operating, v.month.in_([literal_column("6"), literal_column("12")]))
        .group_by(v.participant_id)
        .subquery("v")
    )
    op12 = visits.c.op12_on.is_not(None)
    operating = (
        select(
            func.count(),
            func.count().filter(op12),
            func.percentile_cont(0.5).within_group(visits.c.op6_on - a.delivered_on),
            func.percentile_cont(0.5).within_group(visits.c.op12_on - visits.c.op6_on).filter(op12),
        )
        .select_from(a)
        .join(visits, visits.c.participant_id == a.application_id)
        .where(
            stage == literal_column("5"),
            visits.c.op6_on.is_not(None),
            *filters.applications(a.applied_at),
        )
        .subquery("o")
    )
    up_to_delivered, after = list(applications.c), list(operating.c)
    # The counts of the stages in STAGES order, then the medians of every stage after the first.
    return select(*up_to_delivered[:5], *after[:2], *up_to_delivered[5:], *after[2:]).select_from(
        applications.join(operating, true())  # one row each
    )


async def funnel(session: AsyncSession, filters: Filters, *, suppress: bool) -> FunnelReport:
    # The medians sort up to a row per application: in memory, not in temporary files.
    await session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
    result = (await session.execute(_facts(filters))).one()
    count_of = {stage: int(result[i]) for i, stage in enumerate(STAGES)}
    median_of = {
        stage: None if median is None else round(float(median), 1)
        for stage, median in zip(STAGES[1:], result[len(STAGES) :], strict=True)
    }
    rows: list[Row] = []
    for i, stage in enumerate(STAGES):
        previous = STAGES[i - 1] if i else None
        rows.append(
            Row(
                {
                    "stage": stage,
                    "count": count_of[stage],
                    "conversion_from_previous": (
                        ratio(count_of[stage], count_of[previous]) if previous else None
                    ),
                    "conversion_from_applied": ratio(count_of[stage], count_of["applied"]),
                    "median_days_from_previous": median_of.get(stage),
                }
            )
        )
    return publish(rows, withhold=_withhold, render=_render, suppress=suppress)


def _withhold(rows: list[Row]) -> None:
    for row in rows:
        row.hide_if_small("count", *DERIVED)
    # Each stage is a part of the one before: no two shown stages may differ by 1 to 4.
    separate([row.cell("count", *DERIVED) for row in rows])
    for i, row in enumerate(rows):
        if i:
            hide_ratio_unless(
                row, "conversion_from_previous", row.cell("count"), rows[i - 1].cell("count")
            )
        hide_ratio_unless(row, "conversion_from_applied", row.cell("count"), rows[0].cell("count"))


def _render(rows: list[Row], suppressed_below: int | None) -> FunnelReport:
    return FunnelReport(
        stages=[FunnelStage.model_validate(row.out()) for row in rows],
        suppressed_below=suppressed_below,
    )
