"""Writing an event: into the outbox table, in the caller's transaction, beside the state change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import Envelope, Event
from shared.tables import SHARED_TABLES

_COLUMNS = ["event_id", "subject", "envelope"]


async def add_event(session: AsyncSession, event: Event) -> Envelope:
    """Record `event` for publishing once the caller's transaction commits."""
    envelope = Envelope.wrap(event)
    await session.execute(
        SHARED_TABLES.outbox.insert().values(
            event_id=envelope.id,
            subject=envelope.type,
            envelope=envelope.model_dump(mode="json"),
        )
    )
    return envelope


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction, for COPY."""
    raw = await (await session.connection()).get_raw_connection()
    return raw.driver_connection


async def add_events(session: AsyncSession, events: Iterable[Event]) -> int:
    """Many events at once, with one COPY into the outbox (add_event writes one per statement):
    a committed selection or an import chunk writes thousands in one transaction. Returns how
    many were written."""
    # The JSON text goes as is: the session's connection encodes jsonb from str.
    records = [
        (envelope.id, envelope.type, envelope.model_dump_json())
        for envelope in map(Envelope.wrap, events)
    ]
    if records:
        connection = await driver_connection(session)
        await connection.copy_records_to_table(
            SHARED_TABLES.outbox.name, records=records, columns=_COLUMNS
        )
    return len(records)
