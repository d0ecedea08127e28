"""What assets holds about a person's applications: their part of an access request, and the
removal of the free text about them once intake erased the person. Functions flush, never commit.

Orders name the participant, whose id is its enrolled application's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from assets.deliveries.models import DeliveredUnit, Delivery, ItemHistory
from assets.orders.models import Order, OrderItem
from shared.events import ApplicantErased, Envelope

# The handover act's file is named by its metadata only: the scan itself is downloaded from
# the delivery's act route.
_INTERNAL = frozenset({"act_key"})


def _columns(row: object) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in inspect(row).mapper.column_attrs
        if column.key not in _INTERNAL
    }


async def _all(session: AsyncSession, statement: Any) -> list[dict[str, Any]]:
    return [_columns(row) for row in (await session.scalars(statement)).all()]


async def gather(
    session: AsyncSession, application_ids: list[uuid.UUID]
) -> dict[str, list[dict[str, Any]]]:
    """Every assets record about these participants, by kind (shared/subject_access.py)."""
    orders = select(Order.id).where(Order.participant_id.in_(application_ids))
    deliveries = select(Delivery.id).where(Delivery.order_id.in_(orders))
    units = select(DeliveredUnit.id).where(DeliveredUnit.delivery_id.in_(deliveries))
    return {
        "orders": await _all(session, select(Order).where(Order.id.in_(orders))),
        "order_items": await _all(session, select(OrderItem).where(OrderItem.order_id.in_(orders))),
        "deliveries": await _all(session, select(Delivery).where(Delivery.id.in_(deliveries))),
        "delivered_units": await _all(
            session, select(DeliveredUnit).where(DeliveredUnit.id.in_(units))
        ),
        "item_history": await _all(
            session, select(ItemHistory).where(ItemHistory.unit_id.in_(units))
        ),
    }


async def erase_free_text(session: AsyncSession, application_ids: list[uuid.UUID]) -> None:
    """Removes what was typed about where these participants took their assets (a handover's
    place may be their home); amounts, units, serials and dates stay, so reports do not change."""
    orders = select(Order.id).where(Order.participant_id.in_(application_ids))
    await session.execute(
        update(Delivery)
        .where(Delivery.order_id.in_(orders))
        .values(place="", version=Delivery.version + 1)
        .execution_options(synchronize_session=False)
    )
    await session.flush()


async def on_applicant_erased(
    session: AsyncSession, event: ApplicantErased, envelope: Envelope
) -> None:
    await erase_free_text(session, event.application_ids)
