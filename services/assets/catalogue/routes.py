from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from assets.access import ReadsCatalogue, ReadsSuppliers
from assets.catalogue import service as catalogue
from assets.catalogue.models import AssetType, Supplier
from assets.catalogue.repository import AssetTypeRepository, SupplierRepository
from assets.catalogue.schemas import (
    AssetTypeIn,
    AssetTypeOut,
    AssetTypeUpdate,
    PriceListIn,
    SupplierIn,
    SupplierOut,
    SupplierUpdate,
)
from shared.auth import Admin
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, etag_headers, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["catalogue"])

CodePath = Annotated[str, Path(max_length=64, examples=["beehive"])]


@router.get(
    "/asset-types",
    response_model=Page[AssetTypeOut],
    summary="The asset catalogue, by code",
    responses=problem_responses(401, 403, 422),
)
async def list_asset_types(
    session: SessionDep, principal: ReadsCatalogue, page: PageParamsDep
) -> Page[AssetTypeOut]:
    return await paginate(
        session,
        AssetTypeRepository(session).query(principal),
        key_columns=(AssetType.code,),
        params=page,
        to_item=AssetTypeOut.model_validate,
    )


@router.get(
    "/asset-types/{code}",
    response_model=AssetTypeOut,
    summary="An asset type",
    responses=problem_responses(401, 403, 404),
)
async def get_asset_type(
    code: CodePath, session: SessionDep, principal: ReadsCatalogue, response: Response
) -> AssetType:
    return read_versioned(await AssetTypeRepository(session).get_code(code, principal), response)


@router.post(
    "/asset-types",
    status_code=201,
    response_model=AssetTypeOut,
    summary="Add an asset type to the catalogue (admin)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_asset_type(
    body: AssetTypeIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    # Named by its code, not an id: `respond`, not `create`.
    return await idem.respond(
        lambda: catalogue.create_asset_type(session, body),
        read=lambda code: AssetTypeRepository(session).get_code(code, principal),
        reference=lambda out: out.code,
        response_model=AssetTypeOut,
        headers=lambda out: {
            **etag_headers(out.version),
            "Location": f"/v1/asset-types/{out.code}",
        },
    )


@router.patch(
    "/asset-types/{code}",
    response_model=AssetTypeOut,
    summary="Change an asset type's names, unit, tracking or reference price (admin, If-Match)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_asset_type(
    code: CodePath,
    body: AssetTypeUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> AssetType:
    asset_type = await AssetTypeRepository(session).get_code(code, principal)
    return await change_versioned(
        asset_type, if_match, response, lambda row: catalogue.update_asset_type(session, row, body)
    )


@router.get(
    "/suppliers",
    response_model=Page[SupplierOut],
    summary="Suppliers with their price lists",
    responses=problem_responses(401, 403, 422),
)
async def list_suppliers(
    session: SessionDep,
    principal: ReadsSuppliers,
    page: PageParamsDep,
    asset_type: Annotated[
        str | None, Query(max_length=64, description="Only suppliers with a price for this type")
    ] = None,
) -> Page[SupplierOut]:
    query = SupplierRepository(session).query(principal)
    if asset_type is not None:
        query = query.where(Supplier.prices.any(asset_type=asset_type))
    return await paginate(
        session,
        query,
        key_columns=(Supplier.created_at, Supplier.id),
        params=page,
        to_item=SupplierOut.model_validate,
    )


@router.get(
    "/suppliers/{supplier_id}",
    response_model=SupplierOut,
    summary="A supplier with its price list",
    responses=problem_responses(401, 403, 404),
)
async def get_supplier(
    supplier_id: uuid.UUID, session: SessionDep, principal: ReadsSuppliers, response: Response
) -> Supplier:
    return read_versioned(await SupplierRepository(session).get(supplier_id, principal), response)


@router.post(
    "/suppliers",
    status_code=201,
    response_model=SupplierOut,
    summary="Register a supplier, optionally with its price list (admin)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_supplier(
    body: SupplierIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    return await idem.create(
        lambda: catalogue.create_supplier(session, body),
        read=lambda id: SupplierRepository(session).get(id, principal),
        response_model=SupplierOut,
        location="/v1/suppliers/{id}",
    )


@router.patch(
    "/suppliers/{supplier_id}",
    response_model=SupplierOut,
    summary="Change a supplier's name or contacts (admin, If-Match)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_supplier(
    supplier_id: uuid.UUID,
    body: SupplierUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Supplier:
    supplier = await SupplierRepository(session).get(supplier_id, principal)
    return await change_versioned(
        supplier, if_match, response, lambda row: catalogue.update_supplier(session, row, body)
    )


@router.put(
    "/suppliers/{supplier_id}/prices",
    response_model=SupplierOut,
    summary="Replace a supplier's price list (admin, If-Match)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def replace_prices(
    supplier_id: uuid.UUID,
    body: PriceListIn,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Supplier:
    supplier = await SupplierRepository(session).get(supplier_id, principal)
    return await change_versioned(
        supplier,
        if_match,
        response,
        lambda row: catalogue.replace_prices(session, row, body.prices),
    )
