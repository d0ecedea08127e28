from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plans.business_plans.models import PlanStatus
from shared.days import IsoMoment

Money = Decimal
MONTHS = 12


class Section(StrEnum):
    """Parts of a plan a reviewer comments on."""

    activity = "activity"
    place = "place"
    market = "market"
    projections = "projections"
    jobs = "jobs"
    own_contribution = "own_contribution"
    items = "items"
    general = "general"


class Check(StrEnum):
    """The review checklist: every check must pass before a plan is approved."""

    activity_fits_direction = "activity_fits_direction"
    market_assessed = "market_assessed"
    projections_realistic = "projections_realistic"
    assets_match_activity = "assets_match_activity"
    own_contribution_confirmed = "own_contribution_confirmed"


class PlanItemIn(BaseModel):
    asset_type: str = Field(min_length=2, max_length=64, examples=["beehive"])
    quantity: int = Field(gt=0, le=10_000, examples=[10])
    unit_price: Money = Field(
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


class Projection(BaseModel):
    month: int = Field(ge=1, le=MONTHS)
    income: Money = Field(ge=0, max_digits=12, decimal_places=2, description="AZN")
    costs: Money = Field(ge=0, max_digits=12, decimal_places=2, description="AZN")


def twelve_months(income: str = "850.00", costs: str = "300.00") -> list[dict[str, Any]]:
    return [{"month": m, "income": income, "costs": costs} for m in range(1, MONTHS + 1)]


_CONTENT_EXAMPLE: dict[str, Any] = {
    "activity": "Honey production and sale of honey and wax",
    "place": "Göygöl district, Toğanalı village, own garden",
    "market": "Local market in Gəncə and two shops in the district; neighbours",
    "projections": twelve_months(),
    "jobs_created": 1,
    "own_contribution": "200.00",
}


class PlanContentIn(BaseModel):
    """The written parts of the plan; only the fields sent change."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONTENT_EXAMPLE]})

    activity: str | None = Field(None, min_length=1, max_length=2000)
    place: str | None = Field(None, min_length=1, max_length=500)
    market: str | None = Field(None, min_length=1, max_length=4000, description="And customers")
    projections: list[Projection] | None = Field(
        None,
        min_length=MONTHS,
        max_length=MONTHS,
        description="Expected income and costs for each of the first 12 months",
    )
    jobs_created: int | None = Field(None, ge=0, le=1000)
    own_contribution: Money | None = Field(None, ge=0, max_digits=12, decimal_places=2)

    @field_validator("projections")
    @classmethod
    def _each_month_once(cls, value: list[Projection] | None) -> list[Projection] | None:
        if value is not None and sorted(p.month for p in value) != list(range(1, MONTHS + 1)):
            raise ValueError("needs months 1 to 12, each once")
        return value


class SectionComment(BaseModel):
    section: Section
    comment: str = Field(min_length=1, max_length=4000)


class CheckIn(BaseModel):
    check: Check
    passed: bool
    note: str | None = Field(None, max_length=2000)


class ReviewIn(BaseModel):
    """Comments and checks on the submitted version; recording them starts the review."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "comments": [{"section": "market", "comment": "Name the shops."}],
                    "checklist": [
                        {"check": check.value, "passed": True, "note": None} for check in Check
                    ],
                }
            ]
        }
    )

    comments: list[SectionComment] = Field(default_factory=list, max_length=50)
    checklist: list[CheckIn] = Field(default_factory=list, max_length=len(Check))


class DecisionIn(BaseModel):
    """Asking for changes and rejecting need a comment; `reason` is a code for events."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "comment": "Costs leave out feed for the winter months.",
                    "section": "projections",
                    "reason": "projections_unrealistic",
                }
            ]
        }
    )

    comment: str = Field(min_length=1, max_length=4000)
    section: Section = Section.general
    reason: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{1,63}$")


class PlanItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_type: str
    quantity: int
    unit_price: Money
    total: Money


_ITEMS_OUT: list[dict[str, Any]] = [
    {"asset_type": "beehive", "quantity": 2, "unit_price": "150.50", "total": "301.00"},
    {"asset_type": "honey-extractor", "quantity": 1, "unit_price": "420.00", "total": "420.00"},
]
_PLAN_OUT: dict[str, Any] = {
    "id": "5d1e7a0c-2b3f-4c5d-8e9f-0a1b2c3d4e5f",
    "participant_id": "0b4c1f3e-5d7a-4c2e-9a51-2f0d9b7e8c11",
    "direction": "beekeeping",
    "status": "in_review",
    "status_reason": None,
    **_CONTENT_EXAMPLE,
    "items": _ITEMS_OUT,
    "total": "721.00",
    "revision": 1,
    "submitted_by": "staff:officer-1",
    "approved_by": None,
    "approved_at": None,
    "created_at": "2026-11-21T11:30:00Z",
    "updated_at": "2026-11-22T09:00:00Z",
    "version": 4,
}


class BusinessPlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_PLAN_OUT]})

    id: uuid.UUID
    participant_id: uuid.UUID
    direction: str
    status: PlanStatus
    status_reason: str | None = Field(description="Coded reason of the last change of state")
    activity: str | None
    place: str | None
    market: str | None
    projections: list[Projection]
    jobs_created: int | None
    own_contribution: Money | None
    items: list[PlanItemOut]
    total: Money
    revision: int = Field(description="Number of the last submitted version (0: never)")
    submitted_by: str | None
    approved_by: str | None
    approved_at: IsoMoment | None
    created_at: IsoMoment
    updated_at: IsoMoment
    version: int = Field(description="Also the ETag")


class CommentOut(BaseModel):
    section: Section
    comment: str
    by: str
    at: IsoMoment


class CheckOut(BaseModel):
    check: Check
    passed: bool
    note: str | None
    by: str
    at: IsoMoment


_VERSION_CONTENT: dict[str, Any] = {
    **_CONTENT_EXAMPLE,
    "direction": "beekeeping",
    "items": _ITEMS_OUT,
    "total": "721.00",
}


class PlanVersionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "content": _VERSION_CONTENT,
                    "submitted_by": "staff:officer-1",
                    "submitted_at": "2026-11-21T12:00:00Z",
                    "comments": [
                        {
                            "section": "market",
                            "comment": "Name the shops.",
                            "by": "staff:reviewer-1",
                            "at": "2026-11-22T09:00:00Z",
                        }
                    ],
                    "checklist": [
                        {
                            "check": "market_assessed",
                            "passed": False,
                            "note": "No buyers named",
                            "by": "staff:reviewer-1",
                            "at": "2026-11-22T09:00:00Z",
                        }
                    ],
                }
            ]
        },
    )

    number: int
    content: dict[str, Any] = Field(description="The plan as submitted")
    submitted_by: str
    submitted_at: IsoMoment
    comments: list[CommentOut]
    checklist: list[CheckOut]

    @field_validator("checklist", mode="before")
    @classmethod
    def _checks_as_list(cls, value: Any) -> Any:
        if isinstance(value, dict):  # stored by check, shown in the checklist's order
            return [{"check": c.value, **value[c.value]} for c in Check if c.value in value]
        return value
