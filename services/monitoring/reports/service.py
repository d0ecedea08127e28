"""The programme's figures, aggregated in SQL over the read models' fact tables only.

Who is counted where:
- participants: applications enrolled and not cancelled, by the UTC year of enrolment (the
  period bounds `enrolled_at`);
- the funnel: applications by the day they were submitted (the period bounds `applied_at`); each
  stage counts those who reached it and every stage before it (selected means selected in a round
  or enrolled by hand), and its median is of the days from the previous stage's date;
- survival: businesses handed over in the period (`delivered_on`), from the handover to the first
  visit that found them not operating, or still followed at their last visit found operating;
- a partner's report: the participants it referred, enrolled in the period, and the training
  sessions it ran, completed in the period;
- budget use: each fund's budget per round (the period selects budgets that overlap it), with
  money as assets counts it: reserved by orders not yet handed over, spent by those handed over.

Every function returns exact figures or, with `suppress`, the small-cell-suppressed ones.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Text,
    and_,
    cast,
    distinct,
    func,
    not_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import (
    ApplicationFact,
    BudgetFact,
    DeliveryFact,
    OrderFact,
    TrainingFact,
    VisitFact,
)
from monitoring.reports.filters import PRIORITY_CATEGORIES, Filters
from monitoring.reports.schemas import (
    Breakdown,
    BudgetReport,
    BudgetUse,
    FunnelReport,
    FunnelStage,
    GroupYearCount,
    ParticipantsReport,
    PartnerReport,
    Stage,
    SurvivalCurve,
    SurvivalPoint,
    SurvivalReport,
    YearCount,
)
from monitoring.reports.suppression import (
    THRESHOLD,
    Cell,
    Row,
    complete,
    hide_ratio_unless,
    separate,
    small,
)
from shared.i18n import translate

SURVIVAL_MONTHS = (3, 6, 12)
ESTIMATE = ("survival", "ci_lower", "ci_upper")
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


def _utc_day(column: Any) -> Any:
    return cast(func.timezone("UTC", column), Date)


def _ratio(part: int | None, whole: int | None, digits: int = 4) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, digits)


def _below(suppress: bool) -> int | None:
    return THRESHOLD if suppress else None


# --- participants per year -----------------------------------------------------------------------


def _enrolled(filters: Filters) -> list[Any]:
    a = ApplicationFact
    return [
        a.enrolled_at.is_not(None),
        a.enrollment_cancelled_at.is_(None),
        *filters.applications(a.enrolled_at),
    ]


async def participants_per_year(
    session: AsyncSession, filters: Filters, *, by: Breakdown | None, suppress: bool
) -> ParticipantsReport:
    """Participants enrolled per year, and growth as a multiple of the first year; by category
    a participant counts once under each of their categories."""
    a = ApplicationFact
    year = cast(func.extract("year", func.timezone("UTC", a.enrolled_at)), Integer)
    totals = {
        int(y): int(n)
        for y, n in await session.execute(
            select(year, func.count()).where(*_enrolled(filters)).group_by(year)
        )
    }
    first_year = min(totals) if totals else None

    years: list[Row] = []
    for y in sorted(totals):
        row = Row({"year": y, "count": totals[y], "growth": None})
        if first_year is not None:
            row.values["growth"] = _ratio(totals[y], totals[first_year], 2)
        years.append(row)

    groups: dict[tuple[str | None, int], int] = {}
    if by is not None:
        if by == "category":
            sub = (
                select(year.label("year"), func.unnest(a.categories).label("grp"))
                .where(*_enrolled(filters))
                .subquery()
            )
            query = select(sub.c.year, sub.c.grp, func.count()).group_by(sub.c.year, sub.c.grp)
        else:
            column: Any = {
                "region": a.region,
                "direction": a.direction,
                "partner": cast(a.partner_id, Text),
            }[by]
            query = (
                select(year, column, func.count()).where(*_enrolled(filters)).group_by(year, column)
            )
        groups = {(g, int(y)): int(n) for y, g, n in await session.execute(query)}
    breakdown: list[Row] = []
    for group, y in sorted(groups, key=lambda key: (key[0] or "", key[1])):
        base = groups.get((group, first_year)) if first_year is not None else None
        breakdown.append(
            Row(
                {
                    "group": group,
                    "year": y,
                    "count": groups[(group, y)],
                    "growth": _ratio(groups[(group, y)], base, 2),
                }
            )
        )

    if suppress:
        for row in (*years, *breakdown):
            row.hide_if_small("count", "growth")
        _suppress_complementary(years, breakdown, first_year)

    return ParticipantsReport(
        by=by,
        first_year=first_year,
        years=[YearCount.model_validate(row.out()) for row in years],
        breakdown=[GroupYearCount.model_validate(row.out()) for row in breakdown],
        suppressed_below=_below(suppress),
    )


def _suppress_complementary(years: list[Row], breakdown: list[Row], first_year: int | None) -> None:
    """A year's total and its cells form a group (by category the cells add up to more than the
    total, as a person counts under each category; grouped all the same, to be safe); a growth
    is shown only with its count and its first year's count."""
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


# --- the funnel ---------------------------------------------------------------------------------


async def funnel(session: AsyncSession, filters: Filters, *, suppress: bool) -> FunnelReport:
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
    facts = (
        select(
            *(reached[stage].label(stage) for stage in STAGES),
            *(days[stage].label(f"days_{stage}") for stage in STAGES[1:]),
        )
        .select_from(a)
        .outerjoin(visits, visits.c.participant_id == a.application_id)
        .where(*filters.applications(a.applied_at))
        .subquery("f")
    )
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
                        _ratio(count_of[stage], count_of[previous]) if previous else None
                    ),
                    "conversion_from_applied": _ratio(count_of[stage], count_of["applied"]),
                    "median_days_from_previous": median_of.get(stage),
                }
            )
        )
    if suppress:
        derived = (
            "conversion_from_previous",
            "conversion_from_applied",
            "median_days_from_previous",
        )
        for row in rows:
            row.hide_if_small("count", *derived)
        # Each stage is a part of the one before: no two shown stages may differ by 1 to 4.
        separate([row.cell("count", *derived) for row in rows])
        for i, row in enumerate(rows):
            if i:
                hide_ratio_unless(
                    row, "conversion_from_previous", row.cell("count"), rows[i - 1].cell("count")
                )
            hide_ratio_unless(
                row, "conversion_from_applied", row.cell("count"), rows[0].cell("count")
            )
    return FunnelReport(
        stages=[FunnelStage.model_validate(row.out()) for row in rows],
        suppressed_below=_below(suppress),
    )


# --- business survival --------------------------------------------------------------------------


@dataclass
class _Cohort:
    durations: list[int]
    events: list[bool]
    weights: list[int]


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
    cohorts: dict[str | None, _Cohort] = defaultdict(lambda: _Cohort([], [], []))
    for direction, months, event, n in await session.execute(query):
        cohort = cohorts[direction]
        cohort.durations.append(int(months))
        cohort.events.append(bool(event))
        cohort.weights.append(int(n))
    curves = [
        _curve(direction, cohorts[direction], suppress)
        for direction in sorted(cohorts, key=lambda d: d or "")
    ]
    return SurvivalReport(directions=curves, suppressed_below=_below(suppress))


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


def _curve(direction: str | None, cohort: _Cohort, suppress: bool) -> SurvivalCurve:
    followed = sum(cohort.weights)
    closed_total = sum(w for w, e in zip(cohort.weights, cohort.events, strict=True) if e)
    estimates = kaplan_meier(cohort.durations, cohort.events, cohort.weights, SURVIVAL_MONTHS)
    points: list[Row] = []
    for month, estimate in zip(SURVIVAL_MONTHS, estimates, strict=True):
        at_risk = sum(
            w for d, w in zip(cohort.durations, cohort.weights, strict=True) if d >= month
        )
        closed_by = sum(
            w
            for d, e, w in zip(cohort.durations, cohort.events, cohort.weights, strict=True)
            if e and d <= month
        )
        row = Row(
            {
                "month": month,
                "at_risk": at_risk,
                "survival": estimate[0] if estimate else None,
                "ci_lower": estimate[1] if estimate else None,
                "ci_upper": estimate[2] if estimate else None,
            }
        )
        if suppress:
            row.hide_if_small("at_risk", *ESTIMATE)
            # The estimate would tell how few closed, or how few did not.
            if small(closed_by) or small(followed - closed_by):
                row.hide(*ESTIMATE)
        points.append(row)
    curve = Row({"direction": direction, "followed": followed, "closed": closed_total})
    if suppress:
        curve.hide_if_small("followed")
        curve.hide_if_small("closed")
        # Businesses still at risk are nested in those followed, and so are those closed.
        followed_cell = curve.cell("followed")
        separate([followed_cell, *(point.cell("at_risk", *ESTIMATE) for point in points)])
        separate([followed_cell, curve.cell("closed")])
        if curve.hidden("closed"):  # the estimates would tell how many closed
            for point in points:
                if point.values["survival"] not in (None, 1.0):
                    point.hide(*ESTIMATE)
    return SurvivalCurve.model_validate(
        {**curve.out(), "points": [SurvivalPoint.model_validate(p.out()) for p in points]}
    )


# --- partners' reports under their memoranda -----------------------------------------------------


async def partner_reports(
    session: AsyncSession,
    filters: Filters,
    *,
    suppress: bool,
    language: str,
    partner_id: uuid.UUID | None = None,
) -> list[PartnerReport]:
    """One report per partner (or only `partner_id`'s, zeros if it has nothing yet)."""
    a, v, d, t = ApplicationFact, VisitFact, DeliveryFact, TrainingFact
    if partner_id is not None:
        filters = replace(filters, partner_id=partner_id)
    visits = (
        select(
            v.participant_id,
            func.count().label("visits"),
            func.array_agg(aggregate_order_by(v.operating, v.visited_on.desc(), v.month.desc()))[
                1
            ].label("operating_now"),
        )
        .group_by(v.participant_id)
        .subquery("v")
    )
    items = (
        select(d.participant_id, func.sum(d.items).label("n_items"))
        .group_by(d.participant_id)
        .subquery("d")
    )
    people = (
        select(
            a.partner_id,
            func.count(),
            func.count().filter(a.categories.overlap(list(PRIORITY_CATEGORIES))),
            func.count().filter(a.delivered_on.is_not(None)),
            func.coalesce(func.sum(items.c.n_items), 0),
            func.coalesce(func.sum(a.delivered_value), Decimal("0.00")),
            func.coalesce(func.sum(visits.c.visits), 0),
            func.count().filter(visits.c.operating_now.is_(True)),
        )
        .select_from(a)
        .outerjoin(visits, visits.c.participant_id == a.application_id)
        .outerjoin(items, items.c.participant_id == a.application_id)
        .where(a.partner_id.is_not(None), *_enrolled(filters))
        .group_by(a.partner_id)
    )
    figures: dict[uuid.UUID, dict[str, Any]] = defaultdict(_zeros)
    for (
        pid,
        enrolled,
        priority,
        with_assets,
        n_items,
        value,
        n_visits,
        operating,
    ) in await session.execute(people):
        figures[pid].update(
            enrolled=int(enrolled),
            priority=int(priority),
            persons_with_assets=int(with_assets),
            items_delivered=int(n_items),
            assets_value=Decimal(value),
            visits_done=int(n_visits),
            operating=int(operating),
        )

    # Sessions the partner ran; the participant filters (not the referring partner) choose who.
    about_people = replace(filters, partner_id=None, start=None, end=None).applications()
    trainings = (
        select(
            t.run_by_partner_id,
            func.count(distinct(t.session_id)),
            func.count(distinct(t.participant_id)),
        )
        .where(
            t.run_by_partner_id.is_not(None),
            *filters.period(t.completed_on),
            *([t.direction == filters.direction] if filters.direction else []),
        )
        .group_by(t.run_by_partner_id)
    )
    if partner_id is not None:
        trainings = trainings.where(t.run_by_partner_id == partner_id)
    if about_people:
        trainings = trainings.join(a, a.application_id == t.participant_id).where(*about_people)
    for pid, sessions, trained in await session.execute(trainings):
        assert pid is not None
        figures[pid].update(trainings_held=int(sessions), persons_trained=int(trained))

    if partner_id is not None:
        figures.setdefault(partner_id, _zeros())  # a partner with nothing yet gets its zeros
    return [
        _partner_report(pid, figures[pid], suppress, language) for pid in sorted(figures, key=str)
    ]


def _zeros() -> dict[str, Any]:
    return {
        "enrolled": 0,
        "priority": 0,
        "trainings_held": 0,
        "persons_trained": 0,
        "persons_with_assets": 0,
        "items_delivered": 0,
        "assets_value": Decimal("0.00"),
        "visits_done": 0,
        "operating": 0,
    }


def _partner_report(
    partner_id: uuid.UUID, figures: dict[str, Any], suppress: bool, language: str
) -> PartnerReport:
    row = Row({"partner_id": partner_id, **figures})
    if suppress:
        for count in ("enrolled", "priority", "trainings_held", "persons_trained"):
            row.hide_if_small(count)
        row.hide_if_small("persons_with_assets", "items_delivered", "assets_value")
        row.hide_if_small("visits_done")
        row.hide_if_small("operating")
        # Of those enrolled: the priority ones, and those with assets and of them operating.
        enrolled = row.cell("enrolled")
        separate([enrolled, row.cell("priority")])
        separate(
            [
                enrolled,
                row.cell("persons_with_assets", "items_delivered", "assets_value"),
                row.cell("operating"),
            ]
        )

    def said(name: str) -> Any:
        if not row.hidden(name):
            return row.values[name]
        if small(row.exact(name)):
            return translate("report.fewer-than-5", language)
        return translate("report.withheld", language)

    summary = translate(
        "report.partner-line",
        language,
        {"enrolled": said("enrolled"), "priority": said("priority")},
    )
    return PartnerReport.model_validate(
        {**row.out(), "summary": summary, "suppressed_below": _below(suppress)}
    )


# --- budget use ---------------------------------------------------------------------------------


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
    b, o = BudgetFact, OrderFact
    live = o.status.in_(("reserved", "ordered"))
    delivered = o.status == "delivered"
    zero = Decimal("0.00")
    query = (
        select(
            b.fund_id,
            b.fund_partner_id,
            b.budget_id,
            b.round,
            b.period_start,
            b.period_end,
            b.allocated,
            func.coalesce(func.sum(o.reserved).filter(live), zero),
            func.count(o.order_id).filter(live),
            func.coalesce(
                func.sum(func.coalesce(o.reserved, o.delivered_value)).filter(delivered), zero
            ),
            func.count(o.order_id).filter(delivered),
            func.count(o.order_id).filter(o.status == "awaiting_budget"),
        )
        .select_from(b)
        .outerjoin(o, o.budget_id == b.budget_id)
        .where(
            true(),
            *([b.fund_partner_id == partner_id] if partner_id is not None else []),
            *([b.round == round_] if round_ is not None else []),
            *([b.period_end >= start] if start is not None else []),
            *([b.period_start <= end] if end is not None else []),
        )
        .group_by(b.budget_id)
        .order_by(b.period_start, b.round, b.fund_id)
    )
    rows: list[Row] = []
    for (
        fund_id,
        fund_partner_id,
        budget_id,
        round_code,
        period_start,
        period_end,
        allocated,
        reserved,
        n_reserved,
        spent,
        n_delivered,
        n_waiting,
    ) in await session.execute(query):
        row = Row(
            {
                "fund_id": fund_id,
                "fund_partner_id": fund_partner_id,
                "budget_id": budget_id,
                "round": round_code,
                "period_start": period_start,
                "period_end": period_end,
                "allocated": allocated,
                "reserved": reserved,
                "spent": spent,
                "available": allocated - (reserved or zero) - (spent or zero),
                "orders_reserved": int(n_reserved),
                "orders_delivered": int(n_delivered),
                "orders_waiting": int(n_waiting),
            }
        )
        if suppress:
            row.hide_if_small("orders_reserved", "reserved", "available")
            row.hide_if_small("orders_delivered", "spent", "available")
            row.hide_if_small("orders_waiting")
            # allocated = reserved + spent + available: never one of the parts withheld alone.
            complete(
                [
                    [
                        row.cell("reserved"),
                        row.cell("spent"),
                        row.cell("available"),
                        row.cell("allocated"),
                    ]
                ]
            )
        rows.append(row)
    return BudgetReport(
        budgets=[BudgetUse.model_validate(row.out()) for row in rows],
        suppressed_below=_below(suppress),
    )
