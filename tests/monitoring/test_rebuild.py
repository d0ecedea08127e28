"""Rebuilding the read models from the streams gives back exactly what the live consumers built:
on a generated programme, while events keep coming, through the command line, and after a
journey through the four services."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monitoring.readmodels.models import ApplicationFact, BudgetFact, TrainingFact, VisitFact
from monitoring.readmodels.rebuild import rebuild
from monitoring.reports import service as reports
from monitoring.reports.filters import Filters
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import PRODUCERS, ensure_streams, stream_name
from tests.conftest import FreshDatabase, NatsConnect
from tests.journey_support import eventually, run_journey
from tests.monitoring.programme_support import Programme
from tests.monitoring.programme_support import generate_events as generate
from tests.monitoring.readmodels_support import (
    caught_up,
    live_consumers,
    project,
    publish,
    sessions,
    snapshot,
)
from tests.service_fixtures import Auth, StartService


@pytest.fixture
async def nc(nats_server: Any, nats_namespace: str) -> AsyncIterator[NATS]:
    # The operator: it makes every stream and publishes as every producer.
    connection = await nats.connect(
        nats_server.url, **nats_server.identity(OPERATOR).connect_options()
    )
    await ensure_streams(connection.jetstream(), nats_namespace, *PRODUCERS)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def monitoring_nc(nats_connect: NatsConnect) -> NATS:
    """Monitoring's own identity, for its consumers and the rebuild."""
    return await nats_connect("monitoring")


def durables(namespace: str) -> dict[str, str]:
    return {producer: f"{namespace}_monitoring-from-{producer}" for producer in PRODUCERS}


async def every_report(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Any]:
    """Every report, exact, as JSON-ready data."""
    everyone = Filters()
    async with sessionmaker() as session:
        found: list[Any] = [
            await reports.participants_per_year(session, everyone, by=by, suppress=False)
            for by in (None, "category", "region", "direction", "partner")
        ]
        found.append(await reports.funnel(session, everyone, suppress=False))
        found.append(await reports.survival(session, everyone, suppress=False))
        found.extend(
            await reports.partner_reports(session, everyone, suppress=False, language="en")
        )
        found.append(
            await reports.budget_use(
                session, partner_id=None, round_=None, start=None, end=None, suppress=False
            )
        )
    return [report.model_dump(mode="json") for report in found]


async def publish_programme(
    nc: NATS, namespace: str, programme: Programme, seed: int
) -> Counter[str]:
    """The programme's events shuffled (so also out of order within a stream), a tenth of them
    published twice; returns the stream messages per event type."""
    rng = random.Random(seed)
    envelopes = list(programme.envelopes)
    rng.shuffle(envelopes)
    again = rng.sample(envelopes, k=len(envelopes) // 10)
    await publish(nc, namespace, envelopes)
    await publish(nc, namespace, again, tag="again-")
    return Counter(envelope.type for envelope in envelopes + again)


async def test_a_rebuild_gives_the_same_read_models_as_the_live_consumers(
    nc: NATS, monitoring_nc: NATS, nats_namespace: str, fresh_database: FreshDatabase
) -> None:
    programme = generate(seed=7, participants=40)
    published = await publish_programme(nc, nats_namespace, programme, seed=7)
    async with (
        sessions(await fresh_database("monitoring")) as sessionmaker,
        live_consumers(monitoring_nc, nats_namespace, sessionmaker),
    ):
        await caught_up(nc, nats_namespace, durables(nats_namespace))
        live = await snapshot(sessionmaker)
        live_reports = await every_report(sessionmaker)

        # The figures, against the generator's own records.
        async with sessionmaker() as session:
            delivered = dict(
                (
                    await session.execute(
                        select(ApplicationFact.application_id, ApplicationFact.delivered_value)
                    )
                ).all()
            )
            visits = {
                v.visit_id: (v.revision, v.income, v.operating)
                for v in await session.scalars(select(VisitFact))
            }
            allocated = dict(
                (await session.execute(select(BudgetFact.budget_id, BudgetFact.allocated))).all()
            )
            trainings = await session.scalar(select(func.count()).select_from(TrainingFact))
        assert set(delivered) == set(programme.participants)
        assert {p: v for p, v in delivered.items() if v is not None} == programme.delivered_value
        assert visits == {
            visit: (report.revision, report.income, report.operating)
            for visit, report in programme.latest_visit.items()
        }
        assert allocated == programme.allocated
        assert trainings == programme.trainings

        # Rebuilt while the live consumers run (idle now), in batches of an odd size.
        replayed = await rebuild(
            sessionmaker, monitoring_nc, namespace=nats_namespace, batch_size=37
        )
        assert await snapshot(sessionmaker) == live
        rebuilt_reports = await every_report(sessionmaker)
    # The reports are the same figures, and they are not empty.
    assert rebuilt_reports == live_reports
    funnel = next(report for report in live_reports if "stages" in report)
    assert funnel["stages"][0]["count"] == len(programme.participants)
    assert replayed.applied == published
    assert not replayed.failed
    # The service's durable consumers are where they were, and the replay's own is gone.
    js = nc.jetstream()
    for producer, durable in durables(nats_namespace).items():
        stream = stream_name(nats_namespace, producer)
        consumers = await js.consumers_info(stream)
        assert [c.name for c in consumers] == [durable]
        assert consumers[0].num_pending == 0


async def test_a_rebuild_while_events_keep_coming_converges(
    nc: NATS, monitoring_nc: NATS, nats_namespace: str, fresh_database: FreshDatabase
) -> None:
    programme = generate(seed=11, participants=60)
    envelopes = list(programme.envelopes)
    random.Random(11).shuffle(envelopes)
    half = len(envelopes) // 2
    async with sessions(await fresh_database("monitoring")) as expected:
        await project(expected, envelopes)  # each event once, straight in
        reference = await snapshot(expected)

    async with (
        sessions(await fresh_database("monitoring")) as sessionmaker,
        live_consumers(monitoring_nc, nats_namespace, sessionmaker),
    ):
        await publish(nc, nats_namespace, envelopes[:half])
        await caught_up(nc, nats_namespace, durables(nats_namespace))

        async def keep_publishing() -> None:
            for start in range(half, len(envelopes), 10):
                await publish(nc, nats_namespace, envelopes[start : start + 10])
                await asyncio.sleep(0)

        await asyncio.gather(
            rebuild(sessionmaker, monitoring_nc, namespace=nats_namespace, batch_size=20),
            keep_publishing(),
        )
        await caught_up(nc, nats_namespace, durables(nats_namespace))
        assert await snapshot(sessionmaker) == reference


async def test_the_rebuild_command_runs_against_the_servers(
    nc: NATS, nats_server: Any, nats_namespace: str, fresh_database: FreshDatabase
) -> None:
    programme = generate(seed=3, participants=15)
    published = await publish_programme(nc, nats_namespace, programme, seed=3)
    url = await fresh_database("monitoring")
    async with sessions(url) as sessionmaker:
        await project(sessionmaker, programme.envelopes)
        expected = await snapshot(sessionmaker)
        async with sessionmaker() as session, session.begin():
            # Something stale that only a rebuild would remove.
            await session.execute(
                text("UPDATE application_facts SET outcome = 'failed', region = 'AZ-XX'")
            )
        environment = {
            **os.environ,
            "MONITORING_DATABASE_URL": url,
            "MONITORING_NATS_URL": nats_server.url,
            "MONITORING_NATS_NAMESPACE": nats_namespace,
            "MONITORING_NATS_NKEY_SEED_FILE": str(nats_server.seed_file("monitoring")),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitoring.readmodels.rebuild",
            "--batch-size",
            "50",
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, err.decode()
        assert await snapshot(sessionmaker) == expected
    lines = out.decode().splitlines()
    assert lines[0] == f"replayed {published.total()} events into the read models"
    counted = {
        event_type: int(n) for event_type, n in (line.split() for line in lines[1:] if "\t" in line)
    }
    assert counted == dict(published)


async def test_the_journey_read_models_rebuild_identically(
    start_service: StartService, auth: Auth
) -> None:
    # No overdue check while the test runs: it would add events between snapshot and rebuild.
    quiet = {"monitoring": {"overdue_check_seconds": 86400.0}}
    services = {name: await start_service(name, **quiet.get(name, {})) for name in PRODUCERS}
    result = await run_journey(
        services["intake"].client,
        services["plans"].client,
        services["assets"].client,
        services["monitoring"].client,
        lambda role, subject: auth(role, subject=subject),
    )
    monitoring = services["monitoring"]
    namespace = monitoring.settings.nats_namespace
    nc = monitoring.runtime.nc
    js = nc.jetstream()

    async def outboxes_empty() -> bool:
        for service in services.values():
            async with service.runtime.sessionmaker() as session:
                waiting = await session.scalar(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                )
            if waiting:
                return False
        return True

    async def last_sequences() -> list[int]:
        return [(await js.stream_info(stream_name(namespace, p))).state.last_seq for p in PRODUCERS]

    await eventually(outboxes_empty, "every outbox to be published")
    await caught_up(nc, namespace, durables(namespace))
    before = await last_sequences()
    runtime = monitoring.runtime
    live = await snapshot(runtime.sessionmaker)
    participant = uuid.UUID(result["participant_id"])
    assert [row[0] for row in live["application_facts"]] == [participant]
    # delivery_facts: delivery_id, order_id, participant_id, total, items, delivered_on
    assert [row[2:5] for row in live["delivery_facts"]] == [(participant, Decimal("721.00"), 3)]

    replayed = await rebuild(runtime.sessionmaker, nc, namespace=namespace)
    assert await last_sequences() == before, "events were published during the test"
    assert await snapshot(runtime.sessionmaker) == live
    assert replayed.applied["assets.delivery.completed"] == 1
    assert not replayed.failed
