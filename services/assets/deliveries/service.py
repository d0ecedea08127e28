"""Deliveries, handover acts and the delivered items' status. Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assets.catalogue.models import Tracking
from assets.catalogue.service import tracking_of
from assets.deliveries import messages  # noqa: F401  (registers the message keys)
from assets.deliveries.models import (
    DeliveredUnit,
    Delivery,
    ItemHistory,
    ItemStatus,
    SerialFlag,
)
from assets.deliveries.schemas import DeliveryIn
from assets.orders.models import Order, OrderItem, OrderStatus
from assets.orders.repository import OrderRepository
from assets.orders.service import DELIVERABLE, deliver, lock_order
from shared.auth import Principal
from shared.db import add_in_savepoint, utcnow
from shared.events import DeliveredItem, DeliveryCompleted, Envelope, ItemStatusReported
from shared.filestore import FileStore
from shared.messaging.outbox import add_event
from shared.problems import (
    Conflict,
    FieldError,
    InvalidState,
    NotFound,
    ValidationProblem,
)
from shared.uploads import Upload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TakenSerial:
    asset_type: str
    serial: str
    existing_unit_id: uuid.UUID


class SerialsTaken(Conflict):
    """Serial or tag numbers handed over before; `taken` says which and with which unit."""

    def __init__(self, order_id: uuid.UUID, taken: Sequence[TakenSerial], paths: list[str]):
        super().__init__(
            "detail.serial-already-delivered",
            errors=[
                FieldError(
                    field=path, code="already_delivered", message="field.serial-already-delivered"
                )
                for path in paths
            ],
        )
        self.order_id = order_id
        self.taken = list(taken)


# A delivery line: its index in the request, the line and the order item it hands over.
Line = tuple[int, DeliveryIn.Line, OrderItem]


async def record_delivery(
    session: AsyncSession, data: DeliveryIn, principal: Principal
) -> Delivery:
    """One handover of some or all of an order's remaining units. Its share of the order's
    reservation becomes spending; the order is delivered when nothing remains."""
    order = await lock_order(session, await OrderRepository(session).get(data.order_id, principal))
    # First, so that an order in the wrong state is refused before anything else.
    if order.status not in DELIVERABLE:
        raise InvalidState(order.status)
    tracking = await tracking_of(session, [item.asset_type for item in order.items])
    lines = _check_lines(order, data, tracking)
    await _refuse_taken_serials(session, order, lines)
    await deliver(session, order, {item.id: _count(line) for _, line, item in lines})
    delivery = _handover(order, data, lines, principal)
    try:
        await add_in_savepoint(session, delivery)
    except IntegrityError as exc:  # a concurrent handover took a number after our check
        raise Conflict("detail.serial-already-delivered") from exc
    await add_event(session, _completed(delivery, order, lines))
    return delivery


def _handover(order: Order, data: DeliveryIn, lines: list[Line], principal: Principal) -> Delivery:
    """The signed act with its units, each in use from the day of the handover."""
    return Delivery(
        order_id=order.id,
        delivered_on=data.delivered_on,
        place=data.place,
        signed_by=data.signed_by,
        officer_id=data.officer_id,
        recorded_by=principal.id,
        units=[
            DeliveredUnit(
                order_item_id=item.id,
                asset_type=item.asset_type,
                serial=serial,
                quantity=quantity,
                history=[
                    ItemHistory(
                        status=ItemStatus.in_use,
                        occurred_on=data.delivered_on,
                        reason="handover",
                        recorded_at=utcnow(),
                    )
                ],
            )
            for _, line, item in lines
            for serial, quantity in _units(line)
        ],
    )


def _completed(delivery: Delivery, order: Order, lines: list[Line]) -> DeliveryCompleted:
    return DeliveryCompleted(
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
                quantity=_count(line),
                unit_price=item.unit_price,
                serials=line.serials,
                order_item_id=item.id,
                unit_ids=[u.id for u in delivery.units if u.order_item_id == item.id],
            )
            for _, line, item in lines
        ],
        # This delivery's own items, at the plan's prices (as the order's `total`).
        total=sum((item.unit_price * _count(line) for _, line, item in lines), Decimal("0.00")),
        delivered_on=delivery.delivered_on,
        order_delivered=order.status == OrderStatus.delivered,
    )


def _count(line: DeliveryIn.Line) -> int:
    """Units handed over by the line: one per serial number, or the bulk quantity."""
    return len(line.serials) if line.serials else line.quantity or 0


def _units(line: DeliveryIn.Line) -> list[tuple[str | None, int]]:
    if line.serials:
        return [(serial, 1) for serial in line.serials]
    return [(None, _count(line))]


def _check_lines(order: Order, data: DeliveryIn, tracking: dict[str, Tracking]) -> list[Line]:
    """Each line hands over some of an item's remaining units, never more: a tracked type unit
    by unit, each with its own serial or tag number; a bulk type as a count. Types not in the
    catalogue count as tracked."""
    by_id = {item.id: item for item in order.items}
    errors: list[FieldError] = []
    lines: list[Line] = []
    seen: set[uuid.UUID] = set()
    numbers: dict[tuple[str, str], str] = {}

    def error(field: str, code: str, message: str) -> None:
        errors.append(FieldError(field=field, code=code, message=message))

    for index, line in enumerate(data.items):
        at = f"body.items.{index}"
        item = by_id.get(line.order_item_id)
        if item is None:
            error(f"{at}.order_item_id", "unknown_item", "field.not-an-item")
            continue
        if item.id in seen:
            error(f"{at}.order_item_id", "duplicate_item", "field.item-listed-twice")
            continue
        seen.add(item.id)
        if tracking.get(item.asset_type, Tracking.serial) == Tracking.bulk:
            if line.serials:
                error(f"{at}.serials", "not_tracked", "field.bulk-not-numbered")
            elif line.quantity is None:
                error(f"{at}.quantity", "missing", "field.bulk-quantity-needed")
            elif line.quantity > item.remaining:
                error(f"{at}.quantity", "over_delivery", "field.over-delivery")
        elif not line.serials:
            error(f"{at}.serials", "missing", "field.serials-needed")
        elif line.quantity is not None and line.quantity != len(line.serials):
            error(f"{at}.quantity", "count_mismatch", "field.serials-count-mismatch")
        elif len(set(line.serials)) != len(line.serials):
            error(f"{at}.serials", "duplicate", "field.serials-repeat")
        elif len(line.serials) > item.remaining:
            error(f"{at}.serials", "over_delivery", "field.over-delivery")
        else:
            for position, serial in enumerate(line.serials):
                path = f"{at}.serials.{position}"
                if numbers.setdefault((item.asset_type, serial), path) != path:
                    error(path, "duplicate", "field.serials-repeat")
        lines.append((index, line, item))
    if errors:
        raise ValidationProblem(errors)
    return lines


async def _refuse_taken_serials(session: AsyncSession, order: Order, lines: list[Line]) -> None:
    """The same serial or tag number of a type is handed over once, to anyone, ever."""
    wanted = {
        (item.asset_type, serial): f"body.items.{index}.serials.{position}"
        for index, line, item in lines
        for position, serial in enumerate(line.serials)
    }
    if not wanted:
        return
    rows = await session.execute(
        select(DeliveredUnit.asset_type, DeliveredUnit.serial, DeliveredUnit.id).where(
            tuple_(DeliveredUnit.asset_type, DeliveredUnit.serial).in_(list(wanted))
        )
    )
    taken = [TakenSerial(asset_type, str(serial), unit_id) for asset_type, serial, unit_id in rows]
    if taken:
        paths = sorted(wanted[(t.asset_type, t.serial)] for t in taken)
        raise SerialsTaken(order.id, taken, paths)


async def flag_serials(session: AsyncSession, refused: SerialsTaken, principal: Principal) -> None:
    """Keeps a refused second handover for staff to look into. Runs in its own transaction
    (see the route): the refused request's own transaction is rolled back."""
    session.add_all(
        SerialFlag(
            asset_type=taken.asset_type,
            serial=taken.serial,
            order_id=refused.order_id,
            existing_unit_id=taken.existing_unit_id,
            flagged_by=principal.id,
        )
        for taken in refused.taken
    )
    await session.flush()
    log.warning(
        "refused a second handover of %d serial(s) for order %s",
        len(refused.taken),
        refused.order_id,
    )


# The signed act is kept exactly as scanned: it is the evidence of the handover.
ACT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


async def attach_act(
    session: AsyncSession, delivery: Delivery, store: FileStore, upload: Upload
) -> Delivery:
    """Stores the scan or photo of the signed act (checked by `shared.uploads.receive_upload`);
    a new upload replaces the one before."""
    assert upload.content_type is not None
    previous = delivery.act_key
    delivery.act_key = await store.put(upload.file, prefix=f"acts/{delivery.id}")
    delivery.act_content_type = upload.content_type
    delivery.act_size = upload.size
    delivery.act_uploaded_at = utcnow()
    await session.flush()
    if previous is not None:
        # The new file is in place; the old one is left over if this transaction fails later,
        # which costs space but never loses the act the database points to.
        await store.delete(previous)
    return delivery


async def read_act(delivery: Delivery, store: FileStore) -> tuple[bytes, str]:
    if delivery.act_key is None or delivery.act_content_type is None:
        raise NotFound("act", delivery.id)
    try:
        return await store.get(delivery.act_key), delivery.act_content_type
    except KeyError:
        raise NotFound("act", delivery.id) from None


async def record_status(
    session: AsyncSession,
    unit: DeliveredUnit,
    status: ItemStatus,
    *,
    occurred_on: date,
    source_event_id: uuid.UUID | None,
    reason: str | None,
) -> DeliveredUnit:
    """Adds to the item's history; its status is that of the latest finding by date, so reports
    that arrive out of order still leave the newest in force."""
    unit.history.append(
        ItemHistory(
            status=status,
            occurred_on=occurred_on,
            source_event_id=source_event_id,
            reason=reason,
            recorded_at=utcnow(),
        )
    )
    latest = max(unit.history, key=lambda entry: (entry.occurred_on, entry.recorded_at))
    if unit.status != latest.status:
        unit.status = latest.status
    await session.flush()
    return unit


async def on_item_status_reported(
    session: AsyncSession, event: ItemStatusReported, envelope: Envelope
) -> None:
    """Monitoring found an item missing, sold, dead, broken or back in use."""
    if event.unit_id is not None:
        unit = await session.get(DeliveredUnit, event.unit_id)
    else:
        unit = await session.scalar(
            select(DeliveredUnit).where(
                DeliveredUnit.asset_type == event.asset_type, DeliveredUnit.serial == event.serial
            )
        )
    if unit is None:
        # Nothing to update, and a retry would not find it either.
        log.warning("visit %s reported on an item assets does not know", event.visit_id)
        return
    await record_status(
        session,
        unit,
        ItemStatus(event.status),
        occurred_on=event.reported_on,
        source_event_id=envelope.id,
        reason=event.reason or "monitoring_visit",
    )
