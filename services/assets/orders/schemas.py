from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assets.orders.models import OrderStatus, PriceApproval
from shared.days import IsoDay, IsoMoment

Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

ORDER_ID = "6f1c0c1e-7c39-4d53-9a55-0d8f1c3a9b10"
ITEM_ID = "a3d6f3f8-3e0c-4d8e-8f6c-1f2b3c4d5e6f"
SUPPLIER_ID = "c4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    asset_type: str
    quantity: int
    unit_price: Decimal = Field(description="The plan's unit price")
    supplier_id: uuid.UUID | None
    agreed_unit_price: Decimal | None
    delivered_quantity: int = Field(description="Units handed over so far, in all deliveries")


class OrderOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": ORDER_ID,
                    "plan_id": "2b7d1e0f-9a8c-4b6d-8e5f-4a3b2c1d0e9f",
                    "participant_id": "8e9f0a1b-2c3d-4e5f-8a6b-7c8d9e0f1a2b",
                    "region": "AZ-GA",
                    "direction": "beekeeping",
                    "partner_id": None,
                    "status": "partly_delivered",
                    "fund_id": "00000000-0000-0000-0000-0000000000f1",
                    "budget_id": "9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                    "approved_on": "2026-11-20",
                    "items": [
                        {
                            "id": ITEM_ID,
                            "asset_type": "beehive",
                            "quantity": 2,
                            "unit_price": "150.50",
                            "supplier_id": SUPPLIER_ID,
                            "agreed_unit_price": "148.00",
                            "delivered_quantity": 1,
                        }
                    ],
                    "total": "301.00",
                    "cost": "296.00",
                    "reserved_amount": "296.00",
                    "spent_amount": "148.00",
                    "price_approval": "not_required",
                    "price_approved_by": None,
                    "cancel_reason": None,
                    "created_at": "2026-11-20T10:15:00Z",
                    "version": 3,
                }
            ]
        },
    )

    id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    region: str
    direction: str
    partner_id: uuid.UUID | None
    status: OrderStatus
    fund_id: uuid.UUID = Field(description="The fund that pays")
    budget_id: uuid.UUID | None = Field(description="The fund's round budget; None: none yet")
    approved_on: IsoDay
    items: list[OrderItemOut]
    total: Decimal = Field(description="At the plan's prices")
    cost: Decimal = Field(description="At the agreed prices where agreed")
    reserved_amount: Decimal = Field(
        description="Held in the budget: reserved, or spent once delivered"
    )
    spent_amount: Decimal = Field(
        description="The part of `reserved_amount` spent by the deliveries so far"
    )
    price_approval: PriceApproval
    price_approved_by: str | None
    cancel_reason: str | None
    created_at: IsoMoment
    version: int


class TermsIn(BaseModel):
    """Suppliers and agreed unit prices, for some or all of the order's items."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "order_item_id": ITEM_ID,
                            "supplier_id": SUPPLIER_ID,
                            "agreed_unit_price": "148.00",
                        }
                    ]
                }
            ]
        }
    )

    class Line(BaseModel):
        order_item_id: uuid.UUID
        supplier_id: uuid.UUID = Field(description="A supplier of the catalogue")
        agreed_unit_price: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]

    items: list[Line] = Field(min_length=1)


class CancelReason(StrEnum):
    plan_withdrawn = "plan_withdrawn"
    participant_withdrew = "participant_withdrew"
    supplier_failed = "supplier_failed"
    duplicate = "duplicate"
    other = "other"


class CancelIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "participant_withdrew"}]})

    reason: CancelReason
