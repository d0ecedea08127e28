from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from intake.exclusions.models import ProposalStatus
from shared.days import IsoMoment

EXCLUDE_REASONS = ("asset_sold", "asset_misused", "fraud_confirmed")
DECLINE_REASONS = ("asset_stolen", "asset_died", "report_unfounded")
DecisionReason = Literal[
    "asset_sold",
    "asset_misused",
    "fraud_confirmed",
    "asset_stolen",
    "asset_died",
    "report_unfounded",
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ExclusionProposalOut(BaseModel):
    """A flag's proposal to exclude the person, and the officer's decision on it (ids and codes:
    the note is read here, never sent on)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f1c2b4a-8d7e-4c6b-9a0f-1e2d3c4b5a69",
                    "application_id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
                    "applicant_id": "9a1c4e2b-7d3f-4a8e-b6c0-5f2e1d0c9b88",
                    "flag_id": "6d0e3c9a-1f7b-4b2e-8c55-0e9f3a2b1c44",
                    "rule": "asset_lost",
                    "status": "excluded",
                    "proposed_at": "2026-05-02T10:00:00Z",
                    "decided_by": "staff:officer-1",
                    "decided_at": "2026-05-04T09:30:00Z",
                    "reason": "asset_sold",
                    "note": "Sold both hives at the market, confirmed by the buyer",
                    "decision_id": "7c2d1e0f-9b8a-4c7d-8e6f-5a4b3c2d1e0f",
                    "version": 2,
                }
            ]
        },
    )

    id: uuid.UUID
    application_id: uuid.UUID = Field(description="The participant the flag is about")
    applicant_id: uuid.UUID
    flag_id: uuid.UUID
    rule: str = Field(description="The monitoring rule that proposed it, e.g. asset_lost")
    status: ProposalStatus
    proposed_at: IsoMoment
    decided_by: str | None = None
    decided_at: IsoMoment | None = None
    reason: str | None = Field(
        None,
        description="Coded: the officer's reason, or flag_unfounded / report_corrected when "
        "monitoring withdrew it",
    )
    note: str | None = None
    decision_id: uuid.UUID | None = Field(
        None, description="The adverse decision an exclusion recorded (appealed by this id)"
    )
    version: int


class ProposalDecisionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "exclude",
                    "reason": "asset_sold",
                    "note": "Sold both hives at the market, confirmed by the buyer",
                },
                {"decision": "decline", "reason": "asset_stolen"},
            ]
        }
    )

    decision: Literal["exclude", "decline"]
    reason: DecisionReason = Field(
        description=f"To exclude: {', '.join(EXCLUDE_REASONS)}; to decline: "
        f"{', '.join(DECLINE_REASONS)}"
    )
    note: Note | None = Field(None, description="Kept in intake, never sent on")

    @field_validator("reason")
    @classmethod
    def _reason_fits_decision(cls, reason: str, info: ValidationInfo) -> str:
        allowed = EXCLUDE_REASONS if info.data.get("decision") == "exclude" else DECLINE_REASONS
        if "decision" in info.data and reason not in allowed:
            raise PydanticCustomError(
                "reason_not_for_decision",
                "Not a reason to {decision}: one of {allowed}",
                {"decision": info.data["decision"], "allowed": ", ".join(allowed)},
            )
        return reason
