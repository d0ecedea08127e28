from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from assets.orders import service as orders
from assets.orders.models import Order
from assets.orders.schemas import OrderOut
from shared.auth import Principal, Role, Scope, require
from shared.db import SessionDep
from shared.etag import set_etag
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")

ASSETS_READ = Scope.assets_read

Reader = Annotated[
    Principal, Depends(require(Role.asset_officer, Role.analyst, scopes=(ASSETS_READ,)))
]
Officer = Annotated[Principal, Depends(require(Role.asset_officer))]


@router.get(
    "/orders",
    tags=["orders"],
    response_model=Page[OrderOut],
    summary="Orders, optionally of one plan or participant",
    responses=problem_responses(401, 403, 422),
)
async def list_orders(
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    plan_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
) -> Page[OrderOut]:
    return await paginate(
        session,
        orders.orders_query(principal, plan_id, participant_id),
        key_columns=(Order.created_at, Order.id),
        params=page,
        to_item=OrderOut.model_validate,
    )


@router.get(
    "/orders/{order_id}",
    tags=["orders"],
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
