"""Monitoring's read models: every projection, with events of different producers arriving in any
order and more than once; the same through a running service over NATS; and the facts of one
participant's journey across the four services as real processes."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monitoring.readmodels.models import (
    ApplicationFact,
    BudgetFact,
    DeliveryFact,
    OrderFact,
    TimelineEntry,
    TrainingFact,
    VisitFact,
)
from monitoring.readmodels.projections import FACTS, PROJECTIONS
from shared.devkeys import mint_token
from shared.events import (
    EVENT_TYPES,
    ApplicationAssessed,
    ApplicationSelected,
    ApplicationSubmitted,
    BudgetChanged,
    CaseClosed,
    DeliveredItem,
    DeliveryCompleted,
    EnrollmentCancelled,
    Envelope,
    OrderAwaitingBudget,
    OrderCancelled,
    OrderOpened,
    OrderPlaced,
    OrderReserved,
    ParticipantEnrolled,
    PlanApproved,
    TrainingCompleted,
    VisitReported,
)
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import PRODUCERS
from tests.conftest import FreshDatabase, LaunchServices
from tests.journey_support import STATE_FUND, eventually, run_journey
from tests.monitoring.readmodels_support import (
    T0,
    at,
    caught_up,
    project,
    publish,
    row,
    sessions,
)
from tests.service_fixtures import Auth, StartService

Sessions = async_sessionmaker[AsyncSession]
DAY = timedelta(days=1)
PARTNER = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
ROUND = uuid.UUID("00000000-0000-0000-0000-0000000000b1")
FUND = uuid.UUID("00000000-0000-0000-0000-0000000000f1")
BUDGET = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
SHUFFLES = 12


@pytest.fixture
async def facts(fresh_database: FreshDatabase) -> AsyncIterator[Sessions]:
    """A fresh monitoring database, for projecting events into directly."""
    async with sessions(await fresh_database("monitoring")) as sessionmaker:
        yield sessionmaker


def shuffled_twice(envelopes: list[Envelope], seed: int) -> list[Envelope]:
    """Every envelope, some of them twice (a redelivery), in a random order."""
    rng = random.Random(seed)
    again = rng.sample(envelopes, k=max(1, len(envelopes) // 2))
    mixed = envelopes + again
    rng.shuffle(mixed)
    return mixed


async def each_order(
    facts: Sessions,
    scenario: Callable[[uuid.UUID], list[Envelope]],
    check: Callable[[uuid.UUID], Any],
) -> None:
    """The scenario for a new participant per shuffle, then `check(participant)`."""
    for seed in range(SHUFFLES):
        participant = uuid.uuid4()
        await project(facts, shuffled_twice(scenario(participant), seed))
        await check(participant)


# --- application_facts --------------------------------------------------------------------------


def journey(participant: uuid.UUID, order: uuid.UUID | None = None) -> list[Envelope]:
    """One participant's events from every producer, at the times they happened."""
    order = order or uuid.uuid5(participant, "order")
    plan = uuid.uuid5(participant, "plan")
    applicant = uuid.uuid5(participant, "applicant")
    submitted = ApplicationSubmitted(
        application_id=participant,
        applicant_id=applicant,
        region="AZ-BA",
        categories=["low_income"],
        direction=None,
        partner_id=PARTNER,
        submitted_at=T0,
        round_id=ROUND,
        sex="female",
        age_band="30-39",
        source="partner",
    )
    enrolled = ParticipantEnrolled(
        participant_id=participant,
        applicant_id=applicant,
        region="AZ-GA",
        categories=["martyr_family", "low_income"],
        direction="beekeeping",
        partner_id=PARTNER,
        enrolled_at=T0 + 3 * DAY,
        round_id=None,  # not sent: the submission's is kept
        sex="female",
        age_band="40-49",
    )

    def approved(total: str, direction: str, when: datetime) -> Envelope:
        event = PlanApproved(
            plan_id=plan,
            participant_id=participant,
            region="AZ-GA",
            direction=direction,
            partner_id=PARTNER,
            items=[],
            total=Decimal(total),
            approved_at=when,
        )
        return at(event, when)

    def delivered(total: str, on: date, quantities: list[int], last: bool) -> Envelope:
        event = DeliveryCompleted(
            delivery_id=uuid.uuid5(participant, f"delivery-{on}"),
            order_id=order,
            plan_id=plan,
            participant_id=participant,
            region="AZ-GA",
            direction="sewing",
            partner_id=PARTNER,
            items=[
                DeliveredItem(asset_type="kit", quantity=q, unit_price=Decimal(1), serials=[])
                for q in quantities
            ],
            total=Decimal(total),
            delivered_on=on,
            order_delivered=last,
        )
        return at(event, datetime.combine(on, datetime.min.time(), T0.tzinfo))

    return [
        at(submitted, T0),
        at(ApplicationAssessed(application_id=participant, eligible=False), T0),
        # Re-assessed a day later: the later verdict stands.
        at(ApplicationAssessed(application_id=participant, eligible=True), T0 + DAY),
        at(
            ApplicationSelected(
                application_id=participant,
                round_id=ROUND,
                outcome="waitlisted",
                rank=3,
                region="AZ-GA",
            ),
            T0 + 2 * DAY,
        ),
        at(
            ApplicationSelected(
                application_id=participant,
                round_id=ROUND,
                outcome="selected",
                rank=1,
                region="AZ-GA",
            ),
            T0 + 3 * DAY,
        ),
        at(enrolled, T0 + 3 * DAY),
        approved("700.00", "poultry", T0 + 10 * DAY),
        # Reopened after a visit and approved again: its total and direction are kept.
        approved("721.00", "sewing", T0 + 40 * DAY),
        delivered("500.00", date(2026, 5, 20), [2, 1], last=True),
        delivered("221.00", date(2026, 4, 10), [1], last=False),
        at(
            CaseClosed(participant_id=participant, outcome="graduated", closed_on=date(2027, 5, 1)),
            T0 + 400 * DAY,
        ),
    ]


def expected_application(participant: uuid.UUID) -> dict[str, Any]:
    return {
        "application_id": participant,
        "applicant_id": uuid.uuid5(participant, "applicant"),
        "round_id": ROUND,
        "region": "AZ-GA",
        "categories": ["martyr_family", "low_income"],
        "direction": "sewing",
        "partner_id": PARTNER,
        "sex": "female",
        "age_band": "40-49",
        "source": "partner",
        "applied_at": T0,
        "eligible": True,
        "assessed_at": T0 + DAY,
        "selected_at": T0 + 3 * DAY,
        "enrolled_at": T0 + 3 * DAY,
        "enrollment_cancelled_at": None,
        "plan_approved_at": T0 + 10 * DAY,
        "plan_last_approved_at": T0 + 40 * DAY,
        "plan_total": Decimal("721.00"),
        "delivered_on": date(2026, 4, 10),
        "delivered_value": Decimal("721.00"),
        "outcome": "graduated",
        "closed_on": date(2027, 5, 1),
        # Generated by PostgreSQL: every stage of the funnel up to delivery, and their UTC days.
        "funnel_stage": 5,
        "applied_on": date(2026, 3, 1),
        "assessed_on": date(2026, 3, 2),
        "selected_on": date(2026, 3, 4),
        "plan_approved_on": date(2026, 3, 11),
    }


async def test_application_facts_are_the_same_whatever_the_order_and_however_often(
    facts: Sessions,
) -> None:
    async def check(participant: uuid.UUID) -> None:
        got = await row(facts, ApplicationFact, application_id=participant)
        assert got == expected_application(participant)

    await each_order(facts, journey, check)


async def test_each_stage_alone_sets_only_its_own_columns(facts: Sessions) -> None:
    participant = uuid.uuid4()
    events = journey(participant)
    await project(facts, [events[5]])  # the enrolment, before anything else
    enrolled = await row(facts, ApplicationFact, application_id=participant)
    assert enrolled is not None
    assert (enrolled["region"], enrolled["direction"], enrolled["enrolled_at"]) == (
        "AZ-GA",
        "beekeeping",
        T0 + 3 * DAY,
    )
    assert enrolled["applied_at"] is None
    assert enrolled["round_id"] is None
    # The submission arrives late: fills what the enrolment did not carry, changes nothing else.
    await project(facts, [events[0]])
    both = await row(facts, ApplicationFact, application_id=participant)
    assert both is not None
    assert both["round_id"] == ROUND
    assert both["applied_at"] == T0
    assert both["source"] == "partner"
    assert (both["region"], both["age_band"]) == ("AZ-GA", "40-49")
    assert both["categories"] == ["martyr_family", "low_income"]
    # Waitlisted is not a stage of the funnel.
    await project(facts, [events[3]])
    assert (await row(facts, ApplicationFact, application_id=participant) or {})[
        "selected_at"
    ] is None
    # A waitlisted application that was never anything else has no row at all.
    waiting = uuid.uuid4()
    await project(facts, [journey(waiting)[3]])
    assert await row(facts, ApplicationFact, application_id=waiting) is None


async def test_a_cancelled_enrolment_keeps_its_first_time(facts: Sessions) -> None:
    participant = uuid.uuid4()
    cancelled = EnrollmentCancelled(participant_id=participant, reason="withdrew")
    await project(
        facts,
        [at(cancelled, T0 + 9 * DAY), journey(participant)[5], at(cancelled, T0 + 5 * DAY)],
    )
    got = await row(facts, ApplicationFact, application_id=participant)
    assert got is not None
    assert got["enrollment_cancelled_at"] == T0 + 5 * DAY
    assert got["enrolled_at"] == T0 + 3 * DAY


# --- orders and deliveries ----------------------------------------------------------------------


def order_events(participant: uuid.UUID) -> list[Envelope]:
    """Opened, waiting, reserved, revised (waiting again, reserved for less), placed, then
    handed over in two parts."""
    order = uuid.uuid5(participant, "order")
    plan = uuid.uuid5(participant, "plan")
    ids = {"order_id": order, "plan_id": plan, "participant_id": participant}

    def delivery(part: int, last: bool) -> Envelope:
        event = DeliveryCompleted(
            delivery_id=uuid.uuid5(participant, f"part-{part}"),
            region="AZ-GA",
            direction="sewing",
            items=[DeliveredItem(asset_type="kit", quantity=2, unit_price=Decimal(1), serials=[])],
            total=Decimal("300.00"),
            delivered_on=date(2026, 6, part),
            order_delivered=last,
            **ids,
        )
        return at(event, T0 + (10 + part) * DAY)

    return [
        at(OrderOpened(total=Decimal("721.00"), **ids), T0),
        at(
            OrderAwaitingBudget(fund_id=FUND, budget_id=None, amount=Decimal("721.00"), **ids),
            T0 + DAY,
        ),
        at(
            OrderReserved(fund_id=FUND, budget_id=BUDGET, amount=Decimal("721.00"), **ids),
            T0 + 2 * DAY,
        ),
        at(
            OrderAwaitingBudget(fund_id=FUND, budget_id=BUDGET, amount=Decimal("600.00"), **ids),
            T0 + 3 * DAY,
        ),
        at(
            OrderReserved(fund_id=FUND, budget_id=BUDGET, amount=Decimal("600.00"), **ids),
            T0 + 4 * DAY,
        ),
        at(
            OrderPlaced(order_id=order, participant_id=participant, amount=Decimal("600.00")),
            T0 + 5 * DAY,
        ),
        delivery(1, last=False),
        delivery(2, last=True),
    ]


async def test_order_facts_only_move_forward_whatever_the_order(facts: Sessions) -> None:
    async def check(participant: uuid.UUID) -> None:
        order = uuid.uuid5(participant, "order")
        assert await row(facts, OrderFact, order_id=order) == {
            "order_id": order,
            "participant_id": participant,
            "plan_id": uuid.uuid5(participant, "plan"),
            "fund_id": FUND,
            "budget_id": BUDGET,
            "total": Decimal("721.00"),
            "reserved": Decimal("600.00"),  # the latest reservation
            "reserved_at": T0 + 4 * DAY,
            "status": "delivered",
            "delivered_value": Decimal("600.00"),
            "released": None,
        }
        application = await row(facts, ApplicationFact, application_id=participant)
        assert application is not None
        assert application["delivered_on"] == date(2026, 6, 1)
        assert application["delivered_value"] == Decimal("600.00")

    await each_order(facts, order_events, check)


async def test_an_order_partly_delivered_stays_ordered(facts: Sessions) -> None:
    participant = uuid.uuid4()
    events = order_events(participant)
    await project(facts, [events[6], events[0], events[4], events[5]])
    got = await row(facts, OrderFact, order_id=uuid.uuid5(participant, "order"))
    assert got is not None
    assert (got["status"], got["delivered_value"]) == ("ordered", Decimal("300.00"))


async def test_a_cancelled_order_stays_cancelled(facts: Sessions) -> None:
    def scenario(participant: uuid.UUID) -> list[Envelope]:
        opened, _, reserved = order_events(participant)[:3]
        order, plan = uuid.uuid5(participant, "order"), uuid.uuid5(participant, "plan")
        cancelled = OrderCancelled(
            order_id=order,
            plan_id=plan,
            participant_id=participant,
            released=Decimal("721.00"),
            reason="plan_cancelled",
        )
        return [opened, reserved, at(cancelled, T0 + 9 * DAY)]

    async def check(participant: uuid.UUID) -> None:
        got = await row(facts, OrderFact, order_id=uuid.uuid5(participant, "order"))
        assert got is not None
        assert (got["status"], got["released"], got["reserved"]) == (
            "cancelled",
            Decimal("721.00"),
            Decimal("721.00"),
        )

    await each_order(facts, scenario, check)


async def test_delivery_facts_count_each_delivery_once(facts: Sessions) -> None:
    participant = uuid.uuid4()
    events = journey(participant)
    deliveries = events[8:10]
    await project(facts, deliveries + deliveries[::-1] + deliveries)
    async with facts() as session:
        got = (
            await session.execute(
                select(DeliveryFact.total, DeliveryFact.items, DeliveryFact.delivered_on)
                .where(DeliveryFact.participant_id == participant)
                .order_by(DeliveryFact.delivered_on)
            )
        ).all()
    assert [tuple(r) for r in got] == [
        (Decimal("221.00"), 1, date(2026, 4, 10)),
        (Decimal("500.00"), 3, date(2026, 5, 20)),
    ]
    application = await row(facts, ApplicationFact, application_id=participant)
    assert application is not None
    assert application["delivered_value"] == Decimal("721.00")


# --- visits, trainings, budgets -----------------------------------------------------------------


async def test_the_highest_revision_of_a_visit_report_wins(facts: Sessions) -> None:
    def scenario(participant: uuid.UUID) -> list[Envelope]:
        visit = uuid.uuid5(participant, "visit")
        return [
            at(
                VisitReported(
                    visit_id=visit,
                    participant_id=participant,
                    month=3,
                    due_on=date(2026, 8, 31),
                    visited_on=date(2026, 9, 2),
                    operating=revision != 2,
                    income=Decimal(100 * revision),
                    costs=Decimal("50.00"),
                    jobs=revision,
                    revision=revision,
                ),
                # Corrections made offline may be sent in any order.
                T0 + (10 - revision) * DAY,
            )
            for revision in (1, 2, 3)
        ]

    async def check(participant: uuid.UUID) -> None:
        visit = uuid.uuid5(participant, "visit")
        assert await row(facts, VisitFact, visit_id=visit) == {
            "visit_id": visit,
            "participant_id": participant,
            "month": 3,
            "due_on": date(2026, 8, 31),
            "visited_on": date(2026, 9, 2),
            "operating": True,
            "income": Decimal("300.00"),
            "costs": Decimal("50.00"),
            "jobs": 3,
            "revision": 3,
        }

    await each_order(facts, scenario, check)


async def test_a_training_completed_twice_is_one_fact(facts: Sessions) -> None:
    participant = uuid.uuid4()
    completed = [
        TrainingCompleted(
            participant_id=participant,
            course_id=uuid.UUID(int=5),
            session_id=session,
            direction="beekeeping",
            run_by_partner_id=PARTNER,
            completed_on=date(2026, 4, 1),
        )
        for session in (uuid.UUID(int=1), uuid.UUID(int=2))
    ]
    first = at(completed[0], T0)
    await project(facts, [first, first, at(completed[1], T0), first])
    async with facts() as session:
        got = await session.scalars(
            select(TrainingFact.session_id)
            .where(TrainingFact.participant_id == participant)
            .order_by(TrainingFact.session_id)
        )
        assert list(got) == [uuid.UUID(int=1), uuid.UUID(int=2)]


async def test_the_latest_allocation_of_a_budget_wins(facts: Sessions) -> None:
    def scenario(participant: uuid.UUID) -> list[Envelope]:
        budget = uuid.uuid5(participant, "budget")  # one budget per shuffle
        return [
            at(
                BudgetChanged(
                    fund_id=FUND,
                    budget_id=budget,
                    round="2026",
                    period_start=date(2026, 1, 1),
                    period_end=date(2026, 12, 31),
                    allocated=Decimal(allocated),
                    fund_partner_id=PARTNER,
                ),
                T0 + n * DAY,
            )
            for n, allocated in enumerate(("500000.00", "750000.00", "600000.00"))
        ]

    async def check(participant: uuid.UUID) -> None:
        budget = uuid.uuid5(participant, "budget")
        assert await row(facts, BudgetFact, budget_id=budget) == {
            "budget_id": budget,
            "fund_id": FUND,
            "fund_partner_id": PARTNER,
            "round": "2026",
            "period_start": date(2026, 1, 1),
            "period_end": date(2026, 12, 31),
            "allocated": Decimal("600000.00"),
            "changed_at": T0 + 2 * DAY,
        }

    await each_order(facts, scenario, check)


# --- the timeline and the registry --------------------------------------------------------------


async def test_the_timeline_has_each_lifecycle_event_once(facts: Sessions) -> None:
    participant = uuid.uuid4()
    events = journey(participant)
    budget = at(
        BudgetChanged(
            fund_id=FUND,
            budget_id=uuid.uuid4(),
            round="2026",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            allocated=Decimal(1),
        ),
        T0,
    )
    await project(facts, shuffled_twice([*events, budget], seed=1))
    async with facts() as session:
        ids = list(await session.scalars(select(TimelineEntry.event_id)))
    assert sorted(ids) == sorted(envelope.id for envelope in events)  # not the budget


def test_every_lifecycle_event_and_every_fact_has_a_projection() -> None:
    lifecycle = {t for t, model in EVENT_TYPES.items() if model.lifecycle}
    assert lifecycle | set(FACTS) == set(PROJECTIONS)
    assert set(FACTS) <= set(EVENT_TYPES)


# --- through the service, over NATS -------------------------------------------------------------


async def test_events_reach_the_facts_through_the_service_in_any_order(
    start_service: StartService, auth: Auth, dev_keys: Path
) -> None:
    monitoring = await start_service("monitoring")
    namespace = monitoring.settings.nats_namespace
    participant = uuid.uuid4()
    events = journey(participant)
    submitted, assessed, enrolled = events[0], events[2], events[5]
    training = at(
        TrainingCompleted(
            participant_id=participant,
            course_id=uuid.UUID(int=5),
            session_id=uuid.UUID(int=6),
            direction="beekeeping",
            run_by_partner_id=None,
            completed_on=date(2026, 4, 1),
        ),
        T0 + 5 * DAY,
    )
    assert monitoring.connect_as is not None
    nc = await monitoring.connect_as(OPERATOR)  # publishes as plans and intake
    # Plans' news first, then intake's, late and out of order, some of it twice.
    await publish(nc, namespace, [training])
    await publish(nc, namespace, [enrolled, assessed, submitted])
    await publish(nc, namespace, [enrolled, training], tag="again-")
    durables = {p: f"{namespace}_monitoring-from-{p}" for p in PRODUCERS}
    await caught_up(nc, namespace, durables)

    async with sessions(monitoring.settings.database_url) as sessionmaker:
        got = await row(sessionmaker, ApplicationFact, application_id=participant)
        async with sessionmaker() as session:
            trainings = await session.scalar(
                select(func.count()).where(TrainingFact.participant_id == participant)
            )
    assert got is not None
    assert (got["region"], got["round_id"], got["age_band"], got["direction"]) == (
        "AZ-GA",
        ROUND,
        "40-49",
        "beekeeping",
    )
    assert (got["applied_at"], got["enrolled_at"], got["eligible"]) == (T0, T0 + 3 * DAY, True)
    assert trainings == 1

    url = f"/v1/cases/{participant}/timeline"
    timeline = await monitoring.client.get(url, headers=auth("monitor"))
    assert timeline.status_code == 200, timeline.text
    assert [e["event_type"] for e in timeline.json()["entries"]] == [
        "intake.application.submitted",
        "intake.application.assessed",
        "intake.participant.enrolled",
        "plans.training.completed",
    ]

    # A partner sees the timeline of those it referred only; another's looks missing.
    def partner(partner_id: uuid.UUID) -> dict[str, str]:
        token = mint_token(dev_keys, roles=["monitor"], subject="p", partner_id=partner_id)
        return {"Authorization": f"Bearer {token}"}

    assert (await monitoring.client.get(url, headers=partner(PARTNER))).status_code == 200
    other = await monitoring.client.get(url, headers=partner(uuid.uuid4()))
    assert other.status_code == 404, other.text
    missing = await monitoring.client.get(
        f"/v1/cases/{uuid.uuid4()}/timeline", headers=auth("monitor")
    )
    assert missing.status_code == 404


# --- the journey across the four services as real processes -------------------------------------


@pytest.mark.e2e
async def test_the_journey_fills_the_facts_from_application_to_delivery(
    launch_services: LaunchServices, fresh_database: FreshDatabase, dev_keys: Path
) -> None:
    others = await launch_services("intake", "plans", "assets")
    database = await fresh_database("monitoring")
    monitoring = await launch_services("monitoring", env={"MONITORING_DATABASE_URL": database})
    services = {**others, **monitoring}
    clients = {
        name: httpx.AsyncClient(base_url=service.url, timeout=10)
        for name, service in services.items()
    }

    def token(role: str, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(dev_keys, roles=[role], subject=subject)}"}

    try:
        result = await run_journey(
            clients["intake"], clients["plans"], clients["assets"], clients["monitoring"], token
        )
    finally:
        for client in clients.values():
            await client.aclose()

    participant = uuid.UUID(result["participant_id"])
    async with sessions(database) as sessionmaker:

        async def delivered() -> dict[str, Any] | None:
            got = await row(sessionmaker, ApplicationFact, application_id=participant)
            return got if got and got["delivered_value"] is not None else None

        facts = await eventually(delivered, "the delivery in the application's facts")
        order = await row(sessionmaker, OrderFact, order_id=uuid.UUID(result["order_id"]))
        async with sessionmaker() as session:
            items = await session.scalar(
                select(DeliveryFact.items).where(DeliveryFact.participant_id == participant)
            )
            budgets = (await session.execute(select(BudgetFact.round, BudgetFact.allocated))).all()

    times = ("applied_at", "assessed_at", "enrolled_at", "plan_approved_at")
    assert all(facts[name] is not None for name in times), facts
    assert facts["applied_at"] <= facts["enrolled_at"] <= facts["plan_approved_at"]
    assert facts["plan_approved_at"] == facts["plan_last_approved_at"]
    assert {
        name: facts[name]
        for name in (
            "region",
            "categories",
            "direction",
            "partner_id",
            "sex",
            "source",
            "eligible",
            "selected_at",  # enrolled directly, without a round's selection
            "enrollment_cancelled_at",
            "plan_total",
            "delivered_on",
            "delivered_value",
            "outcome",
        )
    } == {
        "region": "AZ-GA",
        "categories": ["martyr_family"],
        "direction": "beekeeping",
        "partner_id": None,
        "sex": "female",
        "source": "staff",
        "eligible": True,
        "selected_at": None,
        "enrollment_cancelled_at": None,
        "plan_total": Decimal("721.00"),
        "delivered_on": date(2026, 1, 31),
        "delivered_value": Decimal("721.00"),
        "outcome": None,
    }
    assert facts["applicant_id"] is not None
    assert facts["age_band"] is not None
    assert order is not None
    assert (order["status"], order["total"], order["reserved"], order["delivered_value"]) == (
        "delivered",
        Decimal("721.00"),
        Decimal("721.00"),
        Decimal("721.00"),
    )
    assert order["fund_id"] == uuid.UUID(STATE_FUND)
    assert order["budget_id"] is not None
    assert items == 3  # two hives and an extractor
    assert [tuple(b) for b in budgets] == [("journey", Decimal("100000.00"))]
