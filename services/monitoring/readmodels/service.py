"""Reading the read models."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import TimelineEntry
from shared.auth import Principal


async def timeline(
    session: AsyncSession, participant_id: uuid.UUID, principal: Principal
) -> list[TimelineEntry]:
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.participant_id == participant_id)
        .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
    )
    entries = list((await session.scalars(query)).all())
    if principal.partner_id is not None and not any(
        entry.facts.get("partner_id") == str(principal.partner_id) for entry in entries
    ):
        return []
    return entries
