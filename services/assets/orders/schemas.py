from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from assets.orders.models import OrderStatus

Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    asset_type: str
    quantity: int
    unit_price: Decimal


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    region: str
    direction: str
    status: OrderStatus
    items: list[OrderItemOut]
    total: Decimal
    created_at: datetime
    version: int
