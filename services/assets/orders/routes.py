from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from assets.orders import service as orders
from assets.orders.models import Order, OrderStatus
from assets.orders.schemas import CancelIn, OrderOut, TermsIn
from shared.auth import Principal, Role, Scope, require
from shared.db import SessionDep
from shared.etag import IfMatch, IfMatchDep, check_if_match, set_etag
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["orders"])

ASSETS_READ = Scope.assets_read

Reader = Annotated[
    Principal, Depends(require(Role.asset_officer, Role.analyst, scopes=(ASSETS_READ,)))
]
Officer = Annotated[Principal, Depends(require(Role.asset_officer))]
Admin = Annotated[Principal, Depends(require(Role.admin))]

_CHANGE = problem_responses(401, 403, 404, 409, 412, 422, 428)


@router.get(
    "/orders",
    response_model=Page[OrderOut],
    summary="Orders, optionally of one plan, participant, fund or state",
    responses=problem_responses(401, 403, 422),
)
async def list_orders(
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    plan_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    status: Annotated[OrderStatus | None, Query(description="e.g. awaiting_budget")] = None,
    fund_id: uuid.UUID | None = None,
) -> Page[OrderOut]:
    return await paginate(
        session,
        orders.orders_query(principal, plan_id, participant_id, status, fund_id),
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
    order_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response
) -> Order:
    order = await orders.get_order(session, order_id, principal)
    set_etag(response, order.version)
    return order


async def _change(
    order_id: uuid.UUID,
    session: SessionDep,
    principal: Principal,
    if_match: IfMatch,
    response: Response,
    action: Callable[[Order], Awaitable[Order]],
) -> Order:
    order = await orders.get_order(session, order_id, principal)
    check_if_match(if_match, order.version)
    order = await action(order)
    set_etag(response, order.version)
    return order


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
    principal: Officer,
    if_match: IfMatchDep,
    response: Response,
) -> Order:
    return await _change(
        order_id,
        session,
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
    return await _change(
        order_id,
        session,
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
    principal: Officer,
    if_match: IfMatchDep,
    response: Response,
) -> Order:
    return await _change(
        order_id,
        session,
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
    principal: Officer,
    if_match: IfMatchDep,
    response: Response,
) -> Order:
    return await _change(
        order_id,
        session,
        principal,
        if_match,
        response,
        lambda order: orders.cancel(session, order, body, principal),
    )
