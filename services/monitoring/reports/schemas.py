"""The reports' JSON. A withheld figure is null and named in its row's `suppressed` (see
monitoring.reports.suppression); `suppressed_below` is 5 when small cells were withheld."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.days import IsoDay

Breakdown = Literal["category", "region", "direction", "partner"]
Stage = Literal[
    "applied", "eligible", "selected", "plan_approved", "delivered", "operating_6", "operating_12"
]

PARTNER_ID = "5f2a1c3b-7d4e-4f6a-8b9c-0d1e2f3a4b5c"
SUPPRESSED_BELOW: Any = Field(
    None, description="5 when counts of 1 to 4 (and figures derived from them) are withheld"
)
SUPPRESSED: Any = Field(
    default_factory=list, description="Names of the figures withheld in this row"
)


class YearCount(BaseModel):
    year: int
    count: int | None = Field(description="Participants enrolled in the year")
    growth: float | None = Field(description="count / the first year's count")
    suppressed: list[str] = SUPPRESSED


class GroupYearCount(YearCount):
    group: str | None = Field(description="The category, region, direction or partner id")


class ParticipantsReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "by": "region",
                    "first_year": 2017,
                    "years": [
                        {"year": 2017, "count": 1200, "growth": 1.0, "suppressed": []},
                        {"year": 2024, "count": 16800, "growth": 14.0, "suppressed": []},
                    ],
                    "breakdown": [
                        {
                            "group": "AZ-GA",
                            "year": 2017,
                            "count": None,
                            "growth": None,
                            "suppressed": ["count", "growth"],
                        },
                        {
                            "group": "AZ-GA",
                            "year": 2024,
                            "count": 310,
                            "growth": None,
                            "suppressed": ["growth"],
                        },
                    ],
                    "suppressed_below": 5,
                }
            ]
        }
    )

    by: Breakdown | None
    first_year: int | None = Field(description="The programme's first year in the figures")
    years: list[YearCount]
    breakdown: list[GroupYearCount]
    suppressed_below: int | None = SUPPRESSED_BELOW


class FunnelStage(BaseModel):
    stage: Stage
    count: int | None
    conversion_from_previous: float | None
    conversion_from_applied: float | None
    median_days_from_previous: float | None
    suppressed: list[str] = SUPPRESSED


class FunnelReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stages": [
                        {
                            "stage": "applied",
                            "count": 1000,
                            "conversion_from_previous": None,
                            "conversion_from_applied": 1.0,
                            "median_days_from_previous": None,
                            "suppressed": [],
                        },
                        {
                            "stage": "eligible",
                            "count": 800,
                            "conversion_from_previous": 0.8,
                            "conversion_from_applied": 0.8,
                            "median_days_from_previous": 2.0,
                            "suppressed": [],
                        },
                    ],
                    "suppressed_below": None,
                }
            ]
        }
    )

    stages: list[FunnelStage]
    suppressed_below: int | None = SUPPRESSED_BELOW


class SurvivalPoint(BaseModel):
    month: int
    at_risk: int | None = Field(description="Businesses still followed at this month")
    survival: float | None = Field(description="Kaplan-Meier probability of still operating")
    ci_lower: float | None = Field(description="95% confidence interval")
    ci_upper: float | None
    suppressed: list[str] = SUPPRESSED


class SurvivalCurve(BaseModel):
    direction: str | None
    followed: int | None = Field(description="Businesses with at least one visit")
    closed: int | None = Field(description="Of them, found not operating")
    points: list[SurvivalPoint]
    suppressed: list[str] = SUPPRESSED


class SurvivalReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "directions": [
                        {
                            "direction": "beekeeping",
                            "followed": 120,
                            "closed": 14,
                            "points": [
                                {
                                    "month": 3,
                                    "at_risk": 110,
                                    "survival": 0.95,
                                    "ci_lower": 0.9,
                                    "ci_upper": 0.98,
                                    "suppressed": [],
                                }
                            ],
                            "suppressed": [],
                        }
                    ],
                    "suppressed_below": None,
                }
            ]
        }
    )

    directions: list[SurvivalCurve]
    suppressed_below: int | None = SUPPRESSED_BELOW


class PartnerReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partner_id": PARTNER_ID,
                    "enrolled": 27,
                    "priority": 14,
                    "trainings_held": 3,
                    "persons_trained": 25,
                    "persons_with_assets": 20,
                    "items_delivered": 64,
                    "assets_value": "61200.00",
                    "visits_done": 48,
                    "operating": 18,
                    "summary": "27 persons enrolled, 14 of them from martyr families or war "
                    "participants",
                    "suppressed": [],
                    "suppressed_below": 5,
                }
            ]
        }
    )

    partner_id: uuid.UUID
    enrolled: int | None = Field(description="Persons the partner referred who were enrolled")
    priority: int | None = Field(description="Of them, from martyr families or war participants")
    trainings_held: int | None = Field(description="Training sessions the partner ran")
    persons_trained: int | None = Field(description="Persons who completed them")
    persons_with_assets: int | None
    items_delivered: int | None
    assets_value: Decimal | None = Field(description="AZN handed over")
    visits_done: int | None
    operating: int | None = Field(description="Businesses operating at their latest visit")
    summary: str
    suppressed: list[str] = SUPPRESSED
    suppressed_below: int | None = SUPPRESSED_BELOW


class PartnerReports(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partners": [PartnerReport.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
                    "suppressed_below": 5,
                }
            ]
        }
    )

    partners: list[PartnerReport]
    suppressed_below: int | None = SUPPRESSED_BELOW


class BudgetUse(BaseModel):
    fund_id: uuid.UUID
    fund_partner_id: uuid.UUID | None = Field(description="None: the state budget")
    budget_id: uuid.UUID
    round: str
    period_start: IsoDay
    period_end: IsoDay
    allocated: Decimal
    reserved: Decimal | None = Field(description="Held for orders not yet handed over")
    spent: Decimal | None = Field(description="Of orders handed over")
    available: Decimal | None = Field(description="allocated - reserved - spent")
    orders_reserved: int | None
    orders_delivered: int | None
    orders_waiting: int | None = Field(description="Orders waiting for money in this budget")
    suppressed: list[str] = SUPPRESSED


class BudgetReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "budgets": [
                        {
                            "fund_id": "00000000-0000-0000-0000-0000000000f1",
                            "fund_partner_id": None,
                            "budget_id": "9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                            "round": "2027-spring",
                            "period_start": "2027-01-01",
                            "period_end": "2027-06-30",
                            "allocated": "250000.00",
                            "reserved": "42150.00",
                            "spent": "18000.00",
                            "available": "189850.00",
                            "orders_reserved": 21,
                            "orders_delivered": 9,
                            "orders_waiting": 0,
                            "suppressed": [],
                        }
                    ],
                    "suppressed_below": None,
                }
            ]
        }
    )

    budgets: list[BudgetUse]
    suppressed_below: int | None = SUPPRESSED_BELOW


class GrievanceCount(BaseModel):
    by: Literal["type", "category", "outcome"]
    group: str = Field(description='The type, category or outcome ("open": not resolved yet)')
    count: int | None
    suppressed: list[str] = SUPPRESSED


class GrievanceReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lodged": 42,
                    "resolved": 30,
                    "median_days_to_resolve": 11.5,
                    "p90_days_to_resolve": 26.0,
                    "suppressed": [],
                    "counts": [
                        {"by": "type", "group": "appeal", "count": 12, "suppressed": []},
                        {"by": "type", "group": "grievance", "count": 30, "suppressed": []},
                        {
                            "by": "outcome",
                            "group": "upheld",
                            "count": None,
                            "suppressed": ["count"],
                        },
                    ],
                    "suppressed_below": 5,
                }
            ]
        }
    )

    lodged: int | None = Field(description="Grievances and appeals lodged in the period")
    resolved: int | None = Field(description="Of them, resolved")
    median_days_to_resolve: float | None
    p90_days_to_resolve: float | None
    suppressed: list[str] = SUPPRESSED
    counts: list[GrievanceCount] = Field(
        description="Those lodged by type, by category and by outcome: each adds up to `lodged`"
    )
    suppressed_below: int | None = SUPPRESSED_BELOW
