"""Visits: scheduling and lists. Functions flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from dateutil.relativedelta import relativedelta
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.visits.models import Visit
from shared.auth import Principal
from shared.events import DeliveryCompleted


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
