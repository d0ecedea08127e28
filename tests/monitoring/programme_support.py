"""A generated programme for the monitoring tests and benchmarks, from a seed: its facts (the
read-model rows the projections would write, for the reports) or its events (for the projections
themselves). Callers compute what they expect from what was generated."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from monitoring.readmodels.models import (
    ApplicationFact,
    BudgetFact,
    DeliveryFact,
    OrderFact,
    TrainingFact,
    VisitFact,
)
from shared.db import UTCDateTime
from shared.events import (
    ApplicationAssessed,
    ApplicationSelected,
    ApplicationSubmitted,
    AssetItem,
    BudgetChanged,
    CaseClosed,
    DeliveredItem,
    DeliveryCompleted,
    EnrollmentCancelled,
    Envelope,
    Event,
    OrderCancelled,
    OrderOpened,
    OrderPlaced,
    OrderReserved,
    ParticipantEnrolled,
    PlanApproved,
    TrainingCompleted,
    VisitReported,
)
from tests.monitoring.readmodels_support import T0, at
from tests.service_fixtures import Service

# --- its facts, for the reports -----------------------------------------------------------------

REGIONS = ["AZ-BA", "AZ-GA", "AZ-SA", "AZ-LA"]
DIRECTIONS = ["beekeeping", "poultry", "sewing"]
CATEGORIES = ["martyr_family", "war_participant", "disability", "unemployed", "idp"]
PARTNERS = [uuid.UUID(int=0xA1), uuid.UUID(int=0xB2)]
SMALL_PARTNER = uuid.UUID(int=0xC3)  # three participants only: its figures are small cells
STATE_FUND = uuid.UUID("00000000-0000-0000-0000-0000000000f1")
PARTNER_FUND = uuid.UUID(int=0xF2)


@dataclass
class Facts:
    applications: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    trainings: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)


def _at(rnd: random.Random, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=rnd.randint(0, 86399)
    )


def generate_facts(seed: int = 2017, n: int = 420) -> Facts:
    """Applications over 2017-2021, each going as far down the funnel as chance lets it."""
    rnd = random.Random(seed)
    facts = Facts()
    for i in range(n):
        if i < 3:
            partner: uuid.UUID | None = SMALL_PARTNER
        else:
            partner = rnd.choice([None, None, *PARTNERS])
        year = rnd.choices([2017, 2018, 2019, 2020, 2021], weights=[1, 2, 3, 4, 5])[0]
        applied_at = _at(rnd, date(year, 1, 1) + timedelta(days=rnd.randint(0, 200)))
        row: dict[str, Any] = {
            "application_id": uuid.UUID(int=i + 1),
            "applicant_id": uuid.UUID(int=10_000 + i),
            "round_id": uuid.UUID(int=year),
            "region": rnd.choice(REGIONS),
            "categories": rnd.sample(CATEGORIES, rnd.randint(1, 2)),
            "direction": rnd.choice(DIRECTIONS),
            "partner_id": partner,
            "sex": rnd.choice(["male", "female"]),
            "age_band": rnd.choice(["18-29", "30-39", "40-49", "50-59"]),
            "source": "partner" if partner else "staff",
            "applied_at": applied_at,
            "eligible": None,
            "assessed_at": None,
            "selected_at": None,
            "enrolled_at": None,
            "enrollment_cancelled_at": None,
            "plan_approved_at": None,
            "plan_total": None,
            "delivered_on": None,
            "delivered_value": None,
        }
        facts.applications.append(row)
        sure = i < 3  # the small partner's three go all the way
        if rnd.random() < 0.1 and not sure:
            continue  # not assessed yet
        row["assessed_at"] = applied_at + timedelta(days=rnd.randint(0, 6), hours=rnd.randint(0, 9))
        row["eligible"] = sure or rnd.random() < 0.8
        if not row["eligible"]:
            continue
        chance = rnd.random()
        if sure or chance < 0.65:
            row["selected_at"] = row["assessed_at"] + timedelta(days=rnd.randint(5, 60))
            row["enrolled_at"] = row["selected_at"] + timedelta(days=rnd.randint(0, 4))
        elif chance < 0.72:  # enrolled by hand, without a selection run
            row["enrolled_at"] = row["assessed_at"] + timedelta(days=rnd.randint(5, 60))
        else:
            continue
        if rnd.random() < 0.05 and not sure:
            row["enrollment_cancelled_at"] = row["enrolled_at"] + timedelta(days=10)
            continue
        if not sure and rnd.random() < 0.15:
            continue
        row["plan_approved_at"] = row["enrolled_at"] + timedelta(days=rnd.randint(15, 70))
        row["plan_total"] = Decimal(rnd.randint(1500, 9000))
        if not sure and rnd.random() < 0.1:
            continue
        delivered_on = row["plan_approved_at"].date() + timedelta(days=rnd.randint(7, 45))
        total = row["plan_total"] - Decimal(rnd.randint(0, 300))
        row["delivered_on"] = delivered_on
        row["delivered_value"] = total
        facts.deliveries.append(
            {
                "delivery_id": uuid.uuid4(),
                "order_id": uuid.uuid4(),
                "participant_id": row["application_id"],
                "total": total,
                "items": rnd.randint(1, 6),
                "delivered_on": delivered_on,
            }
        )
        operating = True
        for month in (1, 3, 6, 12):
            if rnd.random() < 0.12:
                break  # still under follow-up: later visits not yet done
            operating = operating and rnd.random() < 0.9
            due = delivered_on + timedelta(days=month * 30)
            facts.visits.append(
                {
                    "visit_id": uuid.uuid4(),
                    "participant_id": row["application_id"],
                    "month": month,
                    "due_on": due,
                    "visited_on": due + timedelta(days=rnd.randint(-5, 20)),
                    "operating": operating,
                    "income": Decimal(rnd.randint(0, 900)),
                    "costs": Decimal(rnd.randint(0, 400)),
                    "jobs": rnd.randint(1, 3),
                    "revision": 1,
                }
            )
    # Training sessions: partners run some, the ministry the rest.
    enrolled = [a for a in facts.applications if a["enrolled_at"] is not None]
    sessions = [(uuid.UUID(int=50_000 + s), rnd.choice([None, *PARTNERS])) for s in range(14)]
    for a in enrolled:
        for session_id, runner in rnd.sample(sessions, rnd.randint(0, 2)):
            facts.trainings.append(
                {
                    "participant_id": a["application_id"],
                    "session_id": session_id,
                    "course_id": uuid.UUID(int=60_000),
                    "direction": a["direction"],
                    "run_by_partner_id": runner,
                    "completed_on": (a["enrolled_at"] + timedelta(days=20)).date(),
                }
            )
    # Budgets per round, and orders in every state.
    for year in (2020, 2021):
        facts.budgets.append(
            {
                "budget_id": uuid.UUID(int=70_000 + year),
                "fund_id": STATE_FUND,
                "fund_partner_id": None,
                "round": str(year),
                "period_start": date(year, 1, 1),
                "period_end": date(year, 12, 31),
                "allocated": Decimal("200000.00"),
            }
        )
    facts.budgets.append(
        {
            "budget_id": uuid.UUID(int=80_000),
            "fund_id": PARTNER_FUND,
            "fund_partner_id": PARTNERS[0],
            "round": "2021",
            "period_start": date(2021, 1, 1),
            "period_end": date(2021, 12, 31),
            "allocated": Decimal("30000.00"),
        }
    )
    statuses = ["open", "awaiting_budget", "reserved", "ordered", "delivered", "cancelled"]
    for i in range(90):
        budget = rnd.choice(facts.budgets)
        status = rnd.choices(statuses, weights=[1, 2, 3, 2, 5, 1])[0]
        total = Decimal(rnd.randint(1000, 4000)) + Decimal("0.50")
        reserved = total if status in ("reserved", "ordered", "delivered", "cancelled") else None
        facts.orders.append(
            {
                "order_id": uuid.UUID(int=90_000 + i),
                "participant_id": uuid.uuid4(),
                "plan_id": uuid.uuid4(),
                "fund_id": budget["fund_id"] if status != "open" else None,
                "budget_id": budget["budget_id"] if status != "open" else None,
                "total": total,
                "reserved": reserved,
                "status": status,
                "delivered_value": total if status == "delivered" else None,
                "released": total if status == "cancelled" else None,
            }
        )
    return facts


async def load(monitoring: Service, facts: Facts) -> None:
    tables = [
        (ApplicationFact, facts.applications),
        (VisitFact, facts.visits),
        (DeliveryFact, facts.deliveries),
        (TrainingFact, facts.trainings),
        (BudgetFact, facts.budgets),
        (OrderFact, facts.orders),
    ]
    async with monitoring.runtime.sessionmaker() as session, session.begin():
        for model, rows in tables:
            if rows:
                await session.execute(insert(model), [with_required(model, row) for row in rows])


def with_required(model: Any, row: dict[str, Any]) -> dict[str, Any]:
    """Bookkeeping timestamps the projections keep (not figures): now, where required."""
    filled = dict(row)
    for column in model.__table__.columns:
        if (
            column.name not in filled
            and not column.nullable
            and column.default is None
            and column.server_default is None
            and isinstance(column.type, UTCDateTime)
        ):
            filled[column.name] = datetime.now(UTC)
    return filled


# --- its events, for the projections ------------------------------------------------------------


@dataclass
class Programme:
    """Events of a generated programme, and figures computed from the generator's own records."""

    envelopes: list[Envelope] = field(default_factory=list)
    participants: list[uuid.UUID] = field(default_factory=list)
    delivered_value: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    first_delivery: dict[uuid.UUID, date] = field(default_factory=dict)
    latest_visit: dict[uuid.UUID, VisitReported] = field(default_factory=dict)
    allocated: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    trainings: int = 0

    def add(self, event: Event, when: datetime) -> None:
        self.envelopes.append(at(event, when))


def generate_events(seed: int, participants: int, budgets: int = 3) -> Programme:
    """A programme's events in a plausible order per participant; callers shuffle them."""
    rng = random.Random(seed)
    programme = Programme()
    fund = uuid.UUID(int=rng.getrandbits(128))
    budget_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(budgets)]
    for n, budget_id in enumerate(budget_ids):
        for change in range(rng.randint(1, 3)):
            allocated = Decimal(rng.randint(10, 90) * 1000)
            programme.add(
                BudgetChanged(
                    fund_id=fund,
                    budget_id=budget_id,
                    round=f"round-{n}",
                    period_start=date(2026, 1, 1),
                    period_end=date(2026, 12, 31),
                    allocated=allocated,
                    fund_partner_id=None if n == 0 else fund,
                ),
                T0 + timedelta(hours=change),
            )
            programme.allocated[budget_id] = allocated
    for _ in range(participants):
        _participant(rng, programme, fund, budget_ids)
    return programme


def _participant(
    rng: random.Random, programme: Programme, fund: uuid.UUID, budgets: Sequence[uuid.UUID]
) -> None:
    pid = uuid.UUID(int=rng.getrandbits(128))
    programme.participants.append(pid)
    partner = rng.choice([None, uuid.UUID(int=7)])
    region = rng.choice(["AZ-BA", "AZ-GA", "AZ-SM"])
    direction = rng.choice(["beekeeping", "poultry", "sewing"])
    when = T0 + timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
    facts = {
        "applicant_id": uuid.UUID(int=rng.getrandbits(128)),
        "region": region,
        "categories": rng.choice([["martyr_family"], ["war_participant", "disability"], []]),
        "partner_id": partner,
        "round_id": uuid.UUID(int=1),
        "sex": rng.choice(["male", "female"]),
        "age_band": rng.choice(["18-29", "30-39", "40-49"]),
    }
    programme.add(
        ApplicationSubmitted(
            application_id=pid,
            direction=None,
            submitted_at=when,
            source="partner" if partner else "staff",
            **facts,
        ),
        when,
    )
    eligible = rng.random() < 0.8
    programme.add(ApplicationAssessed(application_id=pid, eligible=eligible), when)
    if not eligible:
        return
    when += timedelta(days=rng.randint(1, 20))
    outcome = rng.choice(["selected", "waitlisted"])
    programme.add(
        ApplicationSelected(
            application_id=pid, round_id=uuid.UUID(int=1), outcome=outcome, rank=1, region=region
        ),
        when,
    )
    if outcome == "waitlisted":
        return
    programme.add(
        ParticipantEnrolled(participant_id=pid, direction=direction, enrolled_at=when, **facts),
        when,
    )
    if rng.random() < 0.1:
        programme.add(EnrollmentCancelled(participant_id=pid, reason="withdrew"), when)
        return
    if rng.random() < 0.4:
        session = uuid.UUID(int=rng.getrandbits(128))
        completed = TrainingCompleted(
            participant_id=pid,
            course_id=uuid.UUID(int=3),
            session_id=session,
            direction=direction,
            run_by_partner_id=partner,
            completed_on=(when + timedelta(days=5)).date(),
        )
        programme.add(completed, when + timedelta(days=5))
        programme.trainings += 1
    plan = uuid.UUID(int=rng.getrandbits(128))
    total = Decimal(rng.randint(300, 3000)) + Decimal("0.50")
    for approval in range(rng.choice([1, 1, 2])):
        when += timedelta(days=rng.randint(5, 30))
        programme.add(
            PlanApproved(
                plan_id=plan,
                participant_id=pid,
                region=region,
                direction=direction,
                partner_id=partner,
                items=[AssetItem(asset_type="kit", quantity=1, unit_price=total, total=total)],
                total=total + approval,
                approved_at=when,
            ),
            when,
        )
    order = uuid.UUID(int=rng.getrandbits(128))
    programme.add(OrderOpened(order_id=order, plan_id=plan, participant_id=pid, total=total), when)
    budget = rng.choice(list(budgets))
    programme.add(
        OrderReserved(
            order_id=order,
            plan_id=plan,
            participant_id=pid,
            fund_id=fund,
            budget_id=budget,
            amount=total,
        ),
        when + timedelta(minutes=1),
    )
    if rng.random() < 0.1:
        programme.add(
            OrderCancelled(
                order_id=order, plan_id=plan, participant_id=pid, released=total, reason="x"
            ),
            when + timedelta(days=1),
        )
        return
    programme.add(
        OrderPlaced(order_id=order, participant_id=pid, amount=total), when + timedelta(days=1)
    )
    parts = rng.choice([1, 2])
    for part in range(parts):
        delivered_on = (when + timedelta(days=10 + 7 * part)).date()
        amount = (total / parts).quantize(Decimal("0.01"))
        programme.add(
            DeliveryCompleted(
                delivery_id=uuid.UUID(int=rng.getrandbits(128)),
                order_id=order,
                plan_id=plan,
                participant_id=pid,
                region=region,
                direction=direction,
                partner_id=partner,
                items=[
                    DeliveredItem(
                        asset_type="kit", quantity=rng.randint(1, 4), unit_price=amount, serials=[]
                    )
                ],
                total=amount,
                delivered_on=delivered_on,
                order_delivered=part == parts - 1,
            ),
            datetime.combine(delivered_on, datetime.min.time(), UTC),
        )
        programme.delivered_value[pid] = programme.delivered_value.get(pid, Decimal(0)) + amount
        programme.first_delivery.setdefault(pid, delivered_on)
    handover = programme.first_delivery[pid]
    for month in (1, 3, 6, 12)[: rng.randint(0, 4)]:
        visit = uuid.UUID(int=rng.getrandbits(128))
        visited_on = handover + timedelta(days=30 * month)
        for revision in range(1, rng.randint(1, 3) + 1):
            report = VisitReported(
                visit_id=visit,
                participant_id=pid,
                month=month,
                due_on=visited_on,
                visited_on=visited_on,
                operating=rng.random() < 0.85,
                income=Decimal(rng.randint(0, 900)),
                costs=Decimal(rng.randint(0, 400)),
                jobs=rng.randint(0, 3),
                revision=revision,
            )
            programme.add(report, datetime.combine(visited_on, datetime.min.time(), UTC))
            programme.latest_visit[visit] = report
        if month == 12:
            programme.add(
                CaseClosed(participant_id=pid, outcome="graduated", closed_on=visited_on),
                datetime.combine(visited_on, datetime.min.time(), UTC),
            )
