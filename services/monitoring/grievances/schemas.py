from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from monitoring.grievances.models import (
    Category,
    Channel,
    GrievanceOutcome,
    GrievanceStatus,
    GrievanceType,
)
from shared.days import IsoDay, IsoMoment

_APPLICATION = "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11"
_DECISION = "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
_GRIEVANCE: dict[str, Any] = {
    "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "application_id": _APPLICATION,
    "type": "appeal",
    "category": "decision",
    "channel": "office",
    "decision_id": _DECISION,
    "decision_service": "monitoring",
    "description": "The hive was not sold: it was moved to a relative's garden",
    "partner_id": None,
    "lodged_by": "staff:officer-3",
    "lodged_at": "2027-02-22T09:00:00Z",
    "acknowledge_by": "2027-02-25",
    "resolve_by": "2027-03-09",
    "status": "lodged",
    "owner_id": None,
    "owner_role": "case_officer",
    "escalation_level": 0,
    "acknowledged_at": None,
    "outcome": None,
    "resolution_note": None,
    "resolved_by": None,
    "resolved_at": None,
    "version": 1,
}


class GrievanceIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_id": _APPLICATION,
                    "type": "appeal",
                    "category": "decision",
                    "channel": "office",
                    "decision_id": _DECISION,
                    "description": "The hive was not sold: it was moved to a relative's garden",
                }
            ]
        }
    )

    application_id: uuid.UUID
    type: GrievanceType
    category: Category = Field(description="An appeal's is `decision`; a grievance's any other")
    channel: Channel = Field(description="A partner's key always lodges through `partner`")
    decision_id: uuid.UUID | None = Field(
        None,
        description="For an appeal, required: a decision about the application, not reversed, "
        "whose appeal_until has not passed (GET /v1/decisions)",
    )
    description: str | None = Field(
        None, max_length=4000, description="Free text; stays in monitoring"
    )


class GrievanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_GRIEVANCE]})

    id: uuid.UUID
    application_id: uuid.UUID
    type: GrievanceType
    category: Category
    channel: Channel
    decision_id: uuid.UUID | None
    decision_service: str | None = Field(description="For an appeal: the decision's owner")
    description: str | None
    partner_id: uuid.UUID | None = Field(description="The referring partner")
    lodged_by: str
    lodged_at: IsoMoment
    acknowledge_by: IsoDay
    resolve_by: IsoDay
    status: GrievanceStatus
    owner_id: str | None = Field(description="The officer it is assigned to; null: unassigned")
    owner_role: str = Field(description="Who is expected to take it on; moves up when escalated")
    escalation_level: int = Field(description="0 until a deadline passes; +1 for each")
    acknowledged_at: IsoMoment | None
    outcome: GrievanceOutcome | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: IsoMoment | None
    version: int


class ResolveIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"outcome": "upheld", "note": "The visit found the hive in use"}]
        }
    )

    outcome: GrievanceOutcome = Field(
        description="An upheld appeal asks the decision's owner to reverse it"
    )
    note: str | None = Field(None, max_length=4000, description="Free text; stays in monitoring")
