from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class DeliveryIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "6f1c0c1e-7c39-4d53-9a55-0d8f1c3a9b10",
                    "delivered_on": "2026-11-20",
                    "place": "Qəbələ, Vəndam",
                    "signed_by": "participant",
                    "items": [
                        {
                            "order_item_id": "a3d6f3f8-3e0c-4d8e-8f6c-1f2b3c4d5e6f",
                            "serials": ["AZ-HIVE-0001", "AZ-HIVE-0002"],
                        }
                    ],
                }
            ]
        }
    )

    class Line(BaseModel):
        order_item_id: uuid.UUID
        serials: list[Serial] = Field(min_length=1, max_length=10_000)

    order_id: uuid.UUID
    delivered_on: date
    place: str = Field(min_length=1, max_length=200)
    signed_by: str = Field(min_length=1, max_length=200, description="Who signed the handover act")
    items: list[Line] = Field(min_length=1)


class DeliveredUnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_item_id: uuid.UUID
    asset_type: str
    serial: str


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    delivered_on: date
    place: str
    signed_by: str
    units: list[DeliveredUnitOut]
    created_at: datetime
