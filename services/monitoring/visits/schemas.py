from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from monitoring.visits.models import ItemStatus, VisitStatus
from shared.days import IsoDay, IsoMoment
from shared.regions import RegionCode

Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9_]{1,64}$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]

_VISIT: dict[str, Any] = {
    "id": "5d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
    "participant_id": "0b7e5f2c-1a3d-4c5e-9f8a-7b6c5d4e3f2a",
    "delivery_id": "2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a2b3c4d",
    "delivered_on": "2026-01-31",
    "region": "AZ-GA",
    "partner_id": None,
    "month": 3,
    "due_on": "2026-04-30",
    "status": "reported",
    "monitor_id": "monitor-17",
    "visited_on": "2026-05-04",
    "late": True,
    "version": 3,
}
_ITEM_IN: dict[str, Any] = {
    "unit_id": "9b2f4f0e-1c55-4a4b-8a1e-7a0d1b2c3d4e",
    "status": "in_use",
}
_ITEM_BY_SERIAL: dict[str, Any] = {
    "asset_type": "beehive",
    "serial": "AZ-HIVE-0002",
    "status": "sold",
    "reason": "sold_to_neighbour",
}
_REPORT_FIELDS: dict[str, Any] = {
    "visited_on": "2026-05-04",
    "operating": True,
    "items": [_ITEM_IN, _ITEM_BY_SERIAL],
    "income": "420.00",
    "costs": "150.00",
    "jobs": 1,
    "notes": "Bees healthy; the second hive was sold to a neighbour in April.",
    "location": {"latitude": "40.682100", "longitude": "46.360600"},
}


class Location(BaseModel):
    """WGS84 coordinates of the place visited (checked to lie in Azerbaijan)."""

    latitude: Decimal = Field(ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal = Field(ge=-180, le=180, max_digits=9, decimal_places=6)


class ItemFinding(BaseModel):
    """A delivered unit, named by its id or by asset type and serial, and what was found."""

    unit_id: uuid.UUID | None = None
    asset_type: str | None = Field(None, min_length=1, max_length=64)
    serial: str | None = Field(None, min_length=1, max_length=64)
    status: ItemStatus
    reason: Code | None = Field(None, description="Coded, e.g. sold_to_neighbour; never a name")

    @model_validator(mode="after")
    def _names_a_unit(self) -> ItemFinding:
        if self.unit_id is None and (self.asset_type is None or self.serial is None):
            raise ValueError("give unit_id, or asset_type with serial")
        return self


class ReportFields(BaseModel):
    visited_on: IsoDay
    operating: bool = Field(description="Is the business operating?")
    items: list[ItemFinding] = Field(default_factory=list, max_length=1000)
    income: Money | None = Field(None, description="Monthly income, AZN")
    costs: Money | None = Field(None, description="Monthly costs, AZN")
    jobs: int | None = Field(None, ge=0, le=10_000, description="People working in the business")
    notes: str | None = Field(
        None, max_length=4000, description="Free text; never leaves monitoring in events or logs"
    )
    location: Location | None = None


class ReportIn(ReportFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"report_id": "e3b0c442-98fc-4c14-9afb-f4c8996fb924", **_REPORT_FIELDS}]
        }
    )

    report_id: uuid.UUID = Field(
        description="Made by the field device; a report sent again with it is accepted once"
    )


class CorrectionIn(ReportFields):
    model_config = ConfigDict(json_schema_extra={"examples": [_REPORT_FIELDS]})


class ItemFindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_id: uuid.UUID
    asset_type: str
    serial: str | None
    status: ItemStatus
    reason: str | None


class ReportOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "e3b0c442-98fc-4c14-9afb-f4c8996fb924",
                    "visit_id": _VISIT["id"],
                    **_REPORT_FIELDS,
                    "items": [
                        {
                            **_ITEM_IN,
                            "asset_type": "beehive",
                            "serial": "AZ-HIVE-0001",
                            "reason": None,
                        },
                        {**_ITEM_BY_SERIAL, "unit_id": "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"},
                    ],
                    "late": True,
                    "revision": 1,
                    "reported_by": "staff:monitor-17",
                    "reported_at": "2026-05-05T07:12:00Z",
                    "updated_by": "staff:monitor-17",
                    "updated_at": "2026-05-05T07:12:00Z",
                }
            ]
        },
    )

    id: uuid.UUID = Field(description="The report_id the device made")
    visit_id: uuid.UUID
    visited_on: IsoDay
    operating: bool
    items: list[ItemFindingOut]
    income: Decimal | None
    costs: Decimal | None
    jobs: int | None
    notes: str | None = Field(description="Monitors, case officers and admins only; else null")
    location: Location | None = Field(
        description="Monitors, case officers and admins only; else null"
    )
    late: bool = Field(description="Visited after the due date")
    revision: int = Field(description="1 for the first report; raised by each correction")
    reported_by: str
    reported_at: IsoMoment
    updated_by: str
    updated_at: IsoMoment


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_VISIT]})

    id: uuid.UUID
    participant_id: uuid.UUID
    delivery_id: uuid.UUID = Field(description="The participant's first delivery")
    delivered_on: IsoDay | None
    region: str
    partner_id: uuid.UUID | None
    month: int = Field(description="Months after the handover")
    due_on: IsoDay
    status: VisitStatus
    monitor_id: str | None = Field(description="The monitor it is assigned to; null: none yet")
    visited_on: IsoDay | None
    late: bool | None = Field(description="Visited after the due date; null until reported")
    version: int


class AssignIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"monitor_id": "monitor-17"}]})

    monitor_id: str = Field(min_length=1, max_length=64, description="An active monitor's id")


class MonitorIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"regions": ["AZ-GA", "AZ-SKR"], "active": True}]}
    )

    regions: list[RegionCode] = Field(min_length=1, max_length=100)
    active: bool = True


class MonitorOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "monitor-17",
                    "regions": ["AZ-GA", "AZ-SKR"],
                    "active": True,
                    "open_visits": 12,
                    "created_at": "2026-01-10T09:00:00Z",
                    "updated_at": "2026-01-10T09:00:00Z",
                    "version": 1,
                }
            ]
        },
    )

    id: str = Field(description="The staff user's id (the token's subject)")
    regions: list[str]
    active: bool
    open_visits: int = Field(0, description="Scheduled visits assigned to the monitor")
    created_at: IsoMoment
    updated_at: IsoMoment
    version: int


class PhotoOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
                    "visit_id": _VISIT["id"],
                    "content_type": "image/jpeg",
                    "size": 483211,
                    "uploaded_by": "staff:monitor-17",
                    "uploaded_at": "2026-05-05T07:14:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    visit_id: uuid.UUID
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: IsoMoment
