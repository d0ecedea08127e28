"""Standing in for another service in a test: publishing its events, copying a partner's key."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from shared.auth import generate_api_key
from shared.db import utcnow
from shared.events import (
    AssetItem,
    ConsentChanged,
    Envelope,
    Event,
    GrievanceResolved,
    PartnerKeyIssued,
    PlanApproved,
)
from shared.events.catalog import GrievanceType
from shared.messaging.consumer import Handler
from shared.messaging.jetstream import subject_for
from shared.partner_keys import on_partner_key_issued
from shared.tables import SHARED_TABLES
from tests.service_fixtures import Service


async def publish(service: Service, event: Event, msg_id: str | None = None) -> Envelope:
    """Publishes an event on NATS as its producer would: the service's consumers pick it up."""
    envelope = Envelope.wrap(event)
    await (await service.jetstream_as(event.source_service)).publish(
        subject_for(service.settings.nats_namespace, envelope.type),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": msg_id or str(envelope.id)},
    )
    return envelope


async def announced(service: Service, *event_types: str) -> list[dict[str, Any]]:
    """The envelopes of these types the service wrote to its outbox, oldest first: what it
    announced (or will, once the relay runs)."""
    table = SHARED_TABLES.outbox
    async with service.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(table.c.envelope).where(table.c.subject.in_(event_types)).order_by(table.c.id)
        )
        return [row.envelope for row in rows]


async def copied_partner_key(
    service: Service, partner_id: uuid.UUID, *scopes: str
) -> dict[str, str]:
    """The headers of a new API key of `partner_id`, copied into the service as intake's event
    would (applied at once, not through NATS)."""
    key, prefix, key_hash = generate_api_key()
    event = PartnerKeyIssued(
        key_id=uuid.uuid4(),
        partner_id=partner_id,
        prefix=prefix,
        key_hash=key_hash,
        scopes=list(scopes),
    )
    async with service.runtime.sessionmaker() as session, session.begin():
        await on_partner_key_issued(session, event, Envelope.wrap(event))
    return {"X-API-Key": key}


def plan_approved(
    *items: tuple[str, int, str],
    region: str = "AZ-QBA",
    direction: str = "cattle",
    plan_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    partner_id: uuid.UUID | None = None,
) -> PlanApproved:
    """plans' approval of a plan just now, with (asset type, quantity, unit price) items."""
    lines = [
        AssetItem(
            asset_type=code,
            quantity=quantity,
            unit_price=Decimal(price),
            total=Decimal(price) * quantity,
        )
        for code, quantity, price in items
    ]
    return PlanApproved(
        plan_id=plan_id or uuid.uuid4(),
        participant_id=participant_id or uuid.uuid4(),
        region=region,
        direction=direction,
        partner_id=partner_id,
        items=lines,
        total=sum((line.total for line in lines), Decimal("0.00")),
        approved_at=utcnow(),
    )


async def handle(service: Service, handler: Handler, event: Event) -> None:
    """Runs `handler` on `event` in its own transaction, as the service's consumer would."""
    async with service.runtime.sessionmaker() as session, session.begin():
        await handler(session, event, Envelope.wrap(event))


def appeal_resolved(
    decision_id: str,
    application_id: str,
    decision_service: str,
    *,
    outcome: str = "upheld",
    grievance_type: GrievanceType = "appeal",
) -> GrievanceResolved:
    """monitoring's resolution of an appeal against a decision (by default: upheld)."""
    return GrievanceResolved(
        grievance_id=uuid.uuid4(),
        application_id=uuid.UUID(application_id),
        grievance_type=grievance_type,
        category="appeal",
        outcome=outcome,
        decision_id=uuid.UUID(decision_id),
        decision_service=decision_service,
        resolved_at=utcnow(),
    )


def sharing_consent(application_id: str, partner_id: uuid.UUID, *, granted: bool) -> ConsentChanged:
    """intake's news that a person withdrew (or gave again) consent to share with a partner."""
    return ConsentChanged(
        applicant_id=uuid.uuid4(),
        application_ids=[uuid.UUID(application_id)],
        purpose="partner_sharing",
        partner_id=partner_id,
        granted=granted,
        text_version="2026-11",
        changed_at=utcnow(),
    )
