"""Projections: how each event lands in the read models. They run in the consumer's transaction,
and again, into empty tables, when the read models are rebuilt from the streams."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import TimelineEntry
from shared.events import EVENT_TYPES, Envelope, Event
from shared.messaging.consumer import Handler


async def record_on_timeline(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Every lifecycle event is about a participant (its CloudEvents subject)."""
    if envelope.subject is None:
        return
    await session.execute(
        insert(TimelineEntry)
        .values(
            participant_id=uuid.UUID(envelope.subject),
            event_id=envelope.id,
            event_type=envelope.type,
            occurred_at=envelope.time,
            facts=envelope.data,
        )
        .on_conflict_do_nothing(index_elements=[TimelineEntry.event_id])
    )


# {event type: projection}, for every event type monitoring keeps.
PROJECTIONS: dict[str, Handler] = {
    event_type: record_on_timeline for event_type, model in EVENT_TYPES.items() if model.lifecycle
}
