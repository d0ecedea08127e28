from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from assets.deliveries import service as deliveries
from assets.deliveries.models import Delivery
from assets.deliveries.schemas import DeliveryIn, DeliveryOut
from shared.auth import Principal, Role, Scope, require
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")

ASSETS_READ = Scope.assets_read

Reader = Annotated[
    Principal, Depends(require(Role.asset_officer, Role.analyst, scopes=(ASSETS_READ,)))
]
Officer = Annotated[Principal, Depends(require(Role.asset_officer))]


@router.post(
    "/deliveries",
    tags=["deliveries"],
    status_code=201,
    response_model=DeliveryOut,
    summary="Record the handover of an order's assets, item by item with serial numbers",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def record_delivery(
    body: DeliveryIn, session: SessionDep, principal: Officer, idem: IdempotencyDep
) -> Response:
    async def record() -> Delivery:
        return await deliveries.record_delivery(session, body, principal)

    return await idem.respond(record, status_code=201, response_model=DeliveryOut)
