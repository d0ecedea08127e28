from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from assets.access import HandlesOrders, ReadsAssets
from assets.filters import given
from assets.orders import service as orders
from assets.orders.models import Order, OrderStatus
from assets.orders.repository import OrderRepository
from assets.orders.schemas import CancelIn, OrderOut, TermsIn
from shared.auth import Admin, Principal
from shared.db import SessionDep
from shared.etag import IfMatch, IfMatchDep, change_versioned, set_etag
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["orders"])

_CHANGE = problem_responses(401, 403, 404, 409, 412, 422, 428)


@router.get(
    "/orders",
    response_model=Page[OrderOut],
    summary="Orders, optionally of one plan, participant, fund or state",
    responses=problem_responses(401, 403, 422),
)
async def list_orders(
    session: SessionDep,
    principal: ReadsAssets,
    page: PageParamsDep,
    plan_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    status: Annotated[OrderStatus | None, Query(description="e.g. awaiting_budget")] = None,
    fund_id: uuid.UUID | None = None,
) -> Page[OrderOut]:
    return await paginate(
        session,
        OrderRepository(session).query(
            principal,
            *given(
                (Order.plan_id, plan_id),
                (Order.participant_id, participant_id),
                (Order.status, status),
                (Order.fund_id, fund_id),
            ),
        ),
        key_columns=(Order.created_at, Order.id),
        params=page,
        to_item=OrderOut.model_validate,
    )


@router.get(
    "/orders/{order_id}",
    response_model=OrderOut,
    summary="An order",
    responses=problem_responses(401, 403, 404),
)
async def get_order(
    order_id: uuid.UUID, session: SessionDep, principal: ReadsAssets, response: Response
) -> Order:
    order = await OrderRepository(session).get(order_id, principal)
    set_etag(response, order.version)
    return order


async def _step(
    session: AsyncSession,
    order_id: uuid.UUID,
    principal: Principal,
    if_match: IfMatch,
    response: Response,
    step: Callable[[Order], Awaitable[Order]],
) -> Order:
    """Every step of an order: the caller's order, its If-Match, the step, the new ETag."""
    order = await OrderRepository(session).get(order_id, principal)
    return await change_versioned(order, if_match, response, step)


@router.put(
    "/orders/{order_id}/terms",
    response_model=OrderOut,
    summary="Assign suppliers and agreed unit prices (If-Match); above the plan's needs approval",
    description=(
        "Allowed while the order awaits budget or is reserved. A lower total releases the "
        "difference at once; a higher one (prices at most the plan's) is reserved, or 409 "
        "`budget-insufficient`. Prices above the plan's set `price_approval: required`."
    ),
    responses=_CHANGE,
)
async def set_terms(
    order_id: uuid.UUID,
    body: TermsIn,
    session: SessionDep,
    principal: HandlesOrders,
    if_match: IfMatchDep,
    response: Response,
) -> Order:
    return await _step(
        session,
        order_id,
        principal,
        if_match,
        response,
        lambda order: orders.set_terms(session, order, body, principal),
    )


@router.post(
    "/orders/{order_id}/approve-price",
    response_model=OrderOut,
    summary="Approve agreed prices above the plan's (admin, If-Match); reserves the difference",
    responses=_CHANGE,
)
async def approve_price(
    order_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Order:
    return await _step(
        session,
        order_id,
        principal,
        if_match,
        response,
        lambda order: orders.approve_price(session, order, principal),
    )


@router.post(
    "/orders/{order_id}/place",
    response_model=OrderOut,
    summary="Order from the suppliers: reserved -> ordered (If-Match); 409 names current_state",
    responses=_CHANGE,
)
async def place_order(
    order_id: uuid.UUID,
    session: SessionDep,
    principal: HandlesOrders,
    if_match: IfMatchDep,
    response: Response,
) -> Order:
    return await _step(
        session,
        order_id,
        principal,
        if_match,
        response,
        lambda order: orders.place(session, order, principal),
    )


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel an order not yet delivered (If-Match): its money is released",
    description="The released money goes to the oldest orders awaiting the same budget.",
    responses=_CHANGE,
)
async def cancel_order(
    order_id: uuid.UUID,
    body: CancelIn,
    session: SessionDep,
    principal: HandlesOrders,
    if_match: IfMatchDep,
    response: Response,
) -> Order:
    return await _step(
        session,
        order_id,
        principal,
        if_match,
        response,
        lambda order: orders.cancel(session, order, body, principal),
    )
