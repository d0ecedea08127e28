"""An event across services under load: applications enrolled in intake over HTTP, by CLIENTS
clients as fast as they go, and the business plan plans opens for each. The latency of one is
from intake's answer to the enrolment (the event is then in its outbox) to the plan's row in
plans (its created_at); p50 and p99 over all of them.

The floor: the same number of messages published to JetStream by as many publishers, pulled by a
durable consumer, each inserted as a row into PostgreSQL (the services' server) and acked; the
latency of one from before its publish to its row's clock_timestamp(). It runs on a nats-server
of its own (the services' one admits only their identities), the same binary on the same machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

from shared.devkeys import mint_token
from shared.devstack import NatsServer, create_database, free_port, with_database
from tests.bench.request_path import plain
from tests.bench.results import Result, latency
from tests.bench.sizes import size
from tests.bench.stack import BenchStack
from tests.journey_support import APPLICANT
from tests.soak.run import percentile

CLIENTS = 8
PATIENCE_SECONDS = 180.0


async def _in_turn(count: int, work: Any) -> list[Any]:
    """`work(n)` for n in range(count), by CLIENTS workers at once."""
    numbers = iter(range(count))
    found: list[Any] = []

    async def worker() -> None:
        for n in numbers:
            found.append(await work(n))

    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return found


async def dayaq_latencies(stack: BenchStack, count: int) -> list[float]:
    token = mint_token(stack.keys, roles=["case_officer"], subject="bench-officer")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=stack.url("intake"), headers=headers, timeout=60
    ) as client:

        async def application(n: int) -> dict[str, Any]:
            person = {**APPLICANT, "fin": f"EV{n:05d}", "phone": f"+99455{n:07d}"}
            applicant = await client.post("/v1/applicants", json=person)
            assert applicant.status_code == 201, applicant.text
            made = await client.post(
                "/v1/applications",
                json={"applicant_id": applicant.json()["id"], "direction": "beekeeping"},
            )
            assert made.status_code == 201, made.text
            found: dict[str, Any] = made.json()
            return found

        applications = await _in_turn(count, application)

        async def enrol(n: int) -> tuple[uuid.UUID, float]:
            item = applications[n]
            enrolled = await client.post(
                f"/v1/applications/{item['id']}/enroll",
                headers={"If-Match": f'"{item["version"]}"'},
            )
            assert enrolled.status_code == 200, enrolled.text
            return uuid.UUID(item["id"]), time.time()

        answered = dict(await _in_turn(count, enrol))

    connection = await asyncpg.connect(plain(stack.database_url("plans")))
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while True:
            rows = await connection.fetch(
                "SELECT participant_id, created_at FROM business_plans"
                " WHERE participant_id = ANY($1::uuid[])",
                list(answered),
            )
            if len(rows) == count or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    finally:
        await connection.close()
    assert len(rows) == count, f"{len(rows)} of {count} plans opened"
    return [row["created_at"].timestamp() - answered[row["participant_id"]] for row in rows]


async def floor_latencies(stack: BenchStack, count: int) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="dayaq-bench-nats-floor-"))
    server = NatsServer(folder, free_port())
    server.start()
    database = "bench_event_floor"
    await create_database(stack.postgres.url(), database)
    connection = await asyncpg.connect(plain(with_database(stack.postgres.url(), database)))
    nc = await nats.connect(server.url)
    try:
        await connection.execute(
            "CREATE TABLE plans (id uuid PRIMARY KEY, participant_id uuid NOT NULL,"
            " sent_at double precision NOT NULL, created_at timestamptz NOT NULL)"
        )
        js = nc.jetstream()
        await js.add_stream(
            StreamConfig(name="FLOOR", subjects=["floor.>"], storage=StorageType.FILE)
        )
        subscription = await js.pull_subscribe(
            "floor.>", durable="floor", config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
        )
        done = asyncio.Event()
        inserted = 0

        async def consume() -> None:
            nonlocal inserted
            while inserted < count:
                with contextlib.suppress(nats.errors.TimeoutError):
                    for message in await subscription.fetch(100, timeout=1):
                        event = json.loads(message.data)
                        await connection.execute(
                            "INSERT INTO plans VALUES ($1, $2, $3, clock_timestamp())",
                            uuid.uuid4(),
                            uuid.UUID(event["participant_id"]),
                            event["sent_at"],
                        )
                        await message.ack()
                        inserted += 1
            done.set()

        consumer = asyncio.create_task(consume())

        async def publish(n: int) -> None:
            body = {"participant_id": str(uuid.uuid4()), "sent_at": time.time(), "n": n}
            await js.publish("floor.enrolled", json.dumps(body).encode())

        await _in_turn(count, publish)
        await asyncio.wait_for(done.wait(), PATIENCE_SECONDS)
        await consumer
        rows = await connection.fetch("SELECT sent_at, created_at FROM plans")
    finally:
        await nc.close()
        await connection.close()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return [row["created_at"].timestamp() - row["sent_at"] for row in rows]


async def run(stack: BenchStack, quick: bool) -> list[Result]:
    count = size("BENCH_ENROLMENTS", 300, 40, quick)
    floor = await floor_latencies(stack, count)
    found = await dayaq_latencies(stack, count)
    return [
        latency(
            "enrolled in intake -> plan opened in plans, p99",
            percentile(found, 0.99),
            percentile(floor, 0.99),
            3.0,
            enrolments=count,
            clients=CLIENTS,
            p50_ms=round(percentile(found, 0.5) * 1000, 1),
            floor_p50_ms=round(percentile(floor, 0.5) * 1000, 1),
            floor_is="bare JetStream publish -> pull -> insert -> ack, as many publishers",
            load=f"{CLIENTS} clients enrolling as fast as they go",
        )
    ]
