from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assets.funds.models import EntryKind, FundKind
from shared.days import IsoDay, IsoMoment

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{1,31}$")
]
Amount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]

FUND_ID = "3b8e2f6a-5c1d-4e7f-9a0b-1c2d3e4f5a6b"
BUDGET_ID = "9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"


class FundIn(BaseModel):
    """A partner's own fund under its memorandum (the state budget exists already)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "akhik-2027",
                    "name": "AHİK assets fund",
                    "partner_id": "5f2a1c3b-7d4e-4f6a-8b9c-0d1e2f3a4b5c",
                    "memorandum": "M-2026/014",
                }
            ]
        }
    )

    code: Code
    name: str = Field(min_length=1, max_length=200)
    partner_id: uuid.UUID
    memorandum: str | None = Field(None, max_length=64, description="The memorandum's number")


class FundOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": FUND_ID,
                    "code": "akhik-2027",
                    "name": "AHİK assets fund",
                    "kind": "partner",
                    "partner_id": "5f2a1c3b-7d4e-4f6a-8b9c-0d1e2f3a4b5c",
                    "memorandum": "M-2026/014",
                    "created_at": "2026-11-26T09:00:00Z",
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    code: str
    name: str
    kind: FundKind
    partner_id: uuid.UUID | None
    memorandum: str | None
    created_at: IsoMoment
    version: int


class BudgetIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "round": "2027-spring",
                    "round_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "period_start": "2027-01-01",
                    "period_end": "2027-06-30",
                    "allocated": "250000.00",
                }
            ]
        }
    )

    round: Code = Field(description="The programme round's code, unique within the fund")
    round_id: uuid.UUID | None = Field(
        None,
        description="The intake programme round (`/v1/rounds/{id}`) it funds, if any: orders of "
        "that round's participants are paid from it whatever day their plans are approved",
    )
    period_start: IsoDay = Field(description="Orders of plans approved from this day ...")
    period_end: IsoDay = Field(description="... to this day (inclusive) are paid from this budget")
    allocated: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class TopUpIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "15000.00"}]})

    amount: Amount


class ReductionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "20000.00"}]})

    amount: Amount = Field(description="Taken back from the allocation; at most what is available")


class BudgetOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": BUDGET_ID,
                    "fund_id": FUND_ID,
                    "round": "2027-spring",
                    "round_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "period_start": "2027-01-01",
                    "period_end": "2027-06-30",
                    "allocated": "250000.00",
                    "reserved": "42150.00",
                    "spent": "18000.00",
                    "available": "189850.00",
                    "version": 2,
                }
            ]
        },
    )

    id: uuid.UUID
    fund_id: uuid.UUID
    round: str
    round_id: uuid.UUID | None
    period_start: IsoDay
    period_end: IsoDay
    allocated: Decimal
    reserved: Decimal
    spent: Decimal
    available: Decimal
    version: int


class LedgerEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: EntryKind
    order_id: uuid.UUID | None
    amount: Decimal
    by: str
    at: IsoMoment


class LedgerOut(BaseModel):
    """A budget's totals and one page of its entries, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fund_id": FUND_ID,
                    "budget_id": BUDGET_ID,
                    "round": "2027-spring",
                    "allocated": "10000.00",
                    "reserved": "3000.00",
                    "spent": "0.00",
                    "available": "7000.00",
                    "entries": [
                        {
                            "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                            "kind": "allocation",
                            "order_id": None,
                            "amount": "10000.00",
                            "by": "staff:admin-1",
                            "at": "2026-11-26T09:00:00Z",
                        },
                        {
                            "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                            "kind": "reservation",
                            "order_id": "6f1c0c1e-7c39-4d53-9a55-0d8f1c3a9b10",
                            "amount": "3000.00",
                            "by": "system",
                            "at": "2026-11-26T09:05:00Z",
                        },
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    fund_id: uuid.UUID
    budget_id: uuid.UUID
    round: str
    allocated: Decimal
    reserved: Decimal
    spent: Decimal
    available: Decimal
    entries: list[LedgerEntryOut]
    next_cursor: str | None
