"""Deliveries and handover acts. Functions flush, never commit."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assets.deliveries.models import DeliveredUnit, Delivery
from assets.deliveries.schemas import DeliveryIn
from assets.orders.models import Order, OrderItem, OrderStatus
from assets.orders.service import get_order
from shared.auth import Principal
from shared.events import DeliveredItem, DeliveryCompleted
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, InvalidState, ValidationProblem


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
