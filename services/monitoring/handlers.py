"""Monitoring consumes every service's events, its own included: first each event's projection
into the read models, then whatever the visits, cases and a person's rights do with it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.cases.handlers import handlers as case_handlers
from monitoring.due_process import handlers as due_process_handlers
from monitoring.readmodels.projections import PROJECTIONS
from monitoring.settings import MonitoringSettings
from monitoring.visits.handlers import handlers as visit_handlers
from shared.events import EVENT_TYPES, Envelope, Event
from shared.messaging.consumer import Handler
from shared.partner_keys import PARTNER_KEY_HANDLERS


def in_order(steps: Sequence[Handler]) -> Handler:
    """One handler running `steps` one after the other, in the same transaction."""

    async def handle(session: AsyncSession, event: Event, envelope: Envelope) -> None:
        for step in steps:
            await step(session, event, envelope)

    return handle


def handlers(settings: MonitoringSettings) -> dict[str, dict[str, Handler]]:
    steps: dict[str, list[Handler]] = {}
    for by_type in (
        PROJECTIONS,
        visit_handlers(settings),
        case_handlers(settings),
        due_process_handlers(settings),
    ):
        for event_type, handler in by_type.items():
            steps.setdefault(event_type, []).append(handler)
    by_producer: dict[str, dict[str, Handler]] = {}
    for event_type, handlers_of_type in steps.items():
        producer = EVENT_TYPES[event_type].source_service
        by_producer.setdefault(producer, {})[event_type] = in_order(handlers_of_type)
    # Partners' API keys, so that monitoring authenticates partners on its own.
    by_producer.setdefault("intake", {}).update(PARTNER_KEY_HANDLERS)
    return by_producer
