"""Rebuilding the read models from the streams:
`python -m monitoring.readmodels.rebuild` (or `make rebuild-read-models`).

The read-model tables (models.READ_MODELS: the timeline and the fact tables; never visits, cases,
flags, nor the outbox, inbox and partner keys) are emptied, then each producer's stream (intake,
plans, assets, monitoring) is replayed from its first message to the last one it held when the
rebuild began, through the same PROJECTIONS the live consumers run, one transaction per batch.
Settings come from the environment like the service's: MONITORING_DATABASE_URL,
MONITORING_NATS_URL, MONITORING_NATS_NAMESPACE and monitoring's NATS identity
(MONITORING_NATS_NKEY_SEED_FILE, ...).

The replay reads through a temporary pull consumer of its own (`monitoring-rebuild`, the one NATS
permits monitoring to make on every stream), so the durable consumers of the running service keep
their positions and never see it; the consumer is deleted at the end, and NATS removes it by
itself if the rebuild dies.

Safe while the service runs, because every projection is an idempotent upsert whose result does
not depend on the order of events (see projections.py):
- the tables are emptied first and the streams' last sequences read afterwards, so an event the
  live consumer applied before the emptying is at or below those sequences and is replayed, and
  one published later is applied by the live consumer into the emptied tables;
- an event applied by both the live consumer and the replay, in either order, counts once;
- a batch that deadlocks with the live consumer (both lock the same fact rows) is tried again.
So when the rebuild ends the tables hold exactly what the live consumers alone would have built.
Reports read while it runs see partial figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monitoring.readmodels.models import READ_MODELS
from monitoring.readmodels.projections import PROJECTIONS
from monitoring.settings import MonitoringSettings
from shared.db import create_engine, create_sessionmaker
from shared.events import Envelope, Event, event_model
from shared.messaging.identities import REBUILD_CONSUMER, nats_identity
from shared.messaging.jetstream import PRODUCERS, durable_name, stream_name, subject_for

log = logging.getLogger(__name__)

# Deadlock and serialization failure: the batch is simply tried again.
_RETRYABLE = {"40P01", "40001"}
_ATTEMPTS = 5


@dataclass
class Replayed:
    """What a rebuild did: events applied per type, events of types monitoring does not keep,
    and events that could not be applied (their type and id are logged)."""

    applied: Counter[str] = field(default_factory=Counter)
    ignored: int = 0
    failed: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = [f"replayed {self.applied.total()} events into the read models"]
        out += [f"  {event_type}\t{n}" for event_type, n in sorted(self.applied.items())]
        out.append(f"ignored {self.ignored} events no read model keeps")
        if self.failed:
            out.append(f"FAILED {self.failed.total()} events:")
            out += [f"  {event_type}\t{n}" for event_type, n in sorted(self.failed.items())]
        return out


async def rebuild(
    sessionmaker: async_sessionmaker[AsyncSession],
    nc: NATS,
    *,
    namespace: str = "",
    producers: Sequence[str] = PRODUCERS,
    batch_size: int = 500,
    fetch_timeout: float = 2.0,
) -> Replayed:
    """Empty the read models and replay the streams into them; see the module's docstring."""
    await empty_read_models(sessionmaker)
    js = nc.jetstream()
    # Read after the emptying, never before: see the module's docstring.
    ends = {producer: await _last_sequence(js, namespace, producer) for producer in producers}
    replayed = Replayed()
    for producer, last in ends.items():
        if last:
            await _replay_stream(
                js,
                sessionmaker,
                namespace=namespace,
                producer=producer,
                last=last,
                batch_size=batch_size,
                fetch_timeout=fetch_timeout,
                replayed=replayed,
            )
    return replayed


async def empty_read_models(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    tables = ", ".join(model.__tablename__ for model in READ_MODELS)
    async with sessionmaker() as session, session.begin():
        await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))


async def _last_sequence(js: JetStreamContext, namespace: str, producer: str) -> int:
    try:
        info = await js.stream_info(stream_name(namespace, producer))
    except NotFoundError:
        return 0  # nothing was ever published by that producer
    return int(info.state.last_seq) if info.state.messages else 0


async def _replay_stream(
    js: JetStreamContext,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    namespace: str,
    producer: str,
    last: int,
    batch_size: int,
    fetch_timeout: float,
    replayed: Replayed,
) -> None:
    stream = stream_name(namespace, producer)
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.ALL,
        # Acking the last message of a batch acks the batch.
        ack_policy=AckPolicy.ALL,
        ack_wait=300,
        max_ack_pending=batch_size * 2,
        # Removed by the server if the rebuild dies before deleting it.
        inactive_threshold=120,
        mem_storage=True,
        num_replicas=1,
    )
    # One name, the one NATS lets monitoring's identity make on every stream; one left by a
    # rebuild that died would resume where that one stopped, so it goes first.
    consumer = durable_name(namespace, REBUILD_CONSUMER)
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(stream, consumer)
    config.name = consumer
    config.filter_subject = subject_for(namespace, f"{producer}.>")
    await js.add_consumer(stream, config=config)
    subscription = await js.pull_subscribe_bind(stream=stream, name=consumer)
    try:
        reached = 0
        while reached < last:
            try:
                # A fetch has been seen to hang past its own timeout: bound it from outside.
                messages = await asyncio.wait_for(
                    subscription.fetch(batch_size, timeout=fetch_timeout),
                    timeout=fetch_timeout + 5,
                )
            except (NatsTimeoutError, TimeoutError):
                info = await subscription.consumer_info()
                if info.num_pending == 0 and info.num_ack_pending == 0:
                    break  # the messages up to `last` that still exist were all read
                continue
            reached = max(message.metadata.sequence.stream for message in messages)
            wanted = [m for m in messages if m.metadata.sequence.stream <= last]
            await _apply_batch(sessionmaker, _decode(wanted, replayed), replayed)
            await messages[-1].ack()
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, consumer)


def _decode(messages: list[Msg], replayed: Replayed) -> list[tuple[Envelope, Event]]:
    events = []
    for message in messages:
        try:
            envelope = Envelope.model_validate_json(message.data)
        except ValidationError:
            replayed.failed["malformed envelope"] += 1
            sequence = message.metadata.sequence.stream
            log.warning("rebuild: malformed envelope at stream sequence %s", sequence)
            continue
        if envelope.type not in PROJECTIONS:
            replayed.ignored += 1
            continue
        try:
            events.append((envelope, event_model(envelope)))
        except ValidationError:
            replayed.failed[envelope.type] += 1
            log.warning("rebuild: invalid %s %s", envelope.type, envelope.id)
    return events


async def _apply_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    events: list[tuple[Envelope, Event]],
    replayed: Replayed,
) -> None:
    """One transaction for the batch; a deadlock with the live consumer tries it again, and an
    event that fails is set aside (as the live consumer dead-letters it) and the rest applied."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with sessionmaker() as session, session.begin():
                for envelope, event in events:
                    await PROJECTIONS[envelope.type](session, event, envelope)
        except Exception as exc:
            if _retryable(exc) and attempt < _ATTEMPTS:
                await asyncio.sleep(0.05 * attempt)
                continue
            break
        for envelope, _ in events:
            replayed.applied[envelope.type] += 1
        return
    await _apply_one_by_one(sessionmaker, events, replayed)


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRYABLE


async def _apply_one_by_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    events: list[tuple[Envelope, Event]],
    replayed: Replayed,
) -> None:
    async with sessionmaker() as session, session.begin():
        for envelope, event in events:
            try:
                async with session.begin_nested():
                    await PROJECTIONS[envelope.type](session, event, envelope)
            except Exception as exc:
                replayed.failed[envelope.type] += 1
                log.warning(
                    "rebuild: %s %s failed: %s", envelope.type, envelope.id, type(exc).__name__
                )
            else:
                replayed.applied[envelope.type] += 1


async def run(settings: MonitoringSettings, batch_size: int) -> Replayed:
    engine = create_engine(settings.database_url)
    nc = await nats.connect(
        settings.nats_url,
        connect_timeout=5,
        max_reconnect_attempts=0,
        **nats_identity(settings).connect_options(),
    )
    try:
        return await rebuild(
            create_sessionmaker(engine),
            nc,
            namespace=settings.nats_namespace,
            batch_size=batch_size,
        )
    finally:
        await nc.close()
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitoring.readmodels.rebuild",
        description="Empty monitoring's read models and replay every stream into them. Uses "
        "MONITORING_DATABASE_URL, MONITORING_NATS_URL and MONITORING_NATS_NAMESPACE.",
    )
    parser.add_argument("--batch-size", type=int, default=500, help="events per transaction")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    replayed = asyncio.run(run(MonitoringSettings(), args.batch_size))
    print("\n".join(replayed.lines()))
    return 1 if replayed.failed else 0


if __name__ == "__main__":
    sys.exit(main())
