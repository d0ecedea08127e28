"""Partner API keys in every service: a copy of intake's keys, kept up to date by its events, so
that a service authenticates partners without asking intake.

A service that accepts partner keys:

- adds the table to its metadata (`add_partner_keys_table(Base.metadata)` in models.py) and creates
  it in a migration (`create_partner_keys_table()` / `drop_partner_keys_table()`);
- consumes intake's key events (`"intake": {**PARTNER_KEY_HANDLERS}` in its handlers);
- puts `PartnerKeyStore(app.state.sessionmaker)` on `app.state.api_key_store`.

Intake keeps its own `api_keys` table as the master. The copy holds the key's SHA-256 only.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import ApiKeyRecord
from shared.db import UTCDateTime, new_metadata
from shared.events import Envelope, PartnerKeyIssued, PartnerKeyRevoked
from shared.messaging.consumer import Handler

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


def create_partner_keys_table() -> None:
    """For a service's migration: create the table as it is in version 1."""
    metadata = new_metadata()
    add_partner_keys_table(metadata)
    metadata.create_all(op.get_bind())


def drop_partner_keys_table() -> None:
    op.drop_table(TABLE_NAME)


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
    table = PARTNER_KEYS
    statement = insert(table).values(
        key_id=event.key_id,
        partner_id=event.partner_id,
        prefix=event.prefix,
        key_hash=event.key_hash,
        scopes=sorted(set(event.scopes)),
        expires_at=event.expires_at,
        updated_at=envelope.time,
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


PARTNER_KEY_HANDLERS: dict[str, Handler] = {
    PartnerKeyIssued.type: on_partner_key_issued,
    PartnerKeyRevoked.type: on_partner_key_revoked,
}
