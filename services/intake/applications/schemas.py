from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from intake.applications.models import ApplicationStatus, Source
from intake.rounds.rules import RuleResult
from intake.rounds.scoring import Factor
from shared.days import IsoMoment

_ID = "0b8f6a1e-5d4c-4f6e-9a2b-7c1d3e5f7a90"
_ROUND = "6f1c2b9e-3a47-4c1e-9a53-0d7f5f1e2a10"
_BREAKDOWN: Any = [
    {"factor": "categories", "points": "50.00", "detail": "martyr_family 50"},
    {"factor": "waiting", "points": "4.20", "detail": "42 days to 2027-04-30 x 0.1"},
]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"applicant_id": _ID, "round_id": _ROUND, "direction": "beekeeping"}]
        }
    )

    applicant_id: uuid.UUID
    round_id: uuid.UUID | None = Field(
        None, description="The open round applied to; without it, a direct application"
    )
    direction: str = Field(min_length=2, max_length=64, examples=["beekeeping"])


class ApplicationOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3c9e0f4a-1b2d-4e6f-8a0b-2c4d6e8f0a1b",
                    "applicant_id": _ID,
                    "partner_id": None,
                    "round_id": _ROUND,
                    "source": "staff",
                    "direction": "beekeeping",
                    "status": "eligible",
                    "region": "AZ-GA",
                    "categories": ["martyr_family"],
                    "score": "54.20",
                    "score_breakdown": _BREAKDOWN,
                    "submitted_at": "2027-03-19T10:00:00Z",
                    "enrolled_at": None,
                    "closed_at": None,
                    "close_reason": None,
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    applicant_id: uuid.UUID
    partner_id: uuid.UUID | None
    round_id: uuid.UUID | None
    source: Source
    direction: str
    status: ApplicationStatus
    region: str
    categories: list[str]
    score: Decimal | None = Field(description="Priority score: the sum of score_breakdown")
    score_breakdown: list[Factor]
    submitted_at: IsoMoment
    enrolled_at: IsoMoment | None
    closed_at: IsoMoment | None
    close_reason: str | None
    version: int


class AssessmentOut(BaseModel):
    """Why an application is eligible or not: each rule with what it saw, and the score."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_id": "3c9e0f4a-1b2d-4e6f-8a0b-2c4d6e8f0a1b",
                    "round_id": _ROUND,
                    "eligible": False,
                    "rules": [
                        {
                            "rule": "age_between",
                            "passed": False,
                            "observed": 61,
                            "explanation": "age 61 on 2027-03-01 is outside 18-55",
                        }
                    ],
                    "score": None,
                    "score_breakdown": [],
                    "assessed_at": "2027-03-19T10:00:00Z",
                }
            ]
        }
    )

    application_id: uuid.UUID
    round_id: uuid.UUID | None
    eligible: bool
    rules: list[RuleResult]
    score: Decimal | None
    score_breakdown: list[Factor]
    assessed_at: IsoMoment | None


class EnrollIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{}, {"override_reason": "Court ruling 12/2027"}]}
    )

    override_reason: str | None = Field(
        None,
        min_length=3,
        max_length=500,
        description="Admins only: enrol someone who benefited before; the reason is audited",
    )


class CancelIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "duplicate"}]})

    reason: str = Field(
        pattern=r"^[a-z_]{2,32}$",
        description="Coded reason, e.g. not_eligible, duplicate, no_contact",
        examples=["duplicate"],
    )
