"""Partner API keys in every service: a copy of intake's keys, kept up to date by its events, so
that a service authenticates partners without asking intake.

A service that accepts partner keys:

- adds the table to its metadata (`add_partner_keys_table(Base.metadata)` in models.py) and creates
  it in a migration of its own (with its own DDL, as for every table);
- consumes intake's key events (`"intake": {**PARTNER_KEY_HANDLERS}` in its handlers);
- keeps the app factory's default key store (`PartnerKeyStore`);
- mixes `PartnerKeySettings` into its Settings and runs the `partner_key_reconciliation` worker.

Intake keeps its own `api_keys` table as the master. The copy holds the key's SHA-256 only.

Events alone could leave a revoked key alive: a revocation that a service dead-lettered, or one
trimmed from the stream before a new service read it. So intake also sends the keys in force as a
snapshot (`intake.partner_keys.snapshot`, no personal data) whenever a key changes and
periodically, and each service reconciles its copy with the LAST snapshot: read straight from
intake's stream at start and every `partner_keys_reconcile_seconds`, and applied again whenever
one arrives through its consumer. Reading the last message by subject needs no call to intake and
no consumer of its own; a dead-lettered snapshot is read again on the next round.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import Field
from pydantic_settings import BaseSettings
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import ApiKeyRecord
from shared.db import UTCDateTime, new_metadata
from shared.events import (
    Envelope,
    KeyInForce,
    PartnerKeyIssued,
    PartnerKeyRevoked,
    PartnerKeysSnapshot,
)
from shared.messaging.consumer import Handler
from shared.messaging.jetstream import stream_name, subject_for
from shared.workers import Periodic

if TYPE_CHECKING:
    from shared.app import Runtime

log = logging.getLogger(__name__)

TABLE_NAME = "partner_keys"


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("key_id", UUID(as_uuid=True), primary_key=True),
        # Empty only in a row made by a revocation that arrived before its key (see below).
        sa.Column("partner_id", UUID(as_uuid=True), nullable=True),
        sa.Column("prefix", sa.String(16), nullable=True, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=True),
        sa.Column("scopes", ARRAY(sa.Text), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        # The time of the newest event applied, so that a late (retried) event never undoes it.
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ]


def add_partner_keys_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(TABLE_NAME, metadata, *_columns())


# The statements below are built on this; the table lives in each service's own database.
PARTNER_KEYS = add_partner_keys_table(new_metadata())


class PartnerKeyStore:
    """The `ApiKeyStore` of a service other than intake: reads the replicated table."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def find(self, prefix: str) -> ApiKeyRecord | None:
        table = PARTNER_KEYS
        async with self._sessionmaker() as session:
            row = (await session.execute(sa.select(table).where(table.c.prefix == prefix))).first()
        if row is None or row.partner_id is None or row.key_hash is None:
            return None
        return ApiKeyRecord(
            key_id=row.key_id,
            partner_id=row.partner_id,
            key_hash=row.key_hash,
            scopes=frozenset(row.scopes),
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


async def on_partner_key_issued(
    session: AsyncSession, event: PartnerKeyIssued, envelope: Envelope
) -> None:
    """Insert or update the key (a rotation issues the old key again with its new expiry).

    Never clears a revocation, and an event older than the row's newest is ignored: a failed event
    is retried while later ones flow on, so they can arrive out of order.
    """
    await _upsert_keys(session, [event], envelope.time)


async def _upsert_keys(
    session: AsyncSession, keys: list[PartnerKeyIssued] | list[KeyInForce], at: datetime
) -> None:
    if not keys:
        return
    table = PARTNER_KEYS
    statement = insert(table).values(
        [
            {
                "key_id": key.key_id,
                "partner_id": key.partner_id,
                "prefix": key.prefix,
                "key_hash": key.key_hash,
                "scopes": sorted(set(key.scopes)),
                "expires_at": key.expires_at,
                "updated_at": at,
            }
            for key in keys
        ]
    )
    changed = ("partner_id", "prefix", "key_hash", "scopes", "expires_at", "updated_at")
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key_id],
            set_={name: statement.excluded[name] for name in changed},
            where=table.c.updated_at <= statement.excluded.updated_at,
        )
    )


async def on_partner_key_revoked(
    session: AsyncSession, event: PartnerKeyRevoked, envelope: Envelope
) -> None:
    """Mark the key revoked, for good. A revocation that overtakes its key's issue leaves a row
    without a prefix (which no look-up finds), so the late issue cannot bring the key to life."""
    table = PARTNER_KEYS
    statement = insert(table).values(
        key_id=event.key_id, scopes=[], revoked_at=event.revoked_at, updated_at=envelope.time
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key_id],
            set_={
                "revoked_at": sa.func.coalesce(table.c.revoked_at, statement.excluded.revoked_at),
                "updated_at": sa.func.greatest(table.c.updated_at, statement.excluded.updated_at),
            },
        )
    )


async def on_partner_keys_snapshot(
    session: AsyncSession, event: PartnerKeysSnapshot, envelope: Envelope
) -> None:
    """Make the copy agree with intake's keys at `taken_at`: add or update the keys listed, and
    revoke every other copy, unless an event newer than the snapshot touched it (a key issued
    after the snapshot was taken). Never brings a revoked key back."""
    table = PARTNER_KEYS
    at = event.taken_at
    await _upsert_keys(session, event.keys, at)
    await session.execute(
        sa.update(table)
        .where(
            table.c.revoked_at.is_(None),
            table.c.updated_at <= at,
            table.c.key_id.not_in([key.key_id for key in event.keys]),
        )
        .values(revoked_at=at, updated_at=at)
    )


PARTNER_KEY_HANDLERS: dict[str, Handler] = {
    PartnerKeyIssued.type: on_partner_key_issued,
    PartnerKeyRevoked.type: on_partner_key_revoked,
    PartnerKeysSnapshot.type: on_partner_keys_snapshot,
}

INTAKE_SOURCE = "/dayaq/intake"


class PartnerKeySettings(BaseSettings):
    """The reconciliation's setting in a service's Settings (a mixin: the service's env prefix
    applies, e.g. PLANS_PARTNER_KEYS_RECONCILE_SECONDS)."""

    partner_keys_reconcile_seconds: float = Field(
        300.0, gt=0, description="How often the copy of partner keys is reconciled with intake's"
    )


async def reconcile_with_last_snapshot(
    js: JetStreamContext, sessionmaker: async_sessionmaker[AsyncSession], namespace: str
) -> bool:
    """Apply the last snapshot in intake's stream; False when there is none yet."""
    try:
        message = await js.get_last_msg(
            stream_name(namespace, "intake"), subject_for(namespace, PartnerKeysSnapshot.type)
        )
    except NotFoundError:
        return False
    envelope = Envelope.model_validate_json(message.data or b"")
    if envelope.type != PartnerKeysSnapshot.type or envelope.source != INTAKE_SOURCE:
        raise ValueError(f"not intake's key snapshot: {envelope.type} from {envelope.source}")
    event = PartnerKeysSnapshot.model_validate(envelope.data)
    async with sessionmaker() as session, session.begin():
        await on_partner_keys_snapshot(session, event, envelope)
    return True


async def partner_key_reconciliation(runtime: Runtime) -> Periodic:
    """A service's worker: reconciles once before the service serves (so a key revoked while it
    was down is refused from its first request), then every `partner_keys_reconcile_seconds`."""
    settings = cast(PartnerKeySettings, runtime.settings)  # every service but intake mixes it in
    js = runtime.nc.jetstream()

    async def reconcile() -> None:
        await reconcile_with_last_snapshot(
            js, runtime.sessionmaker, runtime.settings.nats_namespace
        )

    try:
        await reconcile()
    except Exception as exc:  # the worker tries again; the consumer still applies events
        log.warning("partner keys not reconciled: %s", exc.__class__.__name__)
    return Periodic("reconciling partner keys", settings.partner_keys_reconcile_seconds, reconcile)
