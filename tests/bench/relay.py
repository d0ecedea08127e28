"""Outbox relay: N events written to the outbox and published by the relay, against the floor of
publishing the same N payloads straight to JetStream, pipelined, from memory."""

from __future__ import annotations

import asyncio
import time
import uuid

import nats

from shared.db import create_engine, create_sessionmaker, utcnow
from shared.events import Envelope, ParticipantEnrolled
from shared.messaging.jetstream import ensure_streams, subject_for
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay
from tests.bench.database_support import migrated_database
from tests.bench.results import Result, batch
from tests.bench.sizes import size


def event() -> ParticipantEnrolled:
    return ParticipantEnrolled(
        participant_id=uuid.uuid4(),
        applicant_id=uuid.uuid4(),
        region="AZ-BA",
        categories=["martyr_family"],
        direction="beekeeping",
        enrolled_at=utcnow(),
    )


async def run(pg_url: str, nats_url: str, quick: bool) -> list[Result]:
    events = size("BENCH_EVENTS", 5000, 500, quick)
    url = await migrated_database(pg_url, "intake")
    engine = create_engine(url)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        floor_ns, relay_ns = "benchfloor", "benchrelay"
        await ensure_streams(js, floor_ns, "intake")
        await ensure_streams(js, relay_ns, "intake")

        payloads = [Envelope.wrap(event()) for _ in range(events)]
        # The floor publishes the same way the relay does, pipelined, but straight from memory.
        started = time.perf_counter()
        acks = [
            await js.publish_async(
                subject_for(floor_ns, envelope.type),
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": str(envelope.id)},
            )
            for envelope in payloads
        ]
        await asyncio.gather(*acks)
        floor = time.perf_counter() - started

        sessionmaker = create_sessionmaker(engine)
        relay = OutboxRelay(engine, js, namespace=relay_ns, batch_size=500)
        started = time.perf_counter()
        async with sessionmaker() as session, session.begin():
            for _ in range(events):
                await add_event(session, event())
        written = time.perf_counter() - started
        relay_started = time.perf_counter()
        sent = await relay.publish_pending()
        relayed = time.perf_counter() - relay_started
        total = time.perf_counter() - started
        assert sent == events, sent
    finally:
        await nc.close()
        await engine.dispose()
    print(f"outbox relay, {events} events")
    print(f"  floor: JetStream publish from memory {floor:8.3f} s  ({events / floor:,.0f}/s)")
    print(f"  outbox write + relay publish      {total:8.3f} s  ({events / total:,.0f}/s)")
    print(f"    of which outbox writes          {written:8.3f} s")
    print(f"    of which relay publishing       {relayed:8.3f} s")
    print(f"  relay publishing / floor: {relayed / floor:.2f}x")
    print(f"  write + relay / floor:    {total / floor:.2f}x")
    return [
        batch(
            "outbox relay",
            events,
            relayed,
            floor,
            0.7,
            "events/s",
            events=events,
            floor_is="pipelined JetStream publish of the same events from memory",
            outbox_write_seconds=round(written, 3),
        )
    ]
