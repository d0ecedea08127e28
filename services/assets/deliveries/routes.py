from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from assets.access import ReadsActs, ReadsAssets, ReadsSerialFlags, RecordsDeliveries
from assets.deliveries import service as deliveries
from assets.deliveries.models import DeliveredUnit, Delivery, ItemStatus, SerialFlag
from assets.deliveries.repository import DeliveryRepository, ItemRepository, SerialFlagRepository
from assets.deliveries.schemas import DeliveryIn, DeliveryOut, ItemOut, SerialFlagOut
from assets.filters import given
from shared.app import runtime_of
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.filestore import FileStoreDep, max_upload_bytes
from shared.idempotency import IdempotencyDep
from shared.limits import upload_limit
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.routes import RESPONSE_ID, links
from shared.uploads import receive_upload

router = APIRouter(prefix="/v1", tags=["deliveries"])


@router.post(
    "/deliveries",
    status_code=201,
    response_model=DeliveryOut,
    summary="Record a handover of an order's assets, item by item with serial numbers",
    description="An order may be handed over in several deliveries: each lists the items and "
    "units it hands over (tracked types one serial or ear-tag number per unit, bulk types a "
    "quantity); more than remains of an item is refused with 422 on its field. The order is "
    "`partly_delivered` until every unit is handed over, then `delivered`; each delivery turns "
    "its share of the reservation into spending. A number of an asset type handed over before, "
    "to anyone, is refused with 409 and the attempt is flagged (GET /v1/serial-flags). Emits "
    "`assets.delivery.completed` with this delivery's items and total.",
    responses=problem_responses(401, 403, 404, 409, 422),
    openapi_extra=links(
        "GET /v1/deliveries/{delivery_id}",
        "POST /v1/deliveries/{delivery_id}/act",
        "GET /v1/deliveries/{delivery_id}/act",
        delivery_id=RESPONSE_ID,
    ),
)
async def record_delivery(
    request: Request,
    body: DeliveryIn,
    session: SessionDep,
    principal: RecordsDeliveries,
    idem: IdempotencyDep,
) -> Response:
    try:
        return await idem.create(
            lambda: deliveries.record_delivery(session, body, principal),
            read=lambda id: DeliveryRepository(session).get(id, principal),
            response_model=DeliveryOut,
            location="/v1/deliveries/{id}",
        )
    except deliveries.SerialsTaken as refused:
        # The request's transaction rolls back with the 409; the flag must outlive it.
        sessionmaker = runtime_of(request).sessionmaker
        async with sessionmaker() as flags, flags.begin():
            await deliveries.flag_serials(flags, refused, principal)
        raise


@router.get(
    "/deliveries",
    response_model=Page[DeliveryOut],
    summary="Deliveries, optionally of one order",
    responses=problem_responses(401, 403, 422),
)
async def list_deliveries(
    session: SessionDep,
    principal: ReadsAssets,
    page: PageParamsDep,
    order_id: uuid.UUID | None = None,
) -> Page[DeliveryOut]:
    return await paginate(
        session,
        DeliveryRepository(session).query(principal, *given((Delivery.order_id, order_id))),
        key_columns=(Delivery.created_at, Delivery.id),
        params=page,
        to_item=DeliveryOut.model_validate,
    )


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryOut,
    summary="A delivery with its units and whether the signed act is uploaded",
    responses=problem_responses(401, 403, 404),
)
async def get_delivery(
    delivery_id: uuid.UUID, session: SessionDep, principal: ReadsAssets, response: Response
) -> Delivery:
    return read_versioned(await DeliveryRepository(session).get(delivery_id, principal), response)


@router.post(
    "/deliveries/{delivery_id}/act",
    response_model=DeliveryOut,
    summary="Upload the scan or photo of the signed handover act (PDF, JPEG or PNG; If-Match)",
    description="The type is told by the file's content, not its name; the size limit is the "
    "service's `max_upload_bytes` (10 MB unless configured). A new upload replaces the old.",
    responses=problem_responses(401, 403, 404, 412, 413, 415, 422, 428),
    openapi_extra={
        "requestBody": {
            "content": {"multipart/form-data": {"example": {"file": "act-2026-11-20.pdf"}}}
        }
    },
)
@upload_limit("max_upload_bytes")
async def upload_act(
    request: Request,
    delivery_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="The signed act: PDF, JPEG or PNG")],
    session: SessionDep,
    principal: RecordsDeliveries,
    if_match: IfMatchDep,
    store: FileStoreDep,
    response: Response,
) -> Delivery:
    async def attach(delivery: Delivery) -> None:
        # Received after the If-Match check: a stale tag is refused before the file is read.
        upload = await receive_upload(
            file,
            limit=max_upload_bytes(request.app.state.settings),
            types=deliveries.ACT_TYPES,
            too_large_detail="detail.act-too-large",
            wrong_type_detail="detail.act-type",
        )
        await deliveries.attach_act(session, delivery, store, upload)

    delivery = await DeliveryRepository(session).get(delivery_id, principal)
    return await change_versioned(delivery, if_match, response, attach)


@router.get(
    "/deliveries/{delivery_id}/act",
    summary="The signed handover act, as uploaded",
    response_class=Response,
    responses={
        200: {
            "description": "The file, with its content type",
            "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}},
        },
        **problem_responses(401, 403, 404),
    },
)
async def download_act(
    delivery_id: uuid.UUID, session: SessionDep, principal: ReadsActs, store: FileStoreDep
) -> Response:
    delivery = await DeliveryRepository(session).get(delivery_id, principal)
    content, content_type = await deliveries.read_act(delivery, store)
    return Response(
        content,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="act-{delivery.id}"'},
    )


@router.get(
    "/items",
    response_model=Page[ItemOut],
    summary="Delivered items with their status and history, found by serial or tag number",
    responses=problem_responses(401, 403, 422),
)
async def list_items(
    session: SessionDep,
    principal: ReadsAssets,
    page: PageParamsDep,
    serial: Annotated[str | None, Query(max_length=64, examples=["AZ-HIVE-0001"])] = None,
    asset_type: Annotated[str | None, Query(max_length=64, examples=["beehive"])] = None,
    delivery_id: uuid.UUID | None = None,
    status: ItemStatus | None = None,
) -> Page[ItemOut]:
    return await paginate(
        session,
        ItemRepository(session).query(
            principal,
            *given(
                (DeliveredUnit.serial, serial),
                (DeliveredUnit.asset_type, asset_type),
                (DeliveredUnit.delivery_id, delivery_id),
                (DeliveredUnit.status, status),
            ),
        ),
        key_columns=(DeliveredUnit.id,),
        params=page,
        to_item=ItemOut.model_validate,
    )


@router.get(
    "/items/{item_id}",
    response_model=ItemOut,
    summary="A delivered item with its status history",
    responses=problem_responses(401, 403, 404),
)
async def get_item(
    item_id: uuid.UUID, session: SessionDep, principal: ReadsAssets, response: Response
) -> DeliveredUnit:
    return read_versioned(await ItemRepository(session).get(item_id, principal), response)


@router.get(
    "/serial-flags",
    response_model=Page[SerialFlagOut],
    summary="Refused second handovers of a serial or tag number, oldest first (staff)",
    responses=problem_responses(401, 403, 422),
)
async def list_serial_flags(
    session: SessionDep, principal: ReadsSerialFlags, page: PageParamsDep
) -> Page[SerialFlagOut]:
    return await paginate(
        session,
        SerialFlagRepository(session).query(principal),
        key_columns=(SerialFlag.flagged_at, SerialFlag.id),
        params=page,
        to_item=SerialFlagOut.model_validate,
    )
