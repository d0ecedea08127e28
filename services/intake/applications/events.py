"""The events about an application, built from its coded facts (never personal data). They take
any object with the application's attributes: an ORM object or a Core row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import Envelope, Event, ParticipantEnrolled
from shared.tables import SHARED_TABLES


class EnrolledFacts(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def applicant_id(self) -> uuid.UUID: ...
    @property
    def region(self) -> str: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def direction(self) -> str: ...
    @property
    def partner_id(self) -> uuid.UUID | None: ...
    @property
    def round_id(self) -> uuid.UUID | None: ...
    @property
    def sex(self) -> str | None: ...
    @property
    def age_band(self) -> str | None: ...


def participant_enrolled(application: EnrolledFacts, enrolled_at: datetime) -> ParticipantEnrolled:
    return ParticipantEnrolled(
        participant_id=application.id,
        applicant_id=application.applicant_id,
        region=application.region,
        categories=list(application.categories),
        direction=application.direction,
        partner_id=application.partner_id,
        enrolled_at=enrolled_at,
        round_id=application.round_id,
        sex=application.sex,
        age_band=application.age_band,
    )


async def add_events(session: AsyncSession, events: Iterable[Event], batch: int = 5000) -> int:
    """Many events into the outbox at once (add_event writes one per statement): a committed
    selection writes one or two per application, tens of thousands in one transaction."""
    rows: list[dict[str, Any]] = []
    written = 0
    for event in events:
        envelope = Envelope.wrap(event)
        rows.append(
            {
                "event_id": envelope.id,
                "subject": envelope.type,
                "envelope": envelope.model_dump(mode="json"),
            }
        )
        if len(rows) >= batch:
            await session.execute(SHARED_TABLES.outbox.insert(), rows)
            written += len(rows)
            rows = []
    if rows:
        await session.execute(SHARED_TABLES.outbox.insert(), rows)
        written += len(rows)
    return written
