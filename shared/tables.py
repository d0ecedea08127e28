"""Tables every service keeps in its own database: the outbox, the inbox, delivery attempts and
idempotency keys. Each service adds them to its own metadata with `add_shared_tables`, and its first
migration creates them with `create_shared_tables`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import UTCDateTime, new_metadata


@dataclass(frozen=True)
class SharedTables:
    outbox: sa.Table
    inbox: sa.Table
    delivery_attempts: sa.Table
    idempotency_keys: sa.Table


def _columns() -> dict[str, list[sa.Column[object]]]:
    now = sa.text("now()")
    return {
        # Events written in the same transaction as the state change; the relay publishes them.
        "outbox": [
            sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
            sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
            sa.Column("subject", sa.Text, nullable=False),
            sa.Column("envelope", JSONB, nullable=False),
            sa.Column("created_at", UTCDateTime, nullable=False, server_default=now),
            sa.Column("published_at", UTCDateTime, nullable=True),
        ],
        # Events already applied, recorded in the same transaction as their effect.
        "inbox": [
            sa.Column("consumer", sa.Text, primary_key=True),
            sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
            sa.Column("event_type", sa.Text, nullable=False),
            sa.Column("applied_at", UTCDateTime, nullable=False, server_default=now),
        ],
        # Failed attempts per stream message, counted here because JetStream's own delivery count
        # can reset; a replayed dead letter is a new stream message and starts again from zero.
        "delivery_attempts": [
            sa.Column("consumer", sa.Text, primary_key=True),
            sa.Column("stream_sequence", sa.BigInteger, primary_key=True),
            sa.Column("event_id", UUID(as_uuid=True), nullable=True),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("last_error", sa.Text, nullable=False),
            sa.Column("updated_at", UTCDateTime, nullable=False, server_default=now),
        ],
        # POSTs that carried an Idempotency-Key, recorded with the effect: the status and the
        # resource created, never a response body (see shared/idempotency.py).
        "idempotency_keys": [
            sa.Column("principal", sa.Text, primary_key=True),
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("method", sa.Text, nullable=False),
            sa.Column("path", sa.Text, nullable=False),
            sa.Column("request_hash", sa.Text, nullable=False),  # HMAC of method, path and body
            sa.Column("status_code", sa.Integer, nullable=False),
            sa.Column("resource", sa.Text, nullable=True),  # its id; null while in progress
            sa.Column("created_at", UTCDateTime, nullable=False, server_default=now),
        ],
    }


def _idempotency_keys_v1() -> list[sa.Column[object]]:
    """The table as the first migrations created it: with the whole response."""
    return [
        sa.Column("principal", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("body", JSONB, nullable=True),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", UTCDateTime, nullable=False, server_default=sa.text("now()")),
    ]


def add_shared_tables(metadata: sa.MetaData) -> SharedTables:
    tables = {name: sa.Table(name, metadata, *cols) for name, cols in _columns().items()}
    sa.Index(
        "ix_outbox_unpublished",
        tables["outbox"].c.id,
        postgresql_where=tables["outbox"].c.published_at.is_(None),
    )
    # The purge of expired records walks this index.
    sa.Index("ix_idempotency_keys_created_at", tables["idempotency_keys"].c.created_at)
    return SharedTables(**tables)


# The shared code builds its statements on these; the tables live in each service's own database.
SHARED_TABLES = add_shared_tables(new_metadata())

OUTBOX_NOTIFY_CHANNEL = "outbox"


def create_shared_tables() -> None:
    """For a service's first migration: create the shared tables as they are in version 1."""
    metadata = new_metadata()
    columns = {**_columns(), "idempotency_keys": _idempotency_keys_v1()}
    for name, table_columns in columns.items():
        sa.Table(name, metadata, *table_columns)
    sa.Index(
        "ix_outbox_unpublished",
        metadata.tables["outbox"].c.id,
        postgresql_where=metadata.tables["outbox"].c.published_at.is_(None),
    )
    metadata.create_all(op.get_bind())
    # Wake the relay at once when an event is written (it also polls, in case a notify is missed).
    op.execute(
        f"""
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{OUTBOX_NOTIFY_CHANNEL}', ''); RETURN NULL; END $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    )


def drop_shared_tables() -> None:
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
    for name in ("idempotency_keys", "delivery_attempts", "inbox", "outbox"):
        op.drop_table(name)


def idempotency_keys_without_bodies() -> None:
    """Version 2 of idempotency_keys, for each service's migration: no stored response (records
    kept so far, bodies with personal data among them, are deleted), the resource's id instead,
    and an index for the purge of expired records."""
    op.execute("DELETE FROM idempotency_keys")
    op.drop_column("idempotency_keys", "body")
    op.drop_column("idempotency_keys", "headers")
    op.add_column("idempotency_keys", sa.Column("resource", sa.Text, nullable=True))
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def idempotency_keys_with_bodies() -> None:
    """Back to version 1 (records kept in version 2 have no body to give back: deleted)."""
    op.execute("DELETE FROM idempotency_keys")
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    op.drop_column("idempotency_keys", "resource")
    op.add_column("idempotency_keys", sa.Column("body", JSONB, nullable=True))
    op.add_column(
        "idempotency_keys",
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
