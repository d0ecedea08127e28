"""Reading the read models."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import ApplicationFact, TimelineEntry
from shared.auth import Principal


async def timeline(
    session: AsyncSession, participant_id: uuid.UUID, principal: Principal
) -> list[TimelineEntry]:
    """A participant's events in order; for a partner, only a participant it referred (else
    nothing, so that another's looks like a missing one)."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.participant_id == participant_id)
        .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
    )
    entries = list((await session.scalars(query)).all())
    if principal.partner_id is not None and not await _referred_by(
        session, participant_id, principal.partner_id, entries
    ):
        return []
    return entries


async def _referred_by(
    session: AsyncSession,
    participant_id: uuid.UUID,
    partner_id: uuid.UUID,
    entries: list[TimelineEntry],
) -> bool:
    referrer = await session.scalar(
        select(ApplicationFact.partner_id).where(ApplicationFact.application_id == participant_id)
    )
    if referrer is not None:
        return referrer == partner_id
    # Before the application's facts have arrived: any of its events naming the partner.
    return any(entry.facts.get("partner_id") == str(partner_id) for entry in entries)
