"""Tables every service keeps in its own database: the outbox, the inbox, delivery attempts and
idempotency keys. Each service adds them to its own metadata with `add_shared_tables`; its
migrations create and change them with their own DDL, so that a change here never rewrites a past
migration (a change is a new migration in each service).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import UTCDateTime, new_metadata


@dataclass(frozen=True)
class SharedTables:
    outbox: sa.Table
    inbox: sa.Table
    delivery_attempts: sa.Table
    idempotency_keys: sa.Table
    adverse_decisions: sa.Table
    consent_withdrawals: sa.Table


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
        # Decisions that hurt a person, made in this service (see shared/decisions.py): who,
        # when, why, until when they may be appealed, and whether an upheld appeal reversed them.
        "adverse_decisions": [
            sa.Column("id", UUID(as_uuid=True), primary_key=True),
            sa.Column("application_id", UUID(as_uuid=True), nullable=False, index=True),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("reason", sa.Text, nullable=False),
            sa.Column("note", sa.Text, nullable=True),
            sa.Column("decided_by", sa.Text, nullable=False),
            sa.Column("decided_at", UTCDateTime, nullable=False),
            sa.Column("appeal_until", sa.Date, nullable=False),
            sa.Column("ref_id", UUID(as_uuid=True), nullable=True),
            sa.Column("partner_id", UUID(as_uuid=True), nullable=True),
            sa.Column("reversed_at", UTCDateTime, nullable=True),
            sa.Column("reversed_by_grievance_id", UUID(as_uuid=True), nullable=True),
            sa.Column("reversal_effect", sa.Text, nullable=True),
        ],
        # A person's withdrawn consent to share with the partner that referred them: while a row
        # stands, that partner sees none of the application's records (shared/consent.py).
        "consent_withdrawals": [
            sa.Column("application_id", UUID(as_uuid=True), primary_key=True),
            sa.Column("partner_id", UUID(as_uuid=True), primary_key=True),
            sa.Column("withdrawn_at", UTCDateTime, nullable=False),
        ],
    }


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
