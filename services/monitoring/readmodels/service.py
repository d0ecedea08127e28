"""Reading the read models."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.queries import equal
from monitoring.readmodels.models import ApplicationFact, Decision, TimelineEntry
from shared.auth import Principal
from shared.repository import Repository, partner_column_filter, visible_to


class DecisionRepository(Repository[Decision]):
    model = Decision
    resource = "decision"


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
        exists(
            referrer_known.where(
                partner_column_filter(
                    application.partner_id, principal, application=application.application_id
                )
            )
        ),
        and_(
            ~exists(referrer_known),
            exists(
                select(entry.id).where(
                    entry.participant_id == participant_id, visible_to(entry, principal)
                )
            ),
        ),
    )


def decisions_query(
    session: AsyncSession,
    principal: Principal,
    *,
    application_id: uuid.UUID | None,
    service: str | None,
    kind: str | None,
) -> Select[Decision]:
    return DecisionRepository(session).query(
        principal,
        Decision.decided_at.is_not(None),  # a reversal whose decision has not arrived yet
        *equal(
            (Decision.application_id, application_id),
            (Decision.service, service),
            (Decision.kind, kind),
        ),
    )
