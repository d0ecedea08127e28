from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from assets.catalogue.models import Tracking
from shared.days import IsoDay, IsoMoment

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,63}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Price = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, description="AZN")]
# The Azerbaijani tax id (VÖEN) is 10 digits.
TaxId = Annotated[str, StringConstraints(pattern=r"^\d{10}$")]

_ASSET_TYPE: dict[str, Any] = {
    "code": "beehive",
    "name_az": "Arı pətəyi",
    "name_en": "Beehive",
    "name_ru": "Улей",
    "unit": "piece",
    "tracking": "serial",
    "reference_price": "150.00",
}


class AssetTypeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ASSET_TYPE]})

    code: Code
    name_az: Name
    name_en: Name
    name_ru: Name
    unit: str = Field(min_length=1, max_length=16, description="e.g. piece, head, set, kit")
    tracking: Tracking = Field(
        description="serial or ear_tag: every unit is handed over with its number; bulk: counted"
    )
    reference_price: Price


class AssetTypeUpdate(BaseModel):
    """Fields to change; the code is the identity and stays."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reference_price": "160.00"}]})

    name_az: Name | None = None
    name_en: Name | None = None
    name_ru: Name | None = None
    unit: str | None = Field(None, min_length=1, max_length=16)
    tracking: Tracking | None = None
    reference_price: Price | None = None


class AssetTypeOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{**_ASSET_TYPE, "created_at": "2026-11-26T00:00:00Z", "version": 1}]
        },
    )

    code: str
    name_az: str
    name_en: str
    name_ru: str
    unit: str
    tracking: Tracking
    reference_price: Decimal
    created_at: IsoMoment
    version: int


class PriceIn(BaseModel):
    asset_type: Code
    unit_price: Price
    valid_from: IsoDay
    valid_to: IsoDay | None = Field(None, description="Last day the price holds; open if null")

    @model_validator(mode="after")
    def _period(self) -> PriceIn:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class PriceOut(PriceIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID


_PRICES: list[Any] = [
    {
        "asset_type": "beehive",
        "unit_price": "145.00",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }
]
_SUPPLIER: dict[str, Any] = {
    "name": "Bal-Arı MMC",
    "tax_id": "1400123456",
    "email": "sales@bal-ari.az",
    "phone": "+994124000000",
    "address": "Bakı, Nizami küç. 1",
}


class SupplierIn(BaseModel):
    """A supplying organisation and its contacts (the organisation's, not a person's)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**_SUPPLIER, "prices": _PRICES}]})

    name: Name
    tax_id: TaxId = Field(description="VÖEN, 10 digits")
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)
    prices: list[PriceIn] = Field(default_factory=list, max_length=1000)


class SupplierUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+994124000001"}]})

    name: Name | None = None
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)


class PriceListIn(BaseModel):
    """The supplier's whole price list, replacing the one before."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"prices": _PRICES}]})

    prices: list[PriceIn] = Field(max_length=1000)


class SupplierOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_SUPPLIER,
                    "id": "0c7e4b1a-3f7e-4d0e-9a51-6f0f2a1c9b77",
                    "prices": [{**_PRICES[0], "id": "5d1f7c2e-8b0a-4c3e-b1f2-9a8b7c6d5e4f"}],
                    "created_at": "2026-11-26T00:00:00Z",
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    name: str
    tax_id: str
    email: str | None
    phone: str | None
    address: str | None
    prices: list[PriceOut]
    created_at: IsoMoment
    version: int
