"""Helpers for the assets tests: approvals, partner keys and the state budget's rounds."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from matplotlib.figure import Figure
from sqlalchemy import func, select

from assets.funds.models import STATE_FUND_ID
from assets.handlers import on_plan_approved
from assets.orders.models import Order
from assets.orders.schemas import OrderOut
from shared.auth import Scope
from shared.db import utcnow
from shared.events import (
    AssetItem,
    Envelope,
    PlanApproved,
)
from shared.tables import SHARED_TABLES
from tests.events_support import copied_partner_key
from tests.service_fixtures import Auth, Service

STATE = str(STATE_FUND_ID)
ROUND = {"round": "2026-autumn", "period_start": "2026-01-01", "period_end": "2030-12-31"}


def approval(
    price: str = "1000.00",
    quantity: int = 1,
    partner_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
    approved_at: datetime | None = None,
) -> PlanApproved:
    total = Decimal(price) * quantity
    return PlanApproved(
        plan_id=plan_id or uuid.uuid4(),
        participant_id=uuid.uuid4(),
        region="AZ-GA",
        direction="beekeeping",
        partner_id=partner_id,
        items=[
            AssetItem(
                asset_type="beehive", quantity=quantity, unit_price=Decimal(price), total=total
            )
        ],
        total=total,
        approved_at=approved_at or utcnow(),
    )


async def add_budget(
    assets: Service, auth: Auth, allocated: str, fund_id: str = STATE, **fields: str
) -> dict[str, Any]:
    response = await assets.client.post(
        f"/v1/funds/{fund_id}/budgets",
        json={**ROUND, **fields, "allocated": allocated},
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    budget: dict[str, Any] = response.json()
    return budget


async def partner_key(assets: Service, partner_id: uuid.UUID) -> dict[str, str]:
    """An API key of `partner_id` with assets:read, copied into assets as intake's event would."""
    return await copied_partner_key(assets, partner_id, Scope.assets_read)


async def approve(assets: Service, event: PlanApproved) -> dict[str, Any]:
    """Runs the plans.plan.approved handler in its own transaction, as the consumer would."""
    async with assets.runtime.sessionmaker() as session, session.begin():
        await on_plan_approved(session, event, Envelope.wrap(event))
    return await order_of(assets, event.plan_id)


async def order_of(assets: Service, plan_id: uuid.UUID) -> dict[str, Any]:
    async with assets.runtime.sessionmaker() as session:
        order = await session.scalar(select(Order).where(Order.plan_id == plan_id))
        assert order is not None
        return OrderOut.model_validate(order).model_dump(mode="json")


async def outbox_count(assets: Service, event_type: str, order_id: str | None = None) -> int:
    """Events of `event_type` written by assets (about `order_id`, if given)."""
    outbox = SHARED_TABLES.outbox
    query = select(func.count()).where(outbox.c.subject == event_type)
    if order_id is not None:
        query = query.where(outbox.c.envelope["data"]["order_id"].astext == order_id)
    async with assets.runtime.sessionmaker() as session:
        return int(await session.scalar(query) or 0)


def a_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Handover act No. 17")
    return bytes(pdf.output())


def a_png() -> bytes:
    figure = Figure(figsize=(1, 1))
    figure.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
