"""Orders for approved plans. Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.orders.models import Order, OrderItem, OrderStatus
from shared.auth import Principal
from shared.events import OrderOpened, PlanApproved
from shared.messaging.outbox import add_event
from shared.problems import NotFound

log = logging.getLogger(__name__)


async def open_order_for(session: AsyncSession, approved: PlanApproved) -> Order:
    existing = await session.scalar(select(Order).where(Order.plan_id == approved.plan_id))
    if existing is not None:
        return await _revise(session, existing, approved)
    order = Order(
        plan_id=approved.plan_id,
        participant_id=approved.participant_id,
        region=approved.region,
        direction=approved.direction,
        partner_id=approved.partner_id,
        items=_items(approved),
    )
    session.add(order)
    await session.flush()
    await add_event(
        session,
        OrderOpened(
            order_id=order.id,
            plan_id=order.plan_id,
            participant_id=order.participant_id,
            total=order.total,
        ),
    )
    return order


async def _revise(session: AsyncSession, order: Order, approved: PlanApproved) -> Order:
    """A plan reopened and approved again: an order not yet delivered takes the revised items;
    one already handed over stays as it was signed."""
    if order.status != OrderStatus.open:
        log.info("plan %s approved again after its order %s was delivered", order.plan_id, order.id)
        return order
    order.items = _items(approved)
    await session.flush()
    return order


def _items(approved: PlanApproved) -> list[OrderItem]:
    return [
        OrderItem(
            position=position,
            asset_type=item.asset_type,
            quantity=item.quantity,
            unit_price=item.unit_price,
        )
        for position, item in enumerate(approved.items)
    ]


def orders_query(
    principal: Principal, plan_id: uuid.UUID | None, participant_id: uuid.UUID | None
) -> Select[Order]:
    query = select(Order)
    if plan_id is not None:
        query = query.where(Order.plan_id == plan_id)
    if participant_id is not None:
        query = query.where(Order.participant_id == participant_id)
    if principal.partner_id is not None:
        query = query.where(Order.partner_id == principal.partner_id)
    return query


async def get_order(session: AsyncSession, order_id: uuid.UUID, principal: Principal) -> Order:
    order = await session.get(Order, order_id)
    if order is None or (
        principal.partner_id is not None and order.partner_id != principal.partner_id
    ):
        raise NotFound("order", order_id)
    return order
