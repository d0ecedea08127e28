"""`make bench`: each benchmark reports its time as a ratio to a floor measured in the same run on
the same servers, since absolute times vary from machine to machine.

- outbox relay: N events written to the outbox and published by the relay, against the floor of
  publishing the same N payloads straight to JetStream (what the relay cannot beat).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats

from shared import migrations
from shared.db import create_engine, create_sessionmaker, utcnow
from shared.devstack import NatsServer, Postgres, create_database, free_port, normalise_database_url
from shared.events import Envelope, ParticipantEnrolled
from shared.messaging.jetstream import ensure_streams, subject_for
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str]]:
    """(PostgreSQL server URL, NATS URL): from the environment, or started here."""
    stack = contextlib.ExitStack()
    with stack:
        if os.environ.get("DATABASE_URL"):
            pg_url = normalise_database_url(os.environ["DATABASE_URL"])
        else:
            folder = Path(tempfile.mkdtemp(prefix="dayaq-bench-pg-"))
            stack.callback(shutil.rmtree, folder, True)
            pg = Postgres(folder, free_port(), durable=True)
            pg.start()
            stack.callback(pg.stop)
            pg_url = pg.url()
        if os.environ.get("NATS_URL"):
            nats_url = os.environ["NATS_URL"]
        else:
            folder = Path(tempfile.mkdtemp(prefix="dayaq-bench-nats-"))
            stack.callback(shutil.rmtree, folder, True)
            server = NatsServer(folder, free_port())
            server.start()
            stack.callback(server.stop)
            nats_url = server.url
        yield pg_url, nats_url


def event() -> ParticipantEnrolled:
    return ParticipantEnrolled(
        participant_id=uuid.uuid4(),
        applicant_id=uuid.uuid4(),
        region="AZ-BA",
        categories=["martyr_family"],
        direction="beekeeping",
        enrolled_at=utcnow(),
    )


async def bench_relay(pg_url: str, nats_url: str) -> None:
    database = f"bench_{uuid.uuid4().hex[:8]}"
    await create_database(pg_url, database)
    url = pg_url.rsplit("/", 1)[0] + f"/{database}"
    await asyncio.to_thread(migrations.upgrade, "intake", url)
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


def main() -> None:
    with servers() as (pg_url, nats_url):
        asyncio.run(bench_relay(pg_url, nats_url))


if __name__ == "__main__":
    main()
