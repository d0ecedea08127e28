"""Partner keys issued, rotated and revoked in intake reach the other services by events: each
service then authenticates partners from its own copy, without asking intake."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import nats
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import ApiKeyRecord
from shared.db import utcnow
from shared.events import Envelope, PartnerKeyIssued, PartnerKeyRevoked
from shared.messaging.jetstream import subject_for
from shared.partner_keys import (
    PARTNER_KEYS,
    PartnerKeyStore,
    on_partner_key_issued,
    on_partner_key_revoked,
)
from tests.api.partner_keys_support import (
    accepted_everywhere,
    new_partner_key,
    refused_everywhere,
)
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service, StartService


@pytest.fixture
async def services(start_service: StartService) -> dict[str, Service]:
    # One NATS namespace for all: the test's.
    return {name: await start_service(name) for name in ("intake", "plans", "assets", "monitoring")}


async def copy_in(service: Service, key_id: str) -> Any:
    async with service.runtime.sessionmaker() as session:
        return (
            await session.execute(
                select(PARTNER_KEYS).where(PARTNER_KEYS.c.key_id == uuid.UUID(key_id))
            )
        ).first()


async def test_issued_key_is_accepted_everywhere_and_revocation_reaches_them(
    services: dict[str, Service], auth: Auth
) -> None:
    intake = services["intake"]
    partner_id, issued = await new_partner_key(intake, auth)
    key = issued["key"]
    await eventually(lambda: accepted_everywhere(services, key), "every service to accept the key")
    # The copy has the hash, never the key.
    row = await copy_in(services["plans"], issued["id"])
    assert row.key_hash != key
    assert key not in str(tuple(row))
    # A scope the key lacks is still refused.
    other = await services["plans"].client.post(
        f"/v1/business-plans/{uuid.uuid4()}/submit",
        headers={"X-API-Key": key, "If-Match": '"1"'},
    )
    assert other.status_code == 403

    revoked = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys/{issued['id']}/revoke",
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert revoked.status_code == 200, revoked.text
    assert (
        await intake.client.get("/v1/partners/me", headers={"X-API-Key": key})
    ).status_code == 401
    await eventually(lambda: refused_everywhere(services, key), "every service to refuse the key")


async def test_rotation_accepts_both_keys_during_the_grace_then_the_new_one_only(
    services: dict[str, Service], auth: Auth
) -> None:
    intake, plans = services["intake"], services["plans"]
    admin = auth("admin")
    partner_id, first = await new_partner_key(intake, auth)
    await eventually(lambda: accepted_everywhere(services, first["key"]), "the first key")

    keys = f"/v1/partners/{partner_id}/api-keys"
    rotated = await intake.client.post(
        f"{keys}/{first['id']}/rotate",
        json={"grace_seconds": 3600},
        headers={**admin, "If-Match": '"1"'},
    )
    assert rotated.status_code == 201, rotated.text
    second = rotated.json()
    await eventually(lambda: accepted_everywhere(services, second["key"]), "the rotated key")

    # The first key's new expiry has arrived; within its grace it is still accepted.
    async def grace_copied() -> bool:
        row = await copy_in(plans, first["id"])
        return row is not None and row.expires_at is not None

    await eventually(grace_copied, "plans to learn the first key's grace expiry")
    row = await copy_in(plans, first["id"])
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(hours=1)
    assert await accepted_everywhere(services, first["key"])

    # A rotation without grace: the replaced key expires at once, everywhere.
    again = await intake.client.post(
        f"{keys}/{second['id']}/rotate",
        json={"grace_seconds": 0},
        headers={**admin, "If-Match": '"1"'},
    )
    assert again.status_code == 201, again.text
    await eventually(lambda: refused_everywhere(services, second["key"]), "the expired key refused")
    await eventually(lambda: accepted_everywhere(services, again.json()["key"]), "the newest key")
    assert await accepted_everywhere(services, first["key"])  # its own grace still runs


async def test_a_key_event_delivered_twice_changes_nothing(
    services: dict[str, Service], auth: Auth, nats_server: Any, nats_namespace: str
) -> None:
    intake, plans = services["intake"], services["plans"]
    partner_id, issued = await new_partner_key(intake, auth)
    key = issued["key"]
    await eventually(lambda: accepted_everywhere(services, key), "the key")
    revoked = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys/{issued['id']}/revoke",
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert revoked.status_code == 200
    await eventually(lambda: refused_everywhere(services, key), "the revoked key refused")
    before = await copy_in(plans, issued["id"])

    async with intake.runtime.sessionmaker() as session:
        stored = await session.scalar(
            text("SELECT envelope FROM outbox WHERE subject = 'intake.partner_key.issued'")
        )
    issue = Envelope.model_validate(stored)
    # The issue again: the same event (past JetStream's duplicate check), and a copy under a new
    # id, as if intake had sent it twice. Then a marker event, to know both were handled.
    copy = issue.model_copy(update={"id": uuid.uuid4()})
    marker = Envelope.wrap(PartnerKeyRevoked(key_id=uuid.uuid4(), revoked_at=utcnow()))
    nc = await nats.connect(nats_server.url, **nats_server.identity("intake").connect_options())
    try:
        js = nc.jetstream()
        for envelope, msg_id in ((issue, "again"), (copy, None), (marker, None)):
            await js.publish(
                subject_for(nats_namespace, envelope.type),
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": msg_id or str(envelope.id)},
            )
    finally:
        await nc.close()

    async def handled() -> bool:
        async with plans.runtime.sessionmaker() as session:
            found: int | None = await session.scalar(
                text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": marker.id}
            )
        return found == 1

    await eventually(handled, "plans to handle the marker after the copies")
    assert await copy_in(plans, issued["id"]) == before
    assert await refused_everywhere(services, key)


# --- The handlers themselves, on a plans database: out of order, and twice ----------------------


def issued_event(key_id: uuid.UUID, prefix: str, expires_in: timedelta | None) -> PartnerKeyIssued:
    return PartnerKeyIssued(
        key_id=key_id,
        partner_id=uuid.uuid4(),
        prefix=prefix,
        key_hash="0" * 64,
        scopes=["plans:read"],
        expires_at=utcnow() + expires_in if expires_in is not None else None,
    )


async def apply(
    sessionmaker: async_sessionmaker[AsyncSession], event: Any, at_seconds: int
) -> None:
    envelope = Envelope.wrap(event).model_copy(
        update={"time": utcnow() + timedelta(seconds=at_seconds)}
    )
    handler = (
        on_partner_key_issued if isinstance(event, PartnerKeyIssued) else on_partner_key_revoked
    )
    async with sessionmaker() as session, session.begin():
        await handler(session, event, envelope)


async def test_handlers_are_idempotent_and_order_proof(
    plans_db: async_sessionmaker[AsyncSession],
) -> None:
    store = PartnerKeyStore(plans_db)
    key_id = uuid.uuid4()
    issue = issued_event(key_id, "AbCd1234", None)
    rotation = issue.model_copy(update={"expires_at": utcnow() + timedelta(hours=1)})

    # The rotation's re-issue arrives first, the original issue (older) after it, then both again.
    await apply(plans_db, rotation, at_seconds=10)
    await apply(plans_db, issue, at_seconds=0)
    await apply(plans_db, rotation, at_seconds=10)
    await apply(plans_db, issue, at_seconds=0)
    record = await store.find("AbCd1234")
    assert record == ApiKeyRecord(
        key_id=key_id,
        partner_id=issue.partner_id,
        key_hash="0" * 64,
        scopes=frozenset({"plans:read"}),
        expires_at=rotation.expires_at,
    )

    revoked_at = utcnow()
    for _ in range(2):
        await apply(plans_db, PartnerKeyRevoked(key_id=key_id, revoked_at=revoked_at), 20)
    # A later issue of the same key never brings it back.
    await apply(plans_db, rotation, at_seconds=30)
    record = await store.find("AbCd1234")
    assert record is not None
    assert record.revoked_at == revoked_at

    # A revocation that overtakes its key: the late issue finds the key revoked.
    late_id = uuid.uuid4()
    await apply(plans_db, PartnerKeyRevoked(key_id=late_id, revoked_at=revoked_at), 5)
    assert await store.find("Late5678") is None
    await apply(plans_db, issued_event(late_id, "Late5678", None), at_seconds=0)
    assert await store.find("Late5678") is None
