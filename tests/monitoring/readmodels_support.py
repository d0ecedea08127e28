"""Helpers for the read-model tests: events with chosen times, projecting them, snapshots of the
read-model tables, and live consumers of the read models only (a generated programme's events are
in programme_support)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
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
    Envelope,
    Event,
)
from shared.messaging.consumer import Consumer, Handler
from shared.messaging.jetstream import PRODUCERS, stream_name, subject_for
from tests.journey_support import eventually

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
