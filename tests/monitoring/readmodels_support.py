"""Helpers for the read-model tests: events with chosen times, projecting them, snapshots of the
read-model tables, a generated programme's events, and live consumers of the read models only."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monitoring.readmodels.models import READ_MODELS, TimelineEntry
from monitoring.readmodels.projections import PROJECTIONS
from shared.db import create_engine, create_sessionmaker
from shared.events import (
    EVENT_TYPES,
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
from shared.messaging.consumer import Consumer, Handler
from shared.messaging.jetstream import PRODUCERS, stream_name, subject_for
from tests.services.journey import eventually

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Snapshot = dict[str, list[tuple[Any, ...]]]


def at(event: Event, when: datetime) -> Envelope:
    """The event's envelope, as if it had been written at `when`."""
    return Envelope.wrap(event).model_copy(update={"time": when})


@asynccontextmanager
async def sessions(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def project(
    sessionmaker: async_sessionmaker[AsyncSession], envelopes: Iterable[Envelope]
) -> None:
    """Each envelope through its projection, one transaction each, as the live consumer does."""
    for envelope in envelopes:
        event = EVENT_TYPES[envelope.type].model_validate(envelope.data)
        async with sessionmaker() as session, session.begin():
            await PROJECTIONS[envelope.type](session, event, envelope)


async def row(
    sessionmaker: async_sessionmaker[AsyncSession], model: Any, **key: Any
) -> dict[str, Any] | None:
    table = model.__table__
    query = select(table).where(*(table.c[name] == value for name, value in key.items()))
    async with sessionmaker() as session:
        found = (await session.execute(query)).mappings().all()
    assert len(found) <= 1
    return dict(found[0]) if found else None


async def snapshot(sessionmaker: async_sessionmaker[AsyncSession]) -> Snapshot:
    """Every read-model table's rows, in a stable order, without surrogate ids and recording
    times."""
    taken: Snapshot = {}
    async with sessionmaker() as session:
        for model in READ_MODELS:
            table = model.__table__
            skip = {"id", "recorded_at"} if model is TimelineEntry else set()
            columns = [column for column in table.c if column.name not in skip]
            rows = (await session.execute(select(*columns))).all()
            taken[model.__tablename__] = sorted((tuple(r) for r in rows), key=repr)
    return taken


# --- a generated programme ----------------------------------------------------------------------


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


def generate(seed: int, participants: int, budgets: int = 3) -> Programme:
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


# --- streams and live consumers of the read models ---------------------------------------------


async def publish(nc: NATS, namespace: str, envelopes: Iterable[Envelope], tag: str = "") -> None:
    """Each envelope as a stream message; a `tag` makes a second copy (a new message id)."""
    js = nc.jetstream()
    for envelope in envelopes:
        await js.publish(
            subject_for(namespace, envelope.type),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"{tag}{envelope.id}"},
        )


def read_model_handlers() -> dict[str, dict[str, Handler]]:
    """PROJECTIONS by producer: what monitoring's consumers run first for each event."""
    by_producer: dict[str, dict[str, Handler]] = defaultdict(dict)
    for event_type, projection in PROJECTIONS.items():
        by_producer[EVENT_TYPES[event_type].source_service][event_type] = projection
    return by_producer


@asynccontextmanager
async def live_consumers(
    nc: NATS, namespace: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[list[Consumer]]:
    """Durable consumers with an inbox, like the service's, running the projections only."""
    consumers = [
        Consumer(
            name=f"monitoring-from-{producer}",
            producer=producer,
            handlers=handlers,
            sessionmaker=sessionmaker,
            nc=nc,
            namespace=namespace,
            fetch_timeout=0.5,
        )
        for producer, handlers in read_model_handlers().items()
    ]
    tasks = [asyncio.create_task(consumer.run()) for consumer in consumers]
    try:
        yield consumers
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def caught_up(nc: NATS, namespace: str, durables: dict[str, str]) -> None:
    """Waits until each producer's durable consumer (`durables[producer]`) has acknowledged its
    stream's last message."""
    js = nc.jetstream()

    async def done() -> bool:
        for producer in PRODUCERS:
            stream = stream_name(namespace, producer)
            last = (await js.stream_info(stream)).state.last_seq
            if last == 0:
                continue
            try:
                info = await js.consumer_info(stream, durables[producer])
            except NotFoundError:
                return False  # not subscribed yet
            if info.ack_floor.stream_seq < last:
                return False
        return True

    await eventually(done, "the consumers to apply every event")
