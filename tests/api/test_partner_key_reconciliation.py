"""A partner key revoked in intake stops working everywhere even when a service never applied the
revocation: each service reconciles its copy with intake's last key snapshot, when one arrives
through its consumer, at start, and periodically."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assets import main as assets_main
from monitoring import main as monitoring_main
from plans import main as plans_main
from shared.db import utcnow
from shared.events import (
    Envelope,
    Event,
    KeyInForce,
    PartnerKeyIssued,
    PartnerKeyRevoked,
    PartnerKeysSnapshot,
)
from shared.messaging.deadletters import list_dead_letters
from shared.messaging.identities import OPERATOR
from shared.partner_keys import (
    PARTNER_KEYS,
    PartnerKeyStore,
    on_partner_key_issued,
    on_partner_key_revoked,
    on_partner_keys_snapshot,
)
from tests.api.partner_keys_support import (
    READS,
    accepted_everywhere,
    new_partner_key,
    refused_everywhere,
    status,
)
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service, StartService


async def refuse(session: AsyncSession, event: Any, envelope: Envelope) -> None:
    raise RuntimeError("this copy of the event is lost")


async def revoke(intake: Service, auth: Auth, partner_id: str, key_id: str) -> None:
    revoked = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys/{key_id}/revoke",
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert revoked.status_code == 200, revoked.text


def refuse_from_intake(
    monkeypatch: pytest.MonkeyPatch, service_main: ModuleType, *events: type[Event]
) -> None:
    """The service, once started, refuses these events of intake's (they are dead-lettered)."""
    build = service_main.handlers

    def refusing(settings: Any) -> dict[str, dict[str, Any]]:
        built: dict[str, dict[str, Any]] = build(settings)
        built["intake"] = {**built["intake"], **{event.type: refuse for event in events}}
        return built

    monkeypatch.setattr(service_main, "handlers", refusing)


async def test_a_dead_lettered_revocation_still_ends_with_the_key_refused_everywhere(
    start_service: StartService, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    # plans loses the revocation but gets the snapshot sent with it through its consumer; assets
    # and monitoring lose both, and only their periodic reconciliation can catch up.
    refuse_from_intake(monkeypatch, plans_main, PartnerKeyRevoked)
    for service_main in (assets_main, monitoring_main):
        refuse_from_intake(monkeypatch, service_main, PartnerKeyRevoked, PartnerKeysSnapshot)
    intake = await start_service("intake")
    services = {"intake": intake}
    services["plans"] = await start_service(
        "plans", consumer_max_attempts=1, partner_keys_reconcile_seconds=3600
    )
    for name in ("assets", "monitoring"):
        services[name] = await start_service(
            name, consumer_max_attempts=1, partner_keys_reconcile_seconds=0.5
        )

    partner_id, issued = await new_partner_key(intake, auth)
    key = issued["key"]
    await eventually(lambda: accepted_everywhere(services, key), "every service to accept the key")
    await revoke(intake, auth, partner_id, issued["id"])

    async def revocations_dead_lettered() -> bool:
        # Dead letters are the operator's to read.
        letters = await list_dead_letters(
            await intake.jetstream_as(OPERATOR), intake.settings.nats_namespace
        )
        consumers = {
            letter.consumer for letter in letters if letter.event_type == PartnerKeyRevoked.type
        }
        return consumers == {f"{name}-from-intake" for name in READS}

    await eventually(revocations_dead_lettered, "each service to dead-letter the revocation")
    await eventually(lambda: refused_everywhere(services, key), "every service to refuse the key")


async def test_a_service_started_after_the_snapshot_picks_it_up_at_start(
    start_service: StartService, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake = await start_service("intake")
    first_partner, revoked = await new_partner_key(intake, auth)
    await revoke(intake, auth, first_partner, revoked["id"])
    _, kept = await new_partner_key(intake, auth)

    # plans' consumer applies none of intake's key events, and its periodic round is far off:
    # whatever it knows at start it read from the last snapshot in intake's stream.
    refuse_from_intake(
        monkeypatch, plans_main, PartnerKeyIssued, PartnerKeyRevoked, PartnerKeysSnapshot
    )

    async def snapshot_published() -> bool:
        async with intake.runtime.sessionmaker() as session:
            left: int | None = await session.scalar(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
        return left == 0

    await eventually(snapshot_published, "intake to publish its events")
    plans = await start_service("plans", partner_keys_reconcile_seconds=3600)
    assert await status(plans, "plans", kept["key"]) == 200  # at once, no waiting
    assert await status(plans, "plans", revoked["key"]) == 401
    async with plans.runtime.sessionmaker() as session:
        copies = (await session.execute(select(PARTNER_KEYS.c.key_id))).scalars().all()
    assert set(copies) == {uuid.UUID(kept["id"])}


async def test_intake_sends_the_keys_in_force_at_each_change_and_periodically(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake", partner_keys_snapshot_seconds=0.3)
    partner_id, first = await new_partner_key(intake, auth)
    _, second = await new_partner_key(intake, auth)
    await revoke(intake, auth, partner_id, first["id"])

    async def snapshots() -> list[dict[str, Any]]:
        async with intake.runtime.sessionmaker() as session:
            rows = await session.scalars(
                text(
                    "SELECT envelope FROM outbox WHERE subject = :type ORDER BY envelope->>'time'"
                ),
                {"type": PartnerKeysSnapshot.type},
            )
            return list(rows)

    latest = (await snapshots())[-1]
    listed = {key["key_id"]: key for key in latest["data"]["keys"]}
    assert set(listed) == {second["id"]}
    # What the issued event carries, nothing else: no key, no personal data.
    assert set(listed[second["id"]]) == {
        "key_id",
        "partner_id",
        "prefix",
        "key_hash",
        "scopes",
        "expires_at",
    }
    assert second["key"] not in str(latest)
    count = len(await snapshots())

    async def more_sent() -> bool:
        return len(await snapshots()) >= count + 2

    await eventually(more_sent, "intake to send snapshots periodically")


# --- The snapshot handler itself, on a plans database -------------------------------------------


def key(prefix: str) -> KeyInForce:
    return KeyInForce(
        key_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        prefix=prefix,
        key_hash="0" * 64,
        scopes=["plans:read"],
    )


async def apply(
    sessionmaker: async_sessionmaker[AsyncSession], event: Any, at_seconds: float
) -> None:
    at = utcnow() + timedelta(seconds=at_seconds)
    if isinstance(event, PartnerKeysSnapshot):
        event = event.model_copy(update={"taken_at": at})
        handler: Any = on_partner_keys_snapshot
    elif isinstance(event, PartnerKeyIssued):
        handler = on_partner_key_issued
    else:
        handler = on_partner_key_revoked
    envelope = Envelope.wrap(event).model_copy(update={"time": at})
    async with sessionmaker() as session, session.begin():
        await handler(session, event, envelope)


def issued(known: KeyInForce) -> PartnerKeyIssued:
    return PartnerKeyIssued(**known.model_dump())


async def test_a_snapshot_revokes_what_it_does_not_list_but_never_what_is_newer(
    plans_db: async_sessionmaker[AsyncSession],
) -> None:
    store = PartnerKeyStore(plans_db)

    async def states(*prefixes: str) -> list[str]:
        records = [await store.find(prefix) for prefix in prefixes]
        return [
            "absent" if r is None else "active" if r.revoked_at is None else "revoked"
            for r in records
        ]

    kept, dropped, newer, missing = (
        key("Kept0001"),
        key("Drop0001"),
        key("Newr0001"),
        key("Miss0001"),
    )
    await apply(plans_db, issued(kept), at_seconds=0)
    await apply(plans_db, issued(dropped), at_seconds=0)  # its revocation never arrives
    await apply(plans_db, issued(newer), at_seconds=20)  # issued after the snapshot was taken

    await apply(plans_db, PartnerKeysSnapshot(taken_at=utcnow(), keys=[kept, missing]), 10)
    # The missing key's issue was lost: the snapshot adds it.
    assert await states("Kept0001", "Drop0001", "Newr0001", "Miss0001") == [
        "active",
        "revoked",
        "active",
        "active",
    ]
    added = await store.find("Miss0001")
    assert added is not None
    assert added.partner_id == missing.partner_id

    # An older snapshot (a late delivery) listing none of them revokes nothing newer than it.
    await apply(plans_db, PartnerKeysSnapshot(taken_at=utcnow(), keys=[]), 5)
    assert await states("Kept0001", "Newr0001", "Miss0001") == ["active"] * 3

    # A revoked key stays revoked even when a later snapshot lists it.
    await apply(plans_db, PartnerKeyRevoked(key_id=kept.key_id, revoked_at=utcnow()), 30)
    await apply(plans_db, PartnerKeysSnapshot(taken_at=utcnow(), keys=[kept, dropped]), 40)
    assert await states("Kept0001", "Drop0001") == ["revoked", "revoked"]
