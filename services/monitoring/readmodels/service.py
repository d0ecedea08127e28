"""Reading the read models."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import ApplicationFact, TimelineEntry
from shared.auth import Principal
from shared.repository import partner_column_filter, visible_to


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
    if entries and not await session.scalar(select(_referred(participant_id, principal))):
        return []
    return entries


def _referred(participant_id: uuid.UUID, principal: Principal) -> ColumnElement[bool]:
    """Whether the principal may see the participant: the referrer its application's facts name,
    or, before those have arrived, any of its events naming the principal's partner."""
    application, entry = ApplicationFact, TimelineEntry
    referrer_known = select(application.application_id).where(
        application.application_id == participant_id, application.partner_id.is_not(None)
    )
    return or_(
        exists(referrer_known.where(partner_column_filter(application.partner_id, principal))),
        and_(
            ~exists(referrer_known),
            exists(
                select(entry.id).where(
                    entry.participant_id == participant_id, visible_to(entry, principal)
                )
            ),
        ),
    )
