from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assets.deliveries.models import ItemStatus, Signer
from shared.days import IsoDay, IsoMoment

Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

_UNIT: dict[str, Any] = {
    "id": "9b2f4f0e-1c55-4a4b-8a1e-7a0d1b2c3d4e",
    "order_item_id": "a3d6f3f8-3e0c-4d8e-8f6c-1f2b3c4d5e6f",
    "asset_type": "beehive",
    "serial": "AZ-HIVE-0001",
    "quantity": 1,
    "status": "in_use",
}


class DeliveryIn(BaseModel):
    """One handover: some or all of the order's remaining units. An order may be handed over in
    several deliveries, each with its own act, date, place and signer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "6f1c0c1e-7c39-4d53-9a55-0d8f1c3a9b10",
                    "delivered_on": "2026-11-20",
                    "place": "Qəbələ, Vəndam",
                    "signed_by": "participant",
                    "officer_id": "staff-4711",
                    "items": [
                        {
                            "order_item_id": "a3d6f3f8-3e0c-4d8e-8f6c-1f2b3c4d5e6f",
                            "serials": ["AZ-HIVE-0001", "AZ-HIVE-0002"],
                        },
                        {"order_item_id": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b", "quantity": 10},
                    ],
                }
            ]
        }
    )

    class Line(BaseModel):
        order_item_id: uuid.UUID
        serials: list[Serial] = Field(
            default_factory=list,
            max_length=10_000,
            description="One serial or ear-tag number per unit handed over, for types tracked so",
        )
        quantity: int | None = Field(
            None,
            gt=0,
            le=1_000_000,
            description="How many were handed over, for bulk types (at most what remains)",
        )

    order_id: uuid.UUID
    delivered_on: IsoDay
    place: str = Field(min_length=1, max_length=200)
    signed_by: Signer = Field(description="Who signed the act for the participant (coded)")
    officer_id: str | None = Field(
        None, max_length=64, description="The programme officer who countersigned, if any"
    )
    items: list[Line] = Field(min_length=1)


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: ItemStatus
    occurred_on: IsoDay
    source_event_id: uuid.UUID | None
    reason: str | None
    recorded_at: IsoMoment


class DeliveredUnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_UNIT]})

    id: uuid.UUID
    order_item_id: uuid.UUID
    asset_type: str
    serial: str | None = Field(description="Null for bulk types")
    quantity: int
    status: ItemStatus


class ItemOut(DeliveredUnitOut):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_UNIT,
                    "status": "sold",
                    "delivery_id": "2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a2b3c4d",
                    "version": 2,
                    "history": [
                        {
                            "status": "in_use",
                            "occurred_on": "2026-11-20",
                            "source_event_id": None,
                            "reason": "handover",
                            "recorded_at": "2026-11-20T10:00:00Z",
                        },
                        {
                            "status": "sold",
                            "occurred_on": "2027-02-20",
                            "source_event_id": "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
                            "reason": "monitoring_visit",
                            "recorded_at": "2027-02-21T08:00:00Z",
                        },
                    ],
                }
            ]
        },
    )

    delivery_id: uuid.UUID
    version: int
    history: list[HistoryOut]


class ActOut(BaseModel):
    content_type: str
    size: int
    uploaded_at: IsoMoment


class DeliveryOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a2b3c4d",
                    "order_id": "6f1c0c1e-7c39-4d53-9a55-0d8f1c3a9b10",
                    "delivered_on": "2026-11-20",
                    "place": "Qəbələ, Vəndam",
                    "signed_by": "participant",
                    "officer_id": "staff-4711",
                    "units": [_UNIT],
                    "act": {
                        "content_type": "application/pdf",
                        "size": 183422,
                        "uploaded_at": "2026-11-20T12:00:00Z",
                    },
                    "created_at": "2026-11-20T10:00:00Z",
                    "version": 2,
                }
            ]
        },
    )

    id: uuid.UUID
    order_id: uuid.UUID
    delivered_on: IsoDay
    place: str
    signed_by: Signer
    officer_id: str | None
    units: list[DeliveredUnitOut]
    act: ActOut | None = Field(description="The uploaded scan of the signed act, if any")
    created_at: IsoMoment
    version: int


class SerialFlagOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d",
                    "asset_type": "heifer",
                    "serial": "AZ-TAG-000123",
                    "order_id": "6f1c0c1e-7c39-4d53-9a55-0d8f1c3a9b10",
                    "existing_unit_id": "9b2f4f0e-1c55-4a4b-8a1e-7a0d1b2c3d4e",
                    "flagged_by": "staff:officer-7",
                    "flagged_at": "2026-11-21T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    asset_type: str
    serial: str
    order_id: uuid.UUID = Field(description="The order of the refused handover")
    existing_unit_id: uuid.UUID = Field(description="The unit the number was handed over with")
    flagged_by: str
    flagged_at: IsoMoment
