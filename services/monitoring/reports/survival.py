"""Business survival: businesses handed over in the period (`delivered_on`), from the handover to
the first visit that found them not operating, or still followed at their last visit found
operating (Kaplan-Meier by direction)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import ApplicationFact, VisitFact
from monitoring.reports.filters import Filters
from monitoring.reports.schemas import SurvivalCurve, SurvivalPoint, SurvivalReport
from monitoring.reports.suppression import Row, publish, separate, small

SURVIVAL_MONTHS = (3, 6, 12)
ESTIMATE = ("survival", "ci_lower", "ci_upper")


@dataclass
class _Cohort:
    durations: list[int] = field(default_factory=list)
    events: list[bool] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)


@dataclass
class _Curve:
    """A direction's figures: the curve's row, a row per month, and how many had closed by each
    month (not published, but an estimate would tell it)."""

    row: Row
    points: list[Row]
    closed_by: list[int]


async def survival(session: AsyncSession, filters: Filters, *, suppress: bool) -> SurvivalReport:
    """Kaplan-Meier by direction, in months after the handover (the visits' months): a business
    closes at the first visit that finds it not operating; one not yet found closed is censored
    at its last visit that found it operating, so cases still followed count correctly."""
    a, v = ApplicationFact, VisitFact
    visits = (
        select(
            v.participant_id,
            func.min(v.month).filter(not_(v.operating)).label("closed_at"),
            func.max(v.month).filter(v.operating).label("last_operating"),
        )
        .group_by(v.participant_id)
        .subquery("v")
    )
    duration = func.coalesce(visits.c.closed_at, visits.c.last_operating)
    closed = visits.c.closed_at.is_not(None)
    query = (
        select(a.direction, duration, closed, func.count())
        .select_from(a)
        .join(visits, visits.c.participant_id == a.application_id)
        .where(a.delivered_on.is_not(None), *filters.applications(a.delivered_on))
        .group_by(a.direction, duration, closed)
    )
    cohorts: dict[str | None, _Cohort] = defaultdict(_Cohort)
    for direction, months, event, n in await session.execute(query):
        cohort = cohorts[direction]
        cohort.durations.append(int(months))
        cohort.events.append(bool(event))
        cohort.weights.append(int(n))
    curves = [
        _curve(direction, cohorts[direction])
        for direction in sorted(cohorts, key=lambda d: d or "")
    ]
    return publish(curves, withhold=_withhold, render=_render, suppress=suppress)


def kaplan_meier(
    durations: Sequence[int], events: Sequence[bool], weights: Sequence[int], months: Sequence[int]
) -> list[tuple[float, float, float] | None]:
    """(survival, lower, upper) at each of `months` (lifelines; 95% exponential Greenwood
    interval); None where nobody is followed that long."""
    from lifelines import KaplanMeierFitter  # type: ignore[import-untyped]  # slow to import

    fitter: Any = KaplanMeierFitter()
    fitter.fit(durations, event_observed=events, weights=weights)
    interval = fitter.confidence_interval_survival_function_
    found: list[tuple[float, float, float] | None] = []
    for month in months:
        if not any(d >= month for d in durations):
            found.append(None)
            continue
        estimate = float(fitter.survival_function_at_times(month).iloc[0])
        lower, upper = interval.loc[:month].iloc[-1]
        found.append((round(estimate, 4), round(float(lower), 4), round(float(upper), 4)))
    return found


def _curve(direction: str | None, cohort: _Cohort) -> _Curve:
    rows = list(zip(cohort.durations, cohort.events, cohort.weights, strict=True))
    followed = sum(cohort.weights)
    closed_total = sum(w for _, e, w in rows if e)
    estimates = kaplan_meier(cohort.durations, cohort.events, cohort.weights, SURVIVAL_MONTHS)
    points: list[Row] = []
    closed_by: list[int] = []
    for month, estimate in zip(SURVIVAL_MONTHS, estimates, strict=True):
        points.append(
            Row(
                {
                    "month": month,
                    "at_risk": sum(w for d, _, w in rows if d >= month),
                    "survival": estimate[0] if estimate else None,
                    "ci_lower": estimate[1] if estimate else None,
                    "ci_upper": estimate[2] if estimate else None,
                }
            )
        )
        closed_by.append(sum(w for d, e, w in rows if e and d <= month))
    curve = Row({"direction": direction, "followed": followed, "closed": closed_total})
    return _Curve(curve, points, closed_by)


def _withhold(curves: list[_Curve]) -> None:
    for curve in curves:
        followed = curve.row.values["followed"]
        for point, closed_by in zip(curve.points, curve.closed_by, strict=True):
            point.hide_if_small("at_risk", *ESTIMATE)
            # The estimate would tell how few closed, or how few did not.
            if small(closed_by) or small(followed - closed_by):
                point.hide(*ESTIMATE)
        curve.row.hide_if_small("followed")
        curve.row.hide_if_small("closed")
        # Businesses still at risk are nested in those followed, and so are those closed.
        followed_cell = curve.row.cell("followed")
        separate([followed_cell, *(point.cell("at_risk", *ESTIMATE) for point in curve.points)])
        separate([followed_cell, curve.row.cell("closed")])
        if curve.row.hidden("closed"):  # the estimates would tell how many closed
            for point in curve.points:
                if point.values["survival"] not in (None, 1.0):
                    point.hide(*ESTIMATE)


def _render(curves: list[_Curve], suppressed_below: int | None) -> SurvivalReport:
    return SurvivalReport(
        directions=[
            SurvivalCurve.model_validate(
                {
                    **curve.row.out(),
                    "points": [SurvivalPoint.model_validate(p.out()) for p in curve.points],
                }
            )
            for curve in curves
        ],
        suppressed_below=suppressed_below,
    )
