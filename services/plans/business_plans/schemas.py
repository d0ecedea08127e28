from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from plans.business_plans.models import PlanStatus


class PlanItemIn(BaseModel):
    asset_type: str = Field(min_length=2, max_length=64, examples=["beehive"])
    quantity: int = Field(gt=0, le=10_000, examples=[10])
    unit_price: Decimal = Field(
        gt=0, max_digits=12, decimal_places=2, description="AZN", examples=["120.00"]
    )


class PlanItemsIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{"asset_type": "beehive", "quantity": 10, "unit_price": "120.00"}]}
            ]
        }
    )

    items: list[PlanItemIn] = Field(min_length=1, max_length=100)


class PlanItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_type: str
    quantity: int
    unit_price: Decimal
    total: Decimal


class BusinessPlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    participant_id: uuid.UUID
    direction: str
    status: PlanStatus
    items: list[PlanItemOut]
    total: Decimal
    approved_at: datetime | None
    created_at: datetime
    version: int
