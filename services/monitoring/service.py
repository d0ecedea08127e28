"""Monitoring's rules. Functions flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from dateutil.relativedelta import relativedelta
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.models import TimelineEntry, Visit
from shared.auth import Principal
from shared.events import DeliveryCompleted, Envelope


async def record_on_timeline(session: AsyncSession, envelope: Envelope) -> None:
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


async def schedule_visits(
    session: AsyncSession, delivery: DeliveryCompleted, months: Sequence[int]
) -> None:
    for month in months:
        session.add(
            Visit(
                participant_id=delivery.participant_id,
                delivery_id=delivery.delivery_id,
                region=delivery.region,
                partner_id=delivery.partner_id,
                month=month,
                due_on=delivery.delivered_on + relativedelta(months=month),
            )
        )
    await session.flush()


def visits_query(principal: Principal, participant_id: uuid.UUID | None) -> Select[Visit]:
    query = select(Visit)
    if participant_id is not None:
        query = query.where(Visit.participant_id == participant_id)
    if principal.partner_id is not None:
        query = query.where(Visit.partner_id == principal.partner_id)
    return query


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
