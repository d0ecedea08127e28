from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from intake.applicants.models import Category
from intake.rounds.models import RoundStatus
from intake.rounds.rules import Rule
from intake.rounds.scoring import Weights
from shared.days import IsoDay, IsoMoment
from shared.regions import RegionCode

Quotas = dict[RegionCode, Annotated[int, Field(ge=0, le=1_000_000)]]
Share = Annotated[Decimal, Field(ge=0, le=1, max_digits=4, decimal_places=3)]

_EXAMPLE: dict[str, Any] = {
    "name": "2027 spring round",
    "period_start": "2027-03-01",
    "period_end": "2027-04-30",
    "quotas": {"AZ-BA": 120, "AZ-GA": 40},
    "reserved_share": "0.30",
    "priority_categories": ["martyr_family", "war_participant"],
    "rules": [
        {"rule": "age_between", "min": 18, "max": 55},
        {"rule": "not_benefited"},
        {"rule": "category_in", "categories": ["martyr_family", "war_participant", "disability"]},
    ],
    "weights": {
        "categories": {"points": {"martyr_family": "50", "war_participant": "40"}, "cap": "60"},
        "household": {"above": 3, "per_member": "5", "cap": "20"},
        "waiting": {"per_day": "0.1", "cap": "30"},
    },
}


class RoundIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    period_start: IsoDay
    period_end: IsoDay
    quotas: Quotas = Field(default_factory=dict, description="Places per ISO 3166-2:AZ region")
    reserved_share: Share = Field(
        Decimal(0),
        description="Share of each region's places filled first from the priority "
        "categories (rounded up); places they do not fill go to everyone else",
    )
    priority_categories: list[Category] = Field(
        default_factory=lambda: [Category.martyr_family, Category.war_participant]
    )
    rules: list[Rule] = Field(default_factory=list, description="Eligibility rules, all must pass")
    weights: Weights = Field(default_factory=Weights, description="Priority points")

    @model_validator(mode="after")
    def _period(self) -> RoundIn:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class RoundUpdate(BaseModel):
    """The period changes only in draft; rules, weights and priority categories in draft or open
    (an open round's applications are then re-assessed); quotas and the reserved share until the
    selection is committed."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"quotas": {"AZ-BA": 150}, "reserved_share": "0.35"}]}
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    period_start: IsoDay | None = None
    period_end: IsoDay | None = None
    quotas: Quotas | None = None
    reserved_share: Share | None = None
    priority_categories: list[Category] | None = None
    rules: list[Rule] | None = None
    weights: Weights | None = None


class RoundOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "id": "6f1c2b9e-3a47-4c1e-9a53-0d7f5f1e2a10",
                    "status": "draft",
                    "created_at": "2027-02-01T09:00:00Z",
                    "updated_at": "2027-02-01T09:00:00Z",
                    "rules_changed_at": None,
                    "rules_changed_by": None,
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    name: str
    period_start: IsoDay
    period_end: IsoDay
    status: RoundStatus
    quotas: dict[str, int]
    reserved_share: Decimal
    priority_categories: list[str]
    rules: list[dict[str, Any]]
    weights: dict[str, Any]
    created_at: IsoMoment
    updated_at: IsoMoment
    rules_changed_at: IsoMoment | None = Field(
        description="When the rules, weights or priority categories last changed"
    )
    rules_changed_by: str | None = Field(
        description='Who changed them, e.g. "staff:<subject>"', examples=["staff:officer-17"]
    )
    version: int
