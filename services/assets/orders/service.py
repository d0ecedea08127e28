"""Orders for approved plans, and the money each holds in its fund's budget. Functions flush,
never commit.

Which budget pays: the one linked to the participant's intake round (`round_id` of the approval)
when the fund has one, else the one whose period covers the day the plan was approved; from the
referring partner's fund when it has such a budget, else from the state budget. An order that does
not fit waits (`awaiting_budget`) in its budget's line, first come first served: money added or
released goes to the oldest waiting orders while they fit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Row, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.funds import service as funds
from assets.funds.models import Budget
from assets.orders.models import Order, OrderItem, OrderStatus, PriceApproval
from assets.orders.schemas import CancelIn, CancelReason, TermsIn
from shared.auth import Principal
from shared.db import utcnow
from shared.decisions import record_decision
from shared.events import (
    AssetsDecisionRecorded,
    GrievanceResolved,
    OrderAwaitingBudget,
    OrderCancelled,
    OrderOpened,
    OrderPlaced,
    OrderReserved,
    PlanApproved,
)
from shared.i18n import add_messages
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, InvalidState, ValidationProblem

log = logging.getLogger(__name__)

add_messages(
    {
        "detail.budget-insufficient": {
            "az": "Fondun büdcəsində bu məbləğ üçün yer yoxdur",
            "en": "The fund's budget has no room for this amount",
            "ru": "В бюджете фонда нет места для этой суммы",
        },
        "detail.order-terms-incomplete": {
            "az": "Hər mal üçün təchizatçı və razılaşdırılmış qiymət lazımdır",
            "en": "Every item needs a supplier and an agreed price",
            "ru": "Для каждой позиции нужны поставщик и согласованная цена",
        },
        "detail.price-approval-pending": {
            "az": "Planın qiymətindən yüksək qiymət təsdiq gözləyir",
            "en": "A price above the plan's awaits approval",
            "ru": "Цена выше плановой ждёт утверждения",
        },
        "field.not-an-item": {
            "az": "bu sifarişin malı deyil",
            "en": "not an item of this order",
            "ru": "не позиция этого заказа",
        },
    }
)

# A reversal that found nothing to undo (the order is no longer cancelled).
NO_CHANGE = "no_change"

# The states in which an order still holds (or waits for) money and may change.
_LIVE = (OrderStatus.awaiting_budget, OrderStatus.reserved)
# Those in which its items may be handed over, and those in which it may still be cancelled.
DELIVERABLE = (OrderStatus.reserved, OrderStatus.ordered, OrderStatus.partly_delivered)
_CANCELLABLE = (*_LIVE, OrderStatus.ordered, OrderStatus.partly_delivered)


class _OrderIds(TypedDict):
    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID


def _event_ids(order: Order) -> _OrderIds:
    """What the order's events (all but OrderPlaced) name it by."""
    return {"order_id": order.id, "plan_id": order.plan_id, "participant_id": order.participant_id}


# --- the event in -------------------------------------------------------------------------------


async def open_order_for(session: AsyncSession, approved: PlanApproved) -> Order:
    existing = await session.scalar(select(Order).where(Order.plan_id == approved.plan_id))
    if existing is not None:
        return await _revise(session, existing, approved)
    approved_on = approved.approved_at.date()
    fund_id, budget = await funds.paying_fund(
        session, approved.partner_id, approved_on, approved.round_id
    )
    order = Order(
        plan_id=approved.plan_id,
        participant_id=approved.participant_id,
        region=approved.region,
        direction=approved.direction,
        partner_id=approved.partner_id,
        approved_on=approved_on,
        fund_id=fund_id,
        budget_id=budget.id if budget else None,
        status=OrderStatus.awaiting_budget,
        awaiting_since=utcnow(),
        items=_items(approved),
    )
    session.add(order)
    await session.flush()
    await add_event(
        session,
        OrderOpened(**_event_ids(order), total=order.total),
    )
    await _join_line(session, order, approved.round_id)
    return order


async def _revise(session: AsyncSession, order: Order, approved: PlanApproved) -> Order:
    """A plan reopened and approved again: an order not yet placed with suppliers takes the
    revised items (and holds money for them anew); one placed, delivered or cancelled stays, and
    so does one restored on appeal after part of it was handed over."""
    if order.status not in _LIVE or order.spent_amount:
        log.info("plan %s approved again after its order %s was %s", *_ids(order))
        return order
    freed = order.reserved_amount
    if order.budget_id is not None and freed:
        await funds.lock_budget(session, order.budget_id)
        await funds.release(session, order.budget_id, order.id, freed, funds.SYSTEM)
    order.items = _items(approved)
    order.reserved_amount = Decimal("0.00")
    order.price_approval = PriceApproval.not_required
    order.status = OrderStatus.awaiting_budget
    order.awaiting_since = utcnow()
    await session.flush()
    await _join_line(session, order, approved.round_id)
    return order


def _ids(order: Order) -> tuple[uuid.UUID, uuid.UUID, str]:
    return order.plan_id, order.id, order.status


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


# --- money --------------------------------------------------------------------------------------


def held_price(order: Order, item: OrderItem) -> Decimal:
    """The unit price the order holds money for: the agreed price, except one above the plan's
    that is not approved yet (until then the plan's price is held)."""
    price = item.price
    if price > item.unit_price and order.price_approval != PriceApproval.approved:
        return item.unit_price
    return price


def needed(order: Order) -> Decimal:
    """What the order must hold."""
    return sum((held_price(order, item) * item.quantity for item in order.items), Decimal("0.00"))


def to_reserve(order: Order) -> Decimal:
    """What a waiting order takes from its budget: what it must hold, less what its deliveries
    spent (none, except for a partly delivered order restored after its cancellation)."""
    return needed(order) - order.spent_amount


async def _join_line(session: AsyncSession, order: Order, round_id: uuid.UUID | None) -> None:
    """Reserves at once when the budget has room and nobody waits before this order; else the
    order waits. The budget row lock makes concurrent approvals take turns."""
    if order.budget_id is None:  # no budget for it before; there may be one now
        budget = await funds.budget_for(session, order.fund_id, order.approved_on, round_id)
        order.budget_id = budget.id if budget else None
    if order.budget_id is not None:
        budget = await funds.lock_budget(session, order.budget_id)
        ahead = await session.scalar(
            _line(budget).where(Order.id != order.id, _before(order)).limit(1)
        )
        if ahead is None and await funds.reserve(
            session, budget.id, order.id, to_reserve(order), funds.SYSTEM
        ):
            await _reserved(session, order, to_reserve(order))
            return
    await add_event(
        session,
        OrderAwaitingBudget(
            **_event_ids(order),
            fund_id=order.fund_id,
            budget_id=order.budget_id,
            amount=to_reserve(order),
        ),
    )


def _line(budget: Budget) -> Select[Order]:
    """The orders waiting for this budget: those that picked it (by round or by date), and its
    fund's orders that found no budget and were approved within its period."""
    return select(Order).where(
        Order.status == OrderStatus.awaiting_budget,
        Order.fund_id == budget.fund_id,
        or_(
            Order.budget_id == budget.id,
            Order.budget_id.is_(None)
            & (Order.approved_on >= budget.period_start)
            & (Order.approved_on <= budget.period_end),
        ),
    )


def _before(order: Order) -> ColumnElement[bool]:
    assert order.awaiting_since is not None
    return or_(
        Order.awaiting_since < order.awaiting_since,
        (Order.awaiting_since == order.awaiting_since) & (Order.id < order.id),
    )


async def serve_line(session: AsyncSession, budget_id: uuid.UUID) -> list[Order]:
    """Money was added or released: the oldest waiting orders take it while they fit.
    Returns the orders reserved."""
    budget = await funds.lock_budget(session, budget_id)
    served = []
    # SKIP LOCKED: an order being cancelled or revised right now is not waiting any more.
    waiting = await session.scalars(
        _line(budget)
        .order_by(Order.awaiting_since, Order.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    for order in waiting.all():
        amount = to_reserve(order)
        if not await funds.reserve(session, budget.id, order.id, amount, funds.SYSTEM):
            break
        order.budget_id = budget.id
        await _reserved(session, order, amount)
        served.append(order)
    return served


async def _reserved(session: AsyncSession, order: Order, amount: Decimal) -> None:
    assert order.budget_id is not None
    delivered_some = order.spent_amount > 0
    order.status = OrderStatus.partly_delivered if delivered_some else OrderStatus.reserved
    order.reserved_amount = order.spent_amount + amount
    order.awaiting_since = None
    await session.flush()
    await add_event(
        session,
        OrderReserved(
            **_event_ids(order),
            fund_id=order.fund_id,
            budget_id=order.budget_id,
            amount=amount,
        ),
    )


async def _hold(session: AsyncSession, order: Order, principal: Principal) -> None:
    """A reserved order's hold follows its terms: less is released at once, more is reserved
    if the budget has it (else 409 and nothing changes)."""
    if order.budget_id is None:
        return
    if order.status == OrderStatus.awaiting_budget:  # cheaper terms may let it through now
        await session.flush()
        await serve_line(session, order.budget_id)
        return
    if order.status != OrderStatus.reserved:
        return
    difference = needed(order) - order.reserved_amount
    if difference > 0:
        if not await funds.reserve(session, order.budget_id, order.id, difference, principal.id):
            raise Conflict("detail.budget-insufficient")
    elif difference < 0:
        await funds.release(session, order.budget_id, order.id, -difference, principal.id)
    order.reserved_amount += difference
    await session.flush()
    if difference < 0:
        await serve_line(session, order.budget_id)


# --- officers' steps ----------------------------------------------------------------------------


async def set_terms(
    session: AsyncSession, order: Order, principal: Principal, data: TermsIn
) -> Order:
    """Suppliers and agreed unit prices; a price above the plan's needs an admin's approval."""
    if order.status not in _LIVE:
        raise InvalidState(order.status)
    by_id = {item.id: item for item in order.items}
    unknown = [
        FieldError(
            field=f"body.items.{index}.order_item_id",
            code="unknown_item",
            message="field.not-an-item",
        )
        for index, line in enumerate(data.items)
        if line.order_item_id not in by_id
    ]
    if unknown:
        raise ValidationProblem(unknown)
    for line in data.items:
        item = by_id[line.order_item_id]
        item.supplier_id = line.supplier_id
        item.agreed_unit_price = line.agreed_unit_price
    above = any(item.price > item.unit_price for item in order.items)
    order.price_approval = PriceApproval.required if above else PriceApproval.not_required
    order.price_approved_by = None
    await _hold(session, order, principal)
    await session.flush()
    return order


async def approve_price(session: AsyncSession, order: Order, principal: Principal) -> Order:
    if order.status not in _LIVE or order.price_approval != PriceApproval.required:
        raise InvalidState(order.status if order.status not in _LIVE else order.price_approval)
    order.price_approval = PriceApproval.approved
    order.price_approved_by = principal.id
    await _hold(session, order, principal)
    await session.flush()
    return order


async def place(session: AsyncSession, order: Order, principal: Principal) -> Order:
    if order.status != OrderStatus.reserved:
        raise InvalidState(order.status)
    if order.price_approval == PriceApproval.required:
        raise Conflict("detail.price-approval-pending")
    if any(i.supplier_id is None or i.agreed_unit_price is None for i in order.items):
        raise Conflict("detail.order-terms-incomplete")
    order.status = OrderStatus.ordered
    await session.flush()
    await add_event(
        session,
        OrderPlaced(
            order_id=order.id, participant_id=order.participant_id, amount=order.reserved_amount
        ),
    )
    return order


async def cancel(
    session: AsyncSession, order: Order, principal: Principal, data: CancelIn
) -> Order:
    """Cancelling releases the order's money, which goes to the next in its fund's line."""
    if order.status not in _CANCELLABLE:
        raise InvalidState(order.status)
    # What is still held; a partly delivered order keeps what its deliveries spent.
    released = order.reserved_amount - order.spent_amount
    if order.budget_id is not None and released:
        await funds.lock_budget(session, order.budget_id)
        await funds.release(session, order.budget_id, order.id, released, principal.id)
    order.status = OrderStatus.cancelled
    order.cancel_reason = data.reason
    order.reserved_amount = order.spent_amount
    order.awaiting_since = None
    await session.flush()
    await add_event(
        session,
        OrderCancelled(
            **_event_ids(order),
            released=released,
            reason=data.reason,
        ),
    )
    if order.budget_id is not None and released:
        await serve_line(session, order.budget_id)
    return order


async def cancel_by_officer(
    session: AsyncSession, order: Order, principal: Principal, data: CancelIn, appeal_days: int
) -> Order:
    """An officer's cancellation is a decision against the person: recorded, with its appeal
    period, with the cancellation."""
    await cancel(session, order, principal, data)
    await record_decision(
        session,
        AssetsDecisionRecorded,
        application_id=order.participant_id,
        kind="order_cancelled",
        reason=data.reason,
        decided_by=principal.id,
        ref_id=order.id,
        partner_id=order.partner_id,
        appeal_days=appeal_days,
    )
    return order


async def restore_cancelled(
    session: AsyncSession, decision: Row[Any], event: GrievanceResolved
) -> str:
    """An upheld appeal against a cancellation: the order joins the end of its budget's line and
    holds its money again as a new order does (what was handed over before stays spent)."""
    order = await session.scalar(
        select(Order)
        .where(Order.id == decision.ref_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None or order.status != OrderStatus.cancelled:
        return NO_CHANGE
    order.status = OrderStatus.awaiting_budget
    order.cancel_reason = None
    order.awaiting_since = utcnow()
    await session.flush()
    await _join_line(session, order, None)
    return "order_restored"


# Who acts when an event, not a person, cancels an order: named in the ledger.
_PLANS = Principal(kind="staff", subject="plans.plan.state_changed")


async def cancel_for_plan(session: AsyncSession, plan_id: uuid.UUID) -> None:
    """The plan was cancelled (its participant's enrolment ended): an order not yet delivered is
    cancelled and its money released; what was handed over stays as signed."""
    order = await session.scalar(select(Order).where(Order.plan_id == plan_id))
    if order is not None and order.status in _CANCELLABLE:
        await cancel(session, order, _PLANS, CancelIn(reason=CancelReason.plan_withdrawn))


async def deliver(
    session: AsyncSession, order: Order, quantities: Mapping[uuid.UUID, int]
) -> Decimal:
    """A handover of `quantities` (units per order item) is signed: their share of the
    reservation becomes spending, and the order is delivered once every item is, else partly
    delivered. Returns the amount spent. The caller holds the order's row lock (`lock_order`)
    and has checked that no item is over-delivered.

    From `ordered`, and from `reserved` too (a handover without the supplier steps)."""
    if order.status not in DELIVERABLE:
        raise InvalidState(order.status)
    assert order.budget_id is not None
    by_id = {item.id: item for item in order.items}
    amount = Decimal("0.00")
    for item_id, quantity in quantities.items():
        item = by_id[item_id]
        assert 0 < quantity <= item.remaining
        item.delivered_quantity += quantity
        amount += held_price(order, item) * quantity
    complete = all(item.remaining == 0 for item in order.items)
    if complete:  # the rest of the hold, exactly, whatever the rounding of the parts
        amount = order.reserved_amount - order.spent_amount
    await funds.spend(session, order.budget_id, order.id, amount, funds.SYSTEM)
    order.spent_amount += amount
    order.status = OrderStatus.delivered if complete else OrderStatus.partly_delivered
    await session.flush()
    return amount


# --- reading ------------------------------------------------------------------------------------


async def lock_order(session: AsyncSession, order: Order) -> Order:
    """The order row, locked until commit and read afresh: concurrent handovers of one order
    take turns, so none counts units another is handing over."""
    locked = await session.scalar(
        select(Order)
        .where(Order.id == order.id)
        # NO KEY UPDATE: rows that only reference the order (a serial flag) are not blocked.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    # The items too: a concurrent handover may have changed their delivered quantities.
    await session.execute(
        select(OrderItem)
        .where(OrderItem.order_id == order.id)
        .execution_options(populate_existing=True)
    )
    return locked
