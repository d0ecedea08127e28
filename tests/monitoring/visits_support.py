"""Helpers for the visits tests: deliveries and closed cases applied as monitoring's consumer
would, partner keys, monitors, and the events monitoring wrote."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from PIL import Image
from sqlalchemy import select

from monitoring.settings import MonitoringSettings
from monitoring.visits.handlers import handlers
from shared.events import (
    CaseClosed,
    DeliveredItem,
    DeliveryCompleted,
    Envelope,
    Event,
)
from shared.tables import SHARED_TABLES
from tests.events_support import copied_partner_key
from tests.service_fixtures import Auth, Service


def an_image(fmt: str, size: tuple[int, int] = (8, 8), **save: Any) -> bytes:
    """A real image (photos are decoded and re-encoded on upload)."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 150, 0)).save(out, fmt, **save)
    return out.getvalue()


PNG = an_image("PNG")
JPEG = an_image("JPEG")
PDF = b"%PDF-1.7\n" + b"\x00" * 64


def delivery(
    *,
    delivered_on: date = date(2026, 1, 31),
    region: str = "AZ-GA",
    participant_id: uuid.UUID | None = None,
    partner_id: uuid.UUID | None = None,
    serials: tuple[str, ...] = ("HIVE-1", "HIVE-2"),
    asset_type: str = "beehive",
    unit_price: str = "150.00",
    direction: str = "beekeeping",
) -> DeliveryCompleted:
    """A handover as assets announces it: one unit per serial, each with its unit id."""
    return DeliveryCompleted(
        delivery_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        plan_id=uuid.uuid4(),
        participant_id=participant_id or uuid.uuid4(),
        region=region,
        direction=direction,
        partner_id=partner_id,
        items=[
            DeliveredItem(
                asset_type=asset_type,
                quantity=len(serials),
                unit_price=Decimal(unit_price),
                serials=list(serials),
                unit_ids=[uuid.uuid4() for _ in serials],
            )
        ],
        total=Decimal(unit_price) * len(serials),
        delivered_on=delivered_on,
    )


async def apply(monitoring: Service, event: Event) -> None:
    """Runs the visits' handler of the event in its own transaction, as the consumer would."""
    settings = monitoring.settings
    assert isinstance(settings, MonitoringSettings)
    handler = handlers(settings)[event.type]
    async with monitoring.runtime.sessionmaker() as session, session.begin():
        await handler(session, event, Envelope.wrap(event))


async def deliver(
    monitoring: Service, auth: Auth, **fields: Any
) -> tuple[DeliveryCompleted, list[dict[str, Any]]]:
    """Applies a delivery and returns it with the participant's visits."""
    event = delivery(**fields)
    await apply(monitoring, event)
    return event, await visits_of(monitoring, auth, event.participant_id)


async def visits_of(
    monitoring: Service, auth: Auth, participant_id: uuid.UUID
) -> list[dict[str, Any]]:
    response = await monitoring.client.get(
        f"/v1/visits?participant_id={participant_id}", headers=auth("case_officer")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def close_case(monitoring: Service, participant_id: uuid.UUID, closed_on: date) -> None:
    await apply(
        monitoring,
        CaseClosed(
            participant_id=participant_id,
            outcome="dropped_out",
            reason="withdrew",
            closed_on=closed_on,
        ),
    )


async def partner_key(monitoring: Service, partner_id: uuid.UUID, *scopes: str) -> dict[str, str]:
    """An API key of `partner_id`, copied into monitoring as intake's event would."""
    return await copied_partner_key(monitoring, partner_id, *scopes)


async def put_monitor(
    monitoring: Service, auth: Auth, monitor_id: str, *regions: str, **headers: str
) -> dict[str, Any]:
    response = await monitoring.client.put(
        f"/v1/monitors/{monitor_id}",
        json={"regions": list(regions)},
        headers=auth("admin", **headers),
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def written(monitoring: Service, event_type: str) -> list[dict[str, Any]]:
    """The payloads of the events of `event_type` monitoring wrote to its outbox, oldest first."""
    outbox = SHARED_TABLES.outbox
    async with monitoring.runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(outbox.c.envelope).where(outbox.c.subject == event_type).order_by(outbox.c.id)
        )
        return [row["data"] for row in rows]
