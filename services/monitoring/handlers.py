"""Monitoring consumes every service's events: each goes on the participant's timeline, and a
completed delivery schedules the year of visits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monitoring import service
from monitoring.settings import MonitoringSettings
from shared.events import EVENT_TYPES, DeliveryCompleted, Envelope, Event
from shared.messaging.consumer import Handler
from shared.partner_keys import PARTNER_KEY_HANDLERS


async def on_any_event(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    await service.record_on_timeline(session, envelope)


def handlers(settings: MonitoringSettings) -> dict[str, dict[str, Handler]]:
    async def on_delivery_completed(
        session: AsyncSession, event: DeliveryCompleted, envelope: Envelope
    ) -> None:
        await service.record_on_timeline(session, envelope)
        await service.schedule_visits(session, event, settings.visit_months)

    by_producer: dict[str, dict[str, Handler]] = {}
    for event_type, model in EVENT_TYPES.items():
        if model.lifecycle and model.source_service != "monitoring":
            by_producer.setdefault(model.source_service, {})[event_type] = on_any_event
    by_producer["assets"][DeliveryCompleted.type] = on_delivery_completed
    # Partners' API keys (not lifecycle events, so not on any timeline).
    by_producer.setdefault("intake", {}).update(PARTNER_KEY_HANDLERS)
    return by_producer
