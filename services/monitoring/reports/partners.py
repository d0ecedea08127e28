"""Partners' reports under their memoranda: the participants a partner referred, enrolled in the
period, and the training sessions it ran, completed in the period."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.queries import equal
from monitoring.readmodels.models import ApplicationFact, DeliveryFact, TrainingFact, VisitFact
from monitoring.reports.filters import PRIORITY_CATEGORIES, Filters
from monitoring.reports.schemas import PartnerReport
from monitoring.reports.suppression import Row, publish, separate, small
from shared.i18n import translate


async def partner_reports(
    session: AsyncSession,
    filters: Filters,
    *,
    suppress: bool,
    language: str,
    partner_id: uuid.UUID | None = None,
) -> list[PartnerReport]:
    """One report per partner (or only `partner_id`'s, zeros if it has nothing yet)."""
    filters = replace(filters, partner_id=partner_id or filters.partner_id)
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
    ) in await session.execute(_people(filters)):
        figures[pid].update(
            enrolled=int(enrolled),
            priority=int(priority),
            persons_with_assets=int(with_assets),
            items_delivered=int(n_items),
            assets_value=Decimal(value),
            visits_done=int(n_visits),
            operating=int(operating),
        )
    for pid, sessions, trained in await session.execute(_trainings(filters, partner_id)):
        assert pid is not None
        figures[pid].update(trainings_held=int(sessions), persons_trained=int(trained))
    if partner_id:
        figures.setdefault(partner_id, _zeros())  # a partner with nothing yet gets its zeros
    render = partial(_render, language=language)
    return [
        publish(
            Row({"partner_id": pid, **figures[pid]}),
            withhold=_withhold,
            render=render,
            suppress=suppress,
        )
        for pid in sorted(figures, key=str)
    ]


def _people(filters: Filters) -> Select[Any]:
    """Per referring partner: those enrolled, of them the priority ones, with assets (and how
    many items and what value), their visits and those operating at the latest."""
    a, v, d = ApplicationFact, VisitFact, DeliveryFact
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
    return (
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
        .where(a.partner_id.is_not(None), *filters.enrolments())
        .group_by(a.partner_id)
    )


def _trainings(
    filters: Filters, partner_id: uuid.UUID | None
) -> Select[uuid.UUID | None, int, int]:
    """Sessions each partner ran; the participant filters (not the referring partner) choose
    who."""
    a, t = ApplicationFact, TrainingFact
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
            *equal((t.direction, filters.direction), (t.run_by_partner_id, partner_id)),
        )
        .group_by(t.run_by_partner_id)
    )
    if about_people:
        trainings = trainings.join(a, a.application_id == t.participant_id).where(*about_people)
    return trainings


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


def _withhold(row: Row) -> None:
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


def _render(row: Row, suppressed_below: int | None, *, language: str) -> PartnerReport:
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
        {**row.out(), "summary": summary, "suppressed_below": suppressed_below}
    )
