"""Outbox relay: N events written to the outbox and published by the relay, against the floor of
publishing the same N payloads straight to JetStream, pipelined, from memory."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import nats

from shared.db import create_engine, create_sessionmaker, utcnow
from shared.events import Envelope, ParticipantEnrolled
from shared.messaging.jetstream import ensure_streams, subject_for
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay
from tests.bench.database_support import migrated_database

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))


def event() -> ParticipantEnrolled:
    return ParticipantEnrolled(
        participant_id=uuid.uuid4(),
        applicant_id=uuid.uuid4(),
        region="AZ-BA",
        categories=["martyr_family"],
        direction="beekeeping",
        enrolled_at=utcnow(),
    )


async def run(pg_url: str, nats_url: str) -> None:
    url = await migrated_database(pg_url, "intake")
    engine = create_engine(url)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        floor_ns, relay_ns = "benchfloor", "benchrelay"
        await ensure_streams(js, floor_ns, "intake")
        await ensure_streams(js, relay_ns, "intake")

        payloads = [Envelope.wrap(event()) for _ in range(EVENTS)]
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
            for _ in range(EVENTS):
                await add_event(session, event())
        written = time.perf_counter() - started
        relay_started = time.perf_counter()
        sent = await relay.publish_pending()
        relayed = time.perf_counter() - relay_started
        total = time.perf_counter() - started
        assert sent == EVENTS, sent
    finally:
        await nc.close()
        await engine.dispose()
    print(f"outbox relay, {EVENTS} events")
    print(f"  floor: JetStream publish from memory {floor:8.3f} s  ({EVENTS / floor:,.0f}/s)")
    print(f"  outbox write + relay publish      {total:8.3f} s  ({EVENTS / total:,.0f}/s)")
    print(f"    of which outbox writes          {written:8.3f} s")
    print(f"    of which relay publishing       {relayed:8.3f} s")
    print(f"  relay publishing / floor: {relayed / floor:.2f}x")
    print(f"  write + relay / floor:    {total / floor:.2f}x")
