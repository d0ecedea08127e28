"""Assets' rules. Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assets.models import DeliveredUnit, Delivery, Order, OrderItem, OrderStatus
from assets.schemas import DeliveryIn
from shared.auth import Principal
from shared.events import DeliveredItem, DeliveryCompleted, OrderOpened, PlanApproved
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, InvalidState, NotFound, ValidationProblem

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


async def record_delivery(
    session: AsyncSession, data: DeliveryIn, principal: Principal
) -> Delivery:
    order = await get_order(session, data.order_id, principal)
    if order.status != OrderStatus.open:
        raise InvalidState(order.status)
    _check_serials(order, data)
    delivery = Delivery(
        order_id=order.id,
        delivered_on=data.delivered_on,
        place=data.place,
        signed_by=data.signed_by,
        recorded_by=principal.id,
        units=[
            DeliveredUnit(
                order_item_id=line.order_item_id, asset_type=item.asset_type, serial=serial
            )
            for line, item in _lines(order, data)
            for serial in line.serials
        ],
    )
    session.add(delivery)
    order.status = OrderStatus.delivered
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("detail.serial-already-delivered") from exc
    await add_event(
        session,
        DeliveryCompleted(
            delivery_id=delivery.id,
            order_id=order.id,
            plan_id=order.plan_id,
            participant_id=order.participant_id,
            region=order.region,
            direction=order.direction,
            partner_id=order.partner_id,
            items=[
                DeliveredItem(
                    asset_type=item.asset_type,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    serials=line.serials,
                )
                for line, item in _lines(order, data)
            ],
            total=order.total,
            delivered_on=delivery.delivered_on,
        ),
    )
    return delivery


def _lines(order: Order, data: DeliveryIn) -> list[tuple[DeliveryIn.Line, OrderItem]]:
    by_id = {item.id: item for item in order.items}
    return [(line, by_id[line.order_item_id]) for line in data.items]


def _check_serials(order: Order, data: DeliveryIn) -> None:
    """Every order item is handed over in full, each unit with its own serial or tag number."""
    by_id = {item.id: item for item in order.items}
    errors = []
    for index, line in enumerate(data.items):
        item = by_id.get(line.order_item_id)
        if item is None:
            errors.append(
                FieldError(
                    field=f"body.items.{index}.order_item_id",
                    code="unknown_item",
                    message="not an item of this order",
                )
            )
        elif len(line.serials) != item.quantity:
            errors.append(
                FieldError(
                    field=f"body.items.{index}.serials",
                    code="count_mismatch",
                    message=f"{item.quantity} serial numbers expected",
                )
            )
        elif len(set(line.serials)) != len(line.serials):
            errors.append(
                FieldError(
                    field=f"body.items.{index}.serials",
                    code="duplicate",
                    message="serial numbers repeat",
                )
            )
    missing = set(by_id) - {line.order_item_id for line in data.items}
    if missing:
        errors.append(
            FieldError(
                field="body.items", code="incomplete", message="every order item must be delivered"
            )
        )
    if errors:
        raise ValidationProblem(errors)
