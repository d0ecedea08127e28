"""The event backbone's promises, against real PostgreSQL and a real nats-server: nothing lost,
nothing applied twice, failures retried then dead-lettered without blocking the rest, dead letters
replayed once, and consumers that outlive a nats-server restart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plans.business_plans.models import BusinessPlan
from plans.handlers import on_participant_enrolled
from plans.participants.models import Participant
from shared.db import create_engine, create_sessionmaker, utcnow
from shared.events import Envelope, ParticipantEnrolled
from shared.messaging.consumer import Consumer
from shared.messaging.deadletters import (
    ensure_deadletter_stream,
    list_dead_letters,
    replay,
)
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import ensure_streams, stream_name, subject_for
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay
from shared.tables import SHARED_TABLES
from tests.conftest import NatsConnect
from tests.journey_support import APPLICANT, eventually
from tests.messaging.consumers_support import plans_from_intake, running
from tests.service_fixtures import StartService


def enrolled(participant_id: uuid.UUID | None = None) -> ParticipantEnrolled:
    return ParticipantEnrolled(
        participant_id=participant_id or uuid.uuid4(),
        applicant_id=uuid.uuid4(),
        region="AZ-BA",
        categories=["war_participant"],
        direction="poultry",
        enrolled_at=utcnow(),
    )


@pytest.fixture
async def nc(nats_server: Any, nats_namespace: str) -> AsyncIterator[NATS]:
    # The operator: it makes the streams, publishes as intake, reads and replays dead letters.
    client = await nats.connect(
        nats_server.url,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.2,
        **nats_server.identity(OPERATOR).connect_options(),
    )
    js = client.jetstream()
    await ensure_streams(js, nats_namespace, "intake", "plans")
    await ensure_deadletter_stream(js, nats_namespace)
    yield client
    with contextlib.suppress(Exception):
        await client.close()


@pytest.fixture
async def plans_nc(nats_connect: NatsConnect) -> NATS:
    """Plans' own identity, for its consumer."""
    return await nats_connect("plans", max_reconnect_attempts=-1, reconnect_time_wait=0.2)


async def publish(nc: NATS, namespace: str, envelope: Envelope, msg_id: str | None = None) -> None:
    await nc.jetstream().publish(
        subject_for(namespace, envelope.type),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": msg_id or str(envelope.id)},
    )


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(model))) or 0


async def participants(sessionmaker: async_sessionmaker[AsyncSession]) -> set[uuid.UUID]:
    async with sessionmaker() as session:
        return set((await session.scalars(select(Participant.id))).all())


def plans_consumer(
    nc: NATS,
    namespace: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    handler: Any = on_participant_enrolled,
    **options: Any,
) -> Consumer:
    return plans_from_intake(
        nc, namespace, sessionmaker, {ParticipantEnrolled.type: handler}, **options
    )


async def test_the_same_event_delivered_twice_has_one_effect(
    nc: NATS,
    plans_nc: NATS,
    nats_namespace: str,
    plans_db: async_sessionmaker[AsyncSession],
) -> None:
    envelope = Envelope.wrap(enrolled())
    # Two stream messages (different message ids, as after JetStream's duplicate window):
    await publish(nc, nats_namespace, envelope, msg_id="first")
    await publish(nc, nats_namespace, envelope, msg_id="second")
    consumer = plans_consumer(plans_nc, nats_namespace, plans_db)
    async with running(consumer):
        nc.jetstream()

        async def both_acked() -> bool:
            return await acked_up_to(nc, nats_namespace, consumer, 2)

        await eventually(both_acked, "both copies acknowledged")
    assert await count(plans_db, Participant) == 1
    assert await count(plans_db, BusinessPlan) == 1
    assert await count(plans_db, SHARED_TABLES.inbox) == 1


async def test_relay_dying_after_publish_before_marking_sent_causes_no_duplicate(
    nc: NATS,
    plans_nc: NATS,
    nats_namespace: str,
    fresh_database: Callable[[str], Awaitable[str]],
    plans_db: async_sessionmaker[AsyncSession],
) -> None:
    engine = create_engine(await fresh_database("intake"))
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            written = await add_event(session, enrolled())
        relay = OutboxRelay(engine, nc.jetstream(), namespace=nats_namespace)

        class RelayDied(Exception):
            pass

        # Published, then the process dies before its transaction marks the row sent.
        with contextlib.suppress(RelayDied):
            async with sessionmaker() as session, session.begin():
                assert await relay.publish_batch(session) == 1
                raise RelayDied
        async with sessionmaker() as session:
            unsent = await session.scalar(
                select(func.count()).where(SHARED_TABLES.outbox.c.published_at.is_(None))
            )
        assert unsent == 1

        # The restarted relay publishes the row again; JetStream drops the copy.
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0
        info = await nc.jetstream().stream_info(stream_name(nats_namespace, "intake"))
        assert info.state.messages == 1

        async with running(plans_consumer(plans_nc, nats_namespace, plans_db)):
            await eventually(lambda: participants(plans_db), "the event applied")
        assert await participants(plans_db) == {uuid.UUID(written.subject or "")}
        assert await count(plans_db, BusinessPlan) == 1
    finally:
        await engine.dispose()


async def test_failing_event_is_retried_then_dead_lettered_while_others_flow_and_replayed_once(
    nc: NATS,
    plans_nc: NATS,
    nats_namespace: str,
    plans_db: async_sessionmaker[AsyncSession],
) -> None:
    poison_id = uuid.uuid4()
    broken = {"yes": True}
    attempts_seen: list[uuid.UUID] = []

    async def flaky(session: AsyncSession, event: ParticipantEnrolled, envelope: Envelope) -> None:
        if event.participant_id == poison_id and broken["yes"]:
            attempts_seen.append(event.participant_id)
            raise RuntimeError("direction catalogue unavailable")
        await on_participant_enrolled(session, event, envelope)

    good = [uuid.uuid4() for _ in range(3)]
    await publish(nc, nats_namespace, Envelope.wrap(enrolled(poison_id)))
    for participant_id in good:
        await publish(nc, nats_namespace, Envelope.wrap(enrolled(participant_id)))

    js = nc.jetstream()
    consumer = plans_consumer(
        plans_nc, nats_namespace, plans_db, handler=flaky, max_attempts=3, retry_base_seconds=0.05
    )
    async with running(consumer):
        # The good events do not wait for the poison one.
        await eventually(lambda: participants_are(plans_db, set(good)), "the good events applied")
        letters = await eventually(lambda: list_dead_letters(js, nats_namespace), "a dead letter")
        assert len(attempts_seen) == 3
        (letter,) = letters
        assert letter.consumer == "plans-from-intake"
        assert letter.attempts == 3
        assert letter.original_subject == ParticipantEnrolled.type
        assert "RuntimeError" in letter.error
        assert json.loads(letter.data)["data"]["participant_id"] == str(poison_id)
        assert await participants(plans_db) == set(good)

        # The cause is fixed; the operator replays the letter: applied once.
        broken["yes"] = False
        await replay(js, nats_namespace, letter)
        await eventually(
            lambda: participants_are(plans_db, {*good, poison_id}), "the replayed event applied"
        )
        assert await list_dead_letters(js, nats_namespace) == []
        # A second copy of the same event (say, replayed twice by mistake) changes nothing.
        await publish(nc, nats_namespace, Envelope.model_validate_json(letter.data), msg_id="again")

        await eventually(
            lambda: acked_up_to(nc, nats_namespace, consumer, 6), "everything acknowledged"
        )
    assert await count(plans_db, Participant) == 4
    assert await count(plans_db, BusinessPlan) == 4


async def acked_up_to(nc: NATS, namespace: str, consumer: Consumer, sequence: int) -> bool:
    try:
        info = await nc.jetstream().consumer_info(
            stream_name(namespace, "intake"), consumer.durable
        )
    except NotFoundError:
        return False  # not created yet
    return bool(info.ack_floor.stream_seq >= sequence and info.num_ack_pending == 0)


async def participants_are(
    sessionmaker: async_sessionmaker[AsyncSession], expected: set[uuid.UUID]
) -> bool:
    return await participants(sessionmaker) == expected


async def test_services_recover_by_themselves_when_nats_server_restarts(
    start_service: StartService, nats_server: Any, auth: Any
) -> None:
    intake = await start_service("intake")
    plans = await start_service("plans")
    officer = auth("case_officer")

    async def enroll(fin: str) -> str:
        applicant = await intake.client.post(
            "/v1/applicants",
            json={**APPLICANT, "fin": fin},
            headers=officer,
        )
        assert applicant.status_code == 201, applicant.text
        application = await intake.client.post(
            "/v1/applications",
            json={"applicant_id": applicant.json()["id"], "direction": "cattle"},
            headers=officer,
        )
        enrolled = await intake.client.post(
            f"/v1/applications/{application.json()['id']}/enroll",
            headers={**officer, "If-Match": '"1"'},
        )
        assert enrolled.status_code == 200, enrolled.text
        return str(application.json()["id"])

    async def has_plan(participant_id: str) -> bool:
        response = await plans.client.get(
            f"/v1/business-plans?participant_id={participant_id}", headers=officer
        )
        return bool(response.json()["items"])

    before = await enroll("1AAAAAA")
    await eventually(lambda: has_plan(before), "a plan before the restart")

    nats_server.kill()  # a crash, not a clean stop
    during = await enroll("2BBBBBB")  # the outbox keeps it while NATS is away
    nats_server.start()

    after = await enroll("3CCCCCC")
    await eventually(lambda: has_plan(during), "the event written while NATS was down")
    await eventually(lambda: has_plan(after), "an event after the restart")
    ready = await intake.client.get("/readyz")
    assert ready.status_code == 200


async def test_an_event_written_while_the_relay_publishes_is_sent_without_waiting_for_the_poll(
    nc: NATS,
    nats_namespace: str,
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    # The poll is an hour: only the NOTIFY of the second event's commit can wake the relay. That
    # notify lands while the relay is busy with the first batch, so it must not be forgotten
    # when the relay goes back to waiting.
    engine = create_engine(await fresh_database("intake"))
    sessionmaker = create_sessionmaker(engine)

    failures: list[BaseException] = []

    class WrittenWhilePublishing(OutboxRelay):
        calls = 0

        async def publish_batch(self, session: AsyncSession) -> int:
            try:
                sent = await super().publish_batch(session)
                self.calls += 1
                if self.calls == 1:
                    await eventually(listening, "the relay listening")
                    async with sessionmaker() as other, other.begin():
                        await add_event(other, enrolled())
                    await eventually(heard, "the notify heard")
            except BaseException as exc:
                failures.append(exc)
                raise
            return sent

    async def listening() -> bool:
        async with sessionmaker() as session:
            found = await session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %outbox%'")
            )
        return bool(found)

    async def heard() -> bool:
        return relay._wake.is_set()

    async def published() -> int:
        async with sessionmaker() as session:
            sent = await session.scalar(
                select(func.count()).where(SHARED_TABLES.outbox.c.published_at.is_not(None))
            )
        return sent or 0

    try:
        async with sessionmaker() as session, session.begin():
            await add_event(session, enrolled())
        relay = WrittenWhilePublishing(
            engine, nc.jetstream(), namespace=nats_namespace, poll_seconds=3600
        )
        task = asyncio.create_task(relay.run())
        try:
            await eventually(lambda: _at_least(published, 2), "both events sent", patience=30)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        assert failures == []  # (a failed batch is retried after a backoff, not a wake)
    finally:
        await engine.dispose()


async def _at_least(probe: Callable[[], Awaitable[int]], count: int) -> bool:
    return await probe() >= count
