"""The funnel: applications by the day they were submitted (the period bounds `applied_at`); each
stage counts those who reached it and every stage before it (selected means selected in a round
or enrolled by hand), and its median is of the days from the previous stage's date."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, and_, cast, func, select, text
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


def _utc_day(column: Any) -> Any:
    return cast(func.timezone("UTC", column), Date)


def _facts(filters: Filters) -> Any:
    """One row per application: whether it reached each stage, and the days each stage took."""
    a, v = ApplicationFact, VisitFact
    visits = (
        select(
            v.participant_id,
            func.min(v.visited_on).filter(and_(v.month == 6, v.operating)).label("op6_on"),
            func.min(v.visited_on).filter(and_(v.month == 12, v.operating)).label("op12_on"),
        )
        .where(v.month.in_((6, 12)))
        .group_by(v.participant_id)
        .subquery("v")
    )
    selected_at = func.coalesce(a.selected_at, a.enrolled_at)
    reached: dict[Stage, Any] = {}
    reached["applied"] = a.applied_at.is_not(None)
    reached["eligible"] = and_(reached["applied"], a.eligible.is_(True))
    reached["selected"] = and_(reached["eligible"], selected_at.is_not(None))
    reached["plan_approved"] = and_(reached["selected"], a.plan_approved_at.is_not(None))
    reached["delivered"] = and_(reached["plan_approved"], a.delivered_on.is_not(None))
    reached["operating_6"] = and_(reached["delivered"], visits.c.op6_on.is_not(None))
    reached["operating_12"] = and_(reached["operating_6"], visits.c.op12_on.is_not(None))
    days: dict[Stage, Any] = {
        "eligible": _utc_day(a.assessed_at) - _utc_day(a.applied_at),
        "selected": _utc_day(selected_at) - _utc_day(a.assessed_at),
        "plan_approved": _utc_day(a.plan_approved_at) - _utc_day(selected_at),
        "delivered": a.delivered_on - _utc_day(a.plan_approved_at),
        "operating_6": visits.c.op6_on - a.delivered_on,
        "operating_12": visits.c.op12_on - visits.c.op6_on,
    }
    return (
        select(
            *(reached[stage].label(stage) for stage in STAGES),
            *(days[stage].label(f"days_{stage}") for stage in STAGES[1:]),
        )
        .select_from(a)
        .outerjoin(visits, visits.c.participant_id == a.application_id)
        .where(*filters.applications(a.applied_at))
        .subquery("f")
    )


async def funnel(session: AsyncSession, filters: Filters, *, suppress: bool) -> FunnelReport:
    facts = _facts(filters)
    # The medians sort up to a row per application: in memory, not in temporary files.
    await session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
    counts = [func.count().filter(facts.c[stage]) for stage in STAGES]
    medians = [
        func.percentile_cont(0.5).within_group(facts.c[f"days_{stage}"]).filter(facts.c[stage])
        for stage in STAGES[1:]
    ]
    result = (await session.execute(select(*counts, *medians))).one()
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
