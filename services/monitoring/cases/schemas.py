from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from monitoring.cases.models import CaseStatus, FlagStatus, Outcome, Resolution, RuleKind
from shared.days import IsoDay, IsoMoment

_FLAG: dict[str, Any] = {
    "id": "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "participant_id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
    "rule": "asset_lost",
    "visit_id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
    "region": "AZ-GA",
    "details": {
        "items": [
            {
                "asset_type": "beehive",
                "serial": "AZ-HIVE-0001",
                "unit_id": "9b2f4f0e-1c55-4a4b-8a1e-7a0d1b2c3d4e",
                "status": "sold",
            }
        ]
    },
    "actions": ["recover_asset", "exclude_from_programme"],
    "owner_role": "case_officer",
    "owner_id": None,
    "status": "open",
    "resolution": None,
    "resolution_note": None,
    "resolved_by": None,
    "resolved_at": None,
    "raised_at": "2027-02-21T08:00:00Z",
    "version": 1,
}

_CASE: dict[str, Any] = {
    "participant_id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
    "region": "AZ-GA",
    "direction": "beekeeping",
    "partner_id": None,
    "delivered_on": "2026-11-20",
    "status": "open",
    "outcome": None,
    "close_reason": None,
    "closed_on": None,
    "opened_at": "2026-11-20T10:00:01Z",
    "version": 1,
}


class CloseReason(StrEnum):
    """Coded reasons a case closes with; each outcome takes its own (REASONS)."""

    operating_at_12_months = "operating_at_12_months"
    operating_sustainably = "operating_sustainably"
    not_operating_at_12_months = "not_operating_at_12_months"
    business_closed = "business_closed"
    assets_lost = "assets_lost"
    excluded_from_programme = "excluded_from_programme"
    withdrew = "withdrew"
    moved_away = "moved_away"
    deceased = "deceased"
    unreachable = "unreachable"


REASONS: dict[Outcome, frozenset[CloseReason]] = {
    Outcome.graduated: frozenset(
        {CloseReason.operating_at_12_months, CloseReason.operating_sustainably}
    ),
    Outcome.failed: frozenset(
        {
            CloseReason.not_operating_at_12_months,
            CloseReason.business_closed,
            CloseReason.assets_lost,
            CloseReason.excluded_from_programme,
        }
    ),
    Outcome.dropped_out: frozenset(
        {
            CloseReason.withdrew,
            CloseReason.moved_away,
            CloseReason.deceased,
            CloseReason.unreachable,
        }
    ),
}


class FlagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_FLAG]})

    id: uuid.UUID
    participant_id: uuid.UUID
    rule: str = Field(description="The code of the rule that raised it")
    visit_id: uuid.UUID | None = Field(description="The visit that raised it, if any")
    region: str | None
    details: dict[str, Any] = Field(description="Coded facts that raised it")
    actions: list[str] = Field(description="What the rule asks for, e.g. recover_asset")
    owner_role: str = Field(description="The role expected to take it on")
    owner_id: str | None = Field(description="The user it is assigned to; null: unassigned")
    status: FlagStatus
    resolution: Resolution | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: IsoMoment | None
    raised_at: IsoMoment
    version: int


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_CASE]})

    participant_id: uuid.UUID
    region: str
    direction: str
    partner_id: uuid.UUID | None
    delivered_on: IsoDay = Field(description="The first handover of assets")
    status: CaseStatus
    outcome: Outcome | None
    close_reason: str | None = Field(description="Coded, e.g. operating_at_12_months")
    closed_on: IsoDay | None
    opened_at: IsoMoment
    version: int


class ExpectationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: int
    income: Decimal
    costs: Decimal


class CaseDetailOut(CaseOut):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_CASE,
                    "expected": [{"month": 1, "income": "300.00", "costs": "120.00"}],
                    "open_flags": [_FLAG],
                }
            ]
        },
    )

    expected: list[ExpectationOut] = Field(
        description="What the approved plan expects, month by month"
    )
    open_flags: list[FlagOut]


class CloseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"outcome": "dropped_out", "reason": "moved_away", "closed_on": "2027-05-02"}
            ]
        }
    )

    outcome: Outcome
    reason: CloseReason = Field(description="Coded; each outcome takes its own reasons")
    closed_on: IsoDay | None = Field(None, description="Today (UTC) when not given")


class FlagRuleOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "income_below_plan",
                    "kind": "income_below_plan",
                    "parameters": {"ratio": "0.5"},
                    "actions": ["advise"],
                    "owner_role": "monitor",
                    "active": True,
                    "updated_by": None,
                    "updated_at": "2026-11-26T00:00:00Z",
                    "version": 1,
                }
            ]
        },
    )

    code: str
    kind: RuleKind
    parameters: dict[str, Any]
    actions: list[str]
    owner_role: str
    active: bool
    updated_by: str | None
    updated_at: IsoMoment
    version: int


Action = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]


class FlagRuleIn(BaseModel):
    """The whole rule but its code and kind."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parameters": {"ratio": "0.4"},
                    "actions": ["advise", "follow_up_visit"],
                    "owner_role": "monitor",
                    "active": True,
                }
            ]
        }
    )

    parameters: dict[str, Any] = Field(description="As the rule's kind defines them")
    actions: list[Action] = Field(max_length=10, description="Coded, e.g. revise_plan")
    owner_role: str = Field(pattern="^(case_officer|monitor|asset_officer|plan_reviewer)$")
    active: bool


class AssignIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"owner_id": "monitor-7"}]})

    owner_id: str | None = Field(
        None, min_length=1, max_length=128, description="A user id; the caller when not given"
    )


class ResolveIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"resolution": "asset_recovered", "note": "Hive returned by buyer"}]
        }
    )

    resolution: Resolution = Field(
        description="`unfounded`: the flag was wrong (intake withdraws a proposed exclusion); "
        "`report_corrected` is the rules' own, when a corrected report no longer trips the rule"
    )
    note: str | None = Field(None, max_length=2000, description="Free text; stays in monitoring")

    @field_validator("resolution")
    @classmethod
    def _not_the_rules_own(cls, resolution: Resolution) -> Resolution:
        if resolution == Resolution.report_corrected:
            raise ValueError("set by the rules when a report is corrected")
        return resolution


class OverdueCheckIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"on": "2027-03-01"}]})

    on: IsoDay | None = Field(None, description="The day to check as of; today (UTC) by default")


class OverdueCheckOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"raised": 3}]})

    raised: int = Field(description="How many flags this run raised")
