"""What visits do with events: a completed delivery schedules the year of visits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.settings import MonitoringSettings
from monitoring.visits import service
from shared.events import DeliveryCompleted, Envelope
from shared.messaging.consumer import Handler


def handlers(settings: MonitoringSettings) -> dict[str, Handler]:
    async def on_delivery_completed(
        session: AsyncSession, event: DeliveryCompleted, envelope: Envelope
    ) -> None:
        await service.schedule_visits(session, event, settings.visit_months)

    return {DeliveryCompleted.type: on_delivery_completed}
