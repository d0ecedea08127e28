from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from assets.access import HandlesOrders, ReadsAssets
from assets.filters import given
from assets.orders import service as orders
from assets.orders.models import Order, OrderStatus
from assets.orders.repository import OrderRepository
from assets.orders.schemas import CancelIn, OrderOut, TermsIn
from shared.auth import Admin, Principal
from shared.db import SessionDep
from shared.decisions import DECISIONS, DecisionOut, decisions_page
from shared.etag import IfMatch, IfMatchDep, change_versioned, read_versioned
from shared.i18n import LanguageDep
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
    return read_versioned(await OrderRepository(session).get(order_id, principal), response)


@dataclass(frozen=True)
class _Step:
    """A step of one order: its If-Match is checked, the step applied, the new ETag answered."""

    session: AsyncSession
    order_id: uuid.UUID
    if_match: IfMatch
    response: Response

    async def __call__(
        self,
        principal: Principal,
        step: Callable[[AsyncSession, Order, Principal], Awaitable[Order]],
    ) -> Order:
        order = await OrderRepository(self.session).get(self.order_id, principal)
        return await change_versioned(
            order, self.if_match, self.response, lambda row: step(self.session, row, principal)
        )


async def _step(
    order_id: uuid.UUID, session: SessionDep, if_match: IfMatchDep, response: Response
) -> _Step:
    return _Step(session, order_id, if_match, response)


# After the principal in each route: a caller who may not take the step is refused (403) before
# a missing If-Match (428), as everywhere.
OrderStep = Annotated[_Step, Depends(_step)]


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
async def set_terms(body: TermsIn, principal: HandlesOrders, step: OrderStep) -> Order:
    return await step(principal, partial(orders.set_terms, data=body))


@router.post(
    "/orders/{order_id}/approve-price",
    response_model=OrderOut,
    summary="Approve agreed prices above the plan's (admin, If-Match); reserves the difference",
    responses=_CHANGE,
)
async def approve_price(principal: Admin, step: OrderStep) -> Order:
    return await step(principal, orders.approve_price)


@router.post(
    "/orders/{order_id}/place",
    response_model=OrderOut,
    summary="Order from the suppliers: reserved -> ordered (If-Match); 409 names current_state",
    responses=_CHANGE,
)
async def place_order(principal: HandlesOrders, step: OrderStep) -> Order:
    return await step(principal, orders.place)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel an order not yet delivered (If-Match): its money is released",
    description="The released money goes to the oldest orders awaiting the same budget. "
    "The cancellation is an adverse decision the participant may appeal (see /decisions).",
    responses=_CHANGE,
)
async def cancel_order(
    body: CancelIn, request: Request, principal: HandlesOrders, step: OrderStep
) -> Order:
    appeal_days = request.app.state.settings.appeal_days
    return await step(
        principal, partial(orders.cancel_by_officer, data=body, appeal_days=appeal_days)
    )


@router.get(
    "/orders/{order_id}/decisions",
    response_model=Page[DecisionOut],
    summary="The adverse decisions made on an order (its cancellation), with how to appeal them",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_decisions(
    order_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsAssets,
    page: PageParamsDep,
    language: LanguageDep,
) -> Page[DecisionOut]:
    await OrderRepository(session).get(order_id, principal)
    return await decisions_page(session, DECISIONS.c.ref_id == order_id, page, language)
