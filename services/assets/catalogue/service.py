"""The asset catalogue and suppliers. Functions flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from assets.catalogue import messages  # noqa: F401  (registers the message keys)
from assets.catalogue.models import AssetType, Supplier, SupplierPrice, Tracking
from assets.catalogue.schemas import (
    AssetTypeIn,
    AssetTypeUpdate,
    PriceIn,
    SupplierIn,
    SupplierUpdate,
)
from shared.problems import Conflict, FieldError, ValidationProblem


async def tracking_of(session: AsyncSession, codes: Sequence[str]) -> dict[str, Tracking]:
    """How each of these asset types is tracked; codes not in the catalogue are left out."""
    rows = await session.execute(
        select(AssetType.code, AssetType.tracking).where(AssetType.code.in_(set(codes)))
    )
    return {code: Tracking(tracking) for code, tracking in rows}


async def create_asset_type(session: AsyncSession, data: AssetTypeIn) -> AssetType:
    if await session.get(AssetType, data.code) is not None:
        raise Conflict(
            "detail.asset-type-exists",
            params={"code": data.code},
            errors=[FieldError(field="body.code", code="taken", message="field.code-taken")],
        )
    asset_type = AssetType(**data.model_dump())
    session.add(asset_type)
    await session.flush()
    return asset_type


async def update_asset_type(
    session: AsyncSession, asset_type: AssetType, data: AssetTypeUpdate
) -> AssetType:
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(asset_type, name, value)
    await session.flush()
    return asset_type


async def create_supplier(session: AsyncSession, data: SupplierIn) -> Supplier:
    if await session.scalar(select(Supplier.id).where(Supplier.tax_id == data.tax_id)):
        raise Conflict(
            "detail.supplier-exists",
            errors=[FieldError(field="body.tax_id", code="taken", message="field.tax-id-taken")],
        )
    supplier = Supplier(
        **data.model_dump(exclude={"prices"}),
        prices=await _prices(session, data.prices, "body.prices"),
    )
    session.add(supplier)
    await session.flush()
    return supplier


async def update_supplier(
    session: AsyncSession, supplier: Supplier, data: SupplierUpdate
) -> Supplier:
    # Contacts may be cleared with an explicit null; the name may not.
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None or name != "name":
            setattr(supplier, name, value)
    await session.flush()
    return supplier


async def replace_prices(
    session: AsyncSession, supplier: Supplier, prices: Sequence[PriceIn]
) -> Supplier:
    supplier.prices = await _prices(session, prices, "body.prices")
    # The list is a child collection: mark the supplier's row changed so that its version (the
    # ETag) moves on too.
    flag_modified(supplier, "name")
    await session.flush()
    return supplier


async def _prices(
    session: AsyncSession, prices: Sequence[PriceIn], field: str
) -> list[SupplierPrice]:
    known = await tracking_of(session, [price.asset_type for price in prices])
    errors = [
        FieldError(
            field=f"{field}.{index}.asset_type",
            code="unknown_asset_type",
            message="field.unknown-asset-type",
        )
        for index, price in enumerate(prices)
        if price.asset_type not in known
    ]
    if errors:
        raise ValidationProblem(errors)
    return [SupplierPrice(**price.model_dump()) for price in prices]
