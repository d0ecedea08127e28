"""Helpers for the tests of cases, flags and outcomes: events as the other services (and the
visits domain) send them, applied through monitoring's own handlers or published on NATS."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from monitoring.handlers import handlers
from monitoring.settings import MonitoringSettings
from monitoring.visits.models import Visit
from shared.auth import generate_api_key
from shared.db import utcnow
from shared.events import (
    DeliveryCompleted,
    Envelope,
    Event,
    MonthlyProjection,
    PartnerKeyIssued,
    PlanApproved,
    ReportedItem,
    VisitReported,
)
from tests.events_support import announced
from tests.journey_support import eventually
from tests.monitoring.visits_support import delivery
from tests.service_fixtures import Service

__all__ = ["eventually"]


async def handle(monitoring: Service, event: Event) -> Envelope:
    """Applies an event as monitoring's consumer would (every step, in one transaction)."""
    assert isinstance(monitoring.settings, MonitoringSettings)
    envelope = Envelope.wrap(event)
    handler = handlers(monitoring.settings)[event.source_service][event.type]
    async with monitoring.runtime.sessionmaker() as session, session.begin():
        await handler(session, event, envelope)
    return envelope


def delivered(
    participant_id: uuid.UUID | None = None,
    *,
    partner_id: uuid.UUID | None = None,
    region: str = "AZ-GA",
    direction: str = "beekeeping",
    delivered_on: date = date(2026, 1, 31),
) -> DeliveryCompleted:
    """Two beehives handed over (the cases' tests' usual delivery)."""
    return delivery(
        delivered_on=delivered_on,
        region=region,
        participant_id=participant_id,
        partner_id=partner_id,
        serials=("HIVE-001", "HIVE-002"),
        unit_price="150.50",
        direction=direction,
    )


def approved(participant_id: uuid.UUID, income: str = "300.00", **extra: Any) -> PlanApproved:
    """A plan approval expecting `income` a month, every month."""
    return PlanApproved(
        plan_id=uuid.uuid4(),
        participant_id=participant_id,
        region="AZ-GA",
        direction="beekeeping",
        items=[],
        total=Decimal("301.00"),
        approved_at=extra.pop("approved_at", utcnow()),
        projections=[
            MonthlyProjection(month=month, income=Decimal(income), costs=Decimal("100.00"))
            for month in range(1, 13)
        ],
        **extra,
    )


def reported(
    participant_id: uuid.UUID,
    *,
    visit_id: uuid.UUID | None = None,
    month: int = 3,
    operating: bool = True,
    income: str | None = None,
    items: Sequence[tuple[str, str]] = (),
    revision: int = 1,
) -> VisitReported:
    """A visit report; `items` are (serial, status) pairs of beehives."""
    return VisitReported(
        visit_id=visit_id or uuid.uuid4(),
        participant_id=participant_id,
        month=month,
        due_on=date(2026, 1, 31),
        visited_on=date(2026, 5, 2),
        operating=operating,
        income=Decimal(income) if income is not None else None,
        costs=Decimal("50.00"),
        jobs=1,
        items=[
            ReportedItem(asset_type="beehive", serial=serial, status=status)
            for serial, status in items
        ],
        revision=revision,
    )


async def visits_of(monitoring: Service, participant_id: uuid.UUID) -> dict[int, uuid.UUID]:
    """The participant's scheduled visits: month -> visit id."""
    async with monitoring.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Visit.month, Visit.id).where(Visit.participant_id == participant_id)
        )
        return {month: visit_id for month, visit_id in rows}


async def outbox(service: Service, event_type: str) -> list[dict[str, Any]]:
    """The events of one type the service wrote for publishing, oldest first (their data)."""
    return [envelope["data"] for envelope in await announced(service, event_type)]


async def flags(monitoring: Service, headers: dict[str, str], query: str = "") -> list[Any]:
    response = await monitoring.client.get(f"/v1/flags?limit=200&{query}", headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


async def partner_key(monitoring: Service) -> tuple[uuid.UUID, dict[str, str]]:
    """A partner and its monitoring:read API key, copied into monitoring as intake's event does."""
    partner_id = uuid.uuid4()
    key, prefix, key_hash = generate_api_key()
    await handle(
        monitoring,
        PartnerKeyIssued(
            key_id=uuid.uuid4(),
            partner_id=partner_id,
            prefix=prefix,
            key_hash=key_hash,
            scopes=["monitoring:read"],
        ),
    )
    return partner_id, {"X-API-Key": key}
