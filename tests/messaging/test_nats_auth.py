"""Who may say what on NATS, against the real nats-server the tests share (started with the
identities and permissions of shared.messaging.identities, as `dayaq run` starts it): events are
trusted because only their producer can publish them, and a consumer refuses one that claims
another sender anyway."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

import nats
import nkeys
import pytest
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import RePublish
from nats.js.errors import NotFoundError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assets.handlers import handlers as assets_handlers
from assets.settings import AssetsSettings
from intake.handlers import handlers as intake_handlers
from intake.settings import IntakeSettings
from monitoring.handlers import handlers as monitoring_handlers
from monitoring.settings import MonitoringSettings
from plans.handlers import handlers as plans_handlers
from plans.settings import PlansSettings
from shared.events import Envelope, PartnerKeyIssued
from shared.messaging.deadletters import (
    H_ERROR,
    ensure_deadletter_stream,
    list_dead_letters,
)
from shared.messaging.identities import (
    CONSUMES,
    IDENTITIES,
    OPERATOR,
    NatsIdentity,
    permissions,
)
from shared.messaging.jetstream import (
    PRODUCERS,
    ensure_own_stream,
    ensure_streams,
    provision_streams,
    stream_config,
    stream_name,
    subject_for,
)
from shared.metrics import EVENTS_REFUSED
from shared.partner_keys import PARTNER_KEYS
from shared.tables import SHARED_TABLES
from tests.conftest import ExternalNats, NatsConnect
from tests.journey_support import eventually
from tests.messaging.consumers_support import plans_from_intake, running
from tests.service_fixtures import StartService

# Something shaped like a FIN (7 characters), to look for where no personal data may be.
FIN = "5ZQ7K2M"


@pytest.fixture
def own_server(nats_server: Any) -> Any:
    if isinstance(nats_server, ExternalNats):
        pytest.skip("NATS_URL is set: these tests need the permissions of their own nats-server")
    return nats_server


def key_issued(key_id: uuid.UUID | None = None) -> Envelope:
    return Envelope.wrap(
        PartnerKeyIssued(
            key_id=key_id or uuid.uuid4(),
            partner_id=uuid.uuid4(),
            prefix="dyq_forged",
            key_hash=hashlib.sha256(b"a key the forger knows").hexdigest(),
            scopes=["applicants:write", "monitoring:read", "assets:read"],
        )
    )


async def refused(publish: Awaitable[Any]) -> bool:
    """A JetStream publish that NATS refuses gets no acknowledgement."""
    try:
        await publish
    except (NatsTimeoutError, NoRespondersError):
        return True
    return False


async def messages_in(nc: NATS, stream: str) -> int:
    try:
        return int((await nc.jetstream().stream_info(stream)).state.messages)
    except NotFoundError:
        return 0


async def test_a_client_without_credentials_is_refused(own_server: Any) -> None:
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(own_server.url, allow_reconnect=False, max_reconnect_attempts=0)
    # Nor with a key the server does not know.
    stranger = nkeys.encode_seed(b"\x01" * 32, nkeys.PREFIX_BYTE_USER).decode()
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(
            own_server.url,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            nkeys_seed_str=stranger,
        )


async def test_plans_cannot_publish_as_intake_in_any_namespace(
    own_server: Any, nats_namespace: str, nats_connect: NatsConnect
) -> None:
    # The server serves no namespace as well as the test's, as `dayaq run` would.
    own_server.allow_namespace("")
    try:
        intake, plans, operator = [
            await nats_connect(identity) for identity in ("intake", "plans", OPERATOR)
        ]
        for namespace in ("", nats_namespace):
            await ensure_streams(operator.jetstream(), namespace, *PRODUCERS)
        forged = key_issued().model_dump_json().encode()
        js = plans.jetstream()
        for subject in (
            "intake.partner_key.issued",
            f"{nats_namespace}.intake.partner_key.issued",
            # Into intake's stream through a namespace that is another service's name.
            "intake.plans.plan.approved",
            f"{nats_namespace}.deadletter.assets-from-intake",
            "monitoring.case.flagged",
        ):
            assert await refused(js.publish(subject, forged, timeout=1)), subject
        for namespace in ("", nats_namespace):
            for producer in ("intake", "monitoring", "deadletter"):
                assert await messages_in(operator, stream_name(namespace, producer)) == 0
        # Its own subjects, in both.
        for namespace in ("", nats_namespace):
            await js.publish(subject_for(namespace, "plans.ping"), b"{}", timeout=2)
        # And intake its own.
        await intake.jetstream().publish(f"{nats_namespace}.intake.ping", b"{}", timeout=2)
    finally:
        for namespace in ("",):
            with contextlib.suppress(Exception):
                operator_js = (await nats_connect(OPERATOR)).jetstream()
                for producer in PRODUCERS:
                    await operator_js.delete_stream(stream_name(namespace, producer))
        own_server.forget_namespace("")


def test_a_namespace_cannot_be_named_after_a_service() -> None:
    """`plans.intake.x` would be plans' subject and, in a namespace `plans`, intake's stream's."""
    for reserved in (*PRODUCERS, "deadletter", "Intake"):
        with pytest.raises(ValueError, match="namespace"):
            permissions("plans", ["", reserved])


def test_only_the_operator_may_use_the_jetstream_api_freely() -> None:
    for identity in IDENTITIES:
        allowed = permissions(identity, ["", "t1"])
        assert allowed.subscribe == [f"_INBOX_{identity}.>"]
        wide = [s for s in allowed.publish if ".*" in s or s.endswith("API.>") or s == ">"]
        assert wide == ([] if identity != OPERATOR else ["$JS.API.>"])


async def test_no_identity_but_the_operator_can_purge_or_delete_a_stream(
    own_server: Any, nats_namespace: str, nats_connect: NatsConnect
) -> None:
    operator = await nats_connect(OPERATOR)
    for service in PRODUCERS:
        nc = await nats_connect(service)
        await ensure_streams(nc.jetstream(), nats_namespace, service)
        await ensure_deadletter_stream(nc.jetstream(), nats_namespace)
        await nc.jetstream().publish(subject_for(nats_namespace, f"{service}.kept"), b"{}")
        js = nc.jetstream(timeout=0.5)  # a refused call is never answered
        # Its own stream, the dead letters, and another service's.
        other = next(producer for producer in PRODUCERS if producer != service)
        for target in (service, "deadletter", other):
            stream = stream_name(nats_namespace, target)
            assert await refused(js.purge_stream(stream)), (service, target)
            assert await refused(js.delete_stream(stream)), (service, target)
        assert await messages_in(operator, stream_name(nats_namespace, service)) == 1
    own = stream_name(nats_namespace, "intake")
    assert await operator.jetstream().purge_stream(own)
    assert await messages_in(operator, own) == 0


async def test_a_service_creates_its_missing_stream_but_only_the_operator_changes_one(
    own_server: Any, nats_namespace: str, nats_connect: NatsConnect
) -> None:
    operator, intake = await nats_connect(OPERATOR), await nats_connect("intake")
    own = stream_name(nats_namespace, "intake")
    # Missing, the service creates it as this release configures it.
    await ensure_own_stream(intake.jetstream(), nats_namespace, "intake")
    assert (await operator.jetstream().stream_info(own)).config.max_msgs == -1
    # Changed (here by the operator), a service's start leaves it as it is.
    changed = replace(stream_config(nats_namespace, "intake"), max_msgs=1000)
    await operator.jetstream().update_stream(changed)
    await ensure_own_stream(intake.jetstream(), nats_namespace, "intake")
    assert (await operator.jetstream().stream_info(own)).config.max_msgs == 1000
    # And the service itself cannot change it: say, republish its events into another's subjects.
    redirected = replace(
        stream_config(nats_namespace, "intake"),
        republish=RePublish(src=">", dest=subject_for(nats_namespace, "plans.plan.approved")),
    )
    assert await refused(intake.jetstream(timeout=0.5).update_stream(redirected))
    assert (await operator.jetstream().stream_info(own)).config.republish is None
    # The operator's `dayaq streams` brings every stream to this release's configuration.
    operator_identity = own_server.identity(OPERATOR)
    assert await provision_streams(own_server.url, nats_namespace, identity=operator_identity) == 0
    for service in (*PRODUCERS, "deadletter"):
        config = (
            await operator.jetstream().stream_info(stream_name(nats_namespace, service))
        ).config
        assert (config.max_msgs, config.subjects) == (
            -1,
            [subject_for(nats_namespace, f"{service}.>")],
        ), service


def test_the_permissions_name_the_consumers_the_services_run() -> None:
    run = {
        "intake": set(intake_handlers(IntakeSettings())),
        "plans": set(plans_handlers(PlansSettings())),
        "assets": set(assets_handlers(AssetsSettings())),
        "monitoring": set(monitoring_handlers(MonitoringSettings())),
    }
    assert {service: set(producers) for service, producers in CONSUMES.items()} == run


async def test_a_forged_key_sent_with_the_wrong_identity_never_reaches_partner_keys(
    own_server: Any,
    nats_namespace: str,
    nats_connect: NatsConnect,
    start_service: StartService,
) -> None:
    services = [await start_service(name) for name in ("plans", "assets", "monitoring")]
    intake = await nats_connect("intake")
    await ensure_streams(intake.jetstream(), nats_namespace, "intake")
    forged = key_issued()
    subject = subject_for(nats_namespace, forged.type)
    for identity in ("plans", "assets", "monitoring"):
        forger = (await nats_connect(identity)).jetstream()
        assert await refused(forger.publish(subject, forged.model_dump_json().encode(), timeout=1))
    # Then intake's own, after the forged ones: once it is in, anything before it was handled.
    genuine = key_issued()
    await intake.jetstream().publish(subject, genuine.model_dump_json().encode())

    async def key_ids(sessionmaker: async_sessionmaker[AsyncSession]) -> set[uuid.UUID]:
        async with sessionmaker() as session:
            return set((await session.scalars(select(PARTNER_KEYS.c.key_id))).all())

    for service in services:
        sessionmaker = service.runtime.sessionmaker

        async def arrived(sessionmaker: async_sessionmaker[AsyncSession] = sessionmaker) -> bool:
            return genuine.data["key_id"] in {str(k) for k in await key_ids(sessionmaker)}

        await eventually(arrived, f"{service.settings.service_name} to store intake's key")
        assert forged.data["key_id"] not in {str(k) for k in await key_ids(sessionmaker)}


# --- what a consumer refuses, and what it keeps of a failure ---


async def intake_and_dead_letter_streams(nats_connect: NatsConnect, namespace: str) -> list[NATS]:
    """intake's stream and the dead-letter stream, and clients as intake, plans and the operator."""
    intake, plans, operator = [
        await nats_connect(identity) for identity in ("intake", "plans", OPERATOR)
    ]
    js = intake.jetstream()
    await ensure_streams(js, namespace, "intake")
    await ensure_deadletter_stream(js, namespace)
    return [intake, plans, operator]


async def test_an_event_claiming_another_source_on_the_right_stream_is_refused(
    nats_namespace: str,
    nats_connect: NatsConnect,
    plans_db: async_sessionmaker[AsyncSession],
) -> None:
    intake, plans, operator = await intake_and_dead_letter_streams(nats_connect, nats_namespace)
    js = intake.jetstream()
    applied: list[str] = []

    async def handler(session: AsyncSession, event: Any, envelope: Envelope) -> None:
        applied.append(envelope.source)

    # On intake's stream, published with intake's identity, but saying it comes from monitoring.
    impostor = key_issued().model_copy(update={"source": "/dayaq/monitoring"})
    genuine = key_issued()
    for envelope in (impostor, genuine):
        await js.publish(
            subject_for(nats_namespace, envelope.type), envelope.model_dump_json().encode()
        )
    consumer = plans_from_intake(
        plans, nats_namespace, plans_db, {PartnerKeyIssued.type: handler}, fetch_timeout=0.5
    )
    before = EVENTS_REFUSED.labels(consumer.name, "source")._value.get()
    async with running(consumer):
        await eventually(lambda: _true(applied == ["/dayaq/intake"]), "the genuine event")
    assert EVENTS_REFUSED.labels(consumer.name, "source")._value.get() == before + 1
    (letter,) = await list_dead_letters(operator.jetstream(), nats_namespace)
    assert letter.event_id == str(impostor.id)
    assert letter.error == "refused: source mismatch"


async def _true(value: bool) -> bool:
    return value


async def test_a_failure_keeps_only_the_exception_class_never_its_message(
    nats_namespace: str,
    nats_connect: NatsConnect,
    plans_db: async_sessionmaker[AsyncSession],
) -> None:
    intake, plans, operator = await intake_and_dead_letter_streams(nats_connect, nats_namespace)
    js = intake.jetstream()

    async def failing(session: AsyncSession, event: Any, envelope: Envelope) -> None:
        # A NOT NULL violation: PostgreSQL's DETAIL says "Failing row contains (<the FIN>, ...)".
        await session.execute(
            text("INSERT INTO inbox (consumer, event_id, event_type) VALUES (:fin, :id, NULL)"),
            {"fin": FIN, "id": uuid.uuid4()},
        )

    envelope = key_issued()
    await js.publish(
        subject_for(nats_namespace, envelope.type), envelope.model_dump_json().encode()
    )
    consumer = plans_from_intake(
        plans,
        nats_namespace,
        plans_db,
        {PartnerKeyIssued.type: failing},
        max_attempts=2,
        retry_base_seconds=0.05,
        fetch_timeout=0.5,
    )
    operator_js = operator.jetstream()

    async def dead_lettered() -> list[Any]:
        return await list_dead_letters(operator_js, nats_namespace)

    async with running(consumer):
        (letter,) = await eventually(dead_lettered, "the failing event to be dead-lettered")
    expected = "IntegrityError (SQLSTATE 23502)"
    assert letter.error == expected
    raw = await operator_js.get_msg(stream_name(nats_namespace, "deadletter"), letter.sequence)
    assert FIN not in str(raw.headers)
    assert (raw.headers or {})[H_ERROR] == expected
    async with plans_db() as session:
        errors = (await session.scalars(select(SHARED_TABLES.delivery_attempts.c.last_error))).all()
    assert errors == [expected]


def test_an_identity_connects_with_its_seed_file(tmp_path: Any) -> None:
    seed = tmp_path / "plans.nk"
    seed.write_bytes(nkeys.encode_seed(b"\x02" * 32, nkeys.PREFIX_BYTE_USER))
    options = NatsIdentity(name="plans", seed_file=seed).connect_options()
    assert options == {"inbox_prefix": "_INBOX_plans", "nkeys_seed": str(seed)}
