"""What visits do with events: a completed delivery schedules the year of visits (or, for a
later partial delivery, adds its units); a closed case cancels the visits not made yet."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.settings import MonitoringSettings
from monitoring.visits import service
from shared.events import CaseClosed, DeliveryCompleted, Envelope
from shared.messaging.consumer import Handler


def handlers(settings: MonitoringSettings) -> dict[str, Handler]:
    async def on_delivery_completed(
        session: AsyncSession, event: DeliveryCompleted, envelope: Envelope
    ) -> None:
        await service.schedule_visits(session, event, settings.visit_months)

    async def on_case_closed(session: AsyncSession, event: CaseClosed, envelope: Envelope) -> None:
        await service.cancel_open_visits(session, event.participant_id, event.closed_on)

    return {DeliveryCompleted.type: on_delivery_completed, CaseClosed.type: on_case_closed}
