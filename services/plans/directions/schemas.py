from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.days import IsoMoment

Code = Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$", examples=["beekeeping"])
AssetCode = Field(min_length=2, max_length=64, description="Code in the assets catalogue")

_EXAMPLE: dict[str, Any] = {
    "code": "beekeeping",
    "name_az": "Arıçılıq",
    "name_en": "Beekeeping",
    "name_ru": "Пчеловодство",
    "asset_package": [
        {"asset_type": "beehive", "quantity": 10},
        {"asset_type": "honey-extractor", "quantity": 1},
    ],
    "ceiling": "3000.00",
}


class PackageItem(BaseModel):
    asset_type: str = AssetCode
    quantity: int = Field(gt=0, le=10_000)


Ceiling = Field(gt=0, max_digits=12, decimal_places=2, description="AZN per participant")


class DirectionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    code: str = Code
    name_az: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    name_ru: str = Field(min_length=1, max_length=200)
    asset_package: list[PackageItem] = Field(min_length=1, max_length=50)
    ceiling: Decimal = Ceiling


class DirectionUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ceiling": "3500.00"}, {"active": False}]}
    )

    name_az: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200)
    name_ru: str | None = Field(None, min_length=1, max_length=200)
    asset_package: list[PackageItem] | None = Field(None, min_length=1, max_length=50)
    ceiling: Decimal | None = Field(
        None, gt=0, max_digits=12, decimal_places=2, description="AZN per participant"
    )
    active: bool | None = Field(None, description="Inactive directions are not offered any more")


class DirectionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "active": True,
                    "created_at": "2026-11-26T09:00:00Z",
                    "updated_at": "2026-11-26T09:00:00Z",
                    "version": 1,
                }
            ]
        },
    )

    code: str
    name_az: str
    name_en: str
    name_ru: str
    asset_package: list[PackageItem]
    ceiling: Decimal
    active: bool
    created_at: IsoMoment
    updated_at: IsoMoment
    version: int
