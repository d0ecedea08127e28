"""Writing an event: into the outbox table, in the caller's transaction, beside the state change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import Envelope, Event
from shared.tables import SHARED_TABLES


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
