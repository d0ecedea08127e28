from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from intake.selection.models import Outcome, SelectionStatus
from shared.days import IsoMoment

_SELECTION = "9d2f6c1a-7b3e-4a5d-8c9f-1e2d3c4b5a60"


class SelectionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": _SELECTION,
                    "round_id": "6f1c2b9e-3a47-4c1e-9a53-0d7f5f1e2a10",
                    "status": "running",
                    "processed": 40000,
                    "total": 100000,
                    "error": None,
                    "attempts": 1,
                    "requested_by": "staff:admin-1",
                    "created_at": "2027-05-02T09:00:00Z",
                    "started_at": "2027-05-02T09:00:01Z",
                    "finished_at": None,
                    "committed_at": None,
                    "version": 2,
                }
            ]
        },
    )

    id: uuid.UUID
    round_id: uuid.UUID
    status: SelectionStatus
    processed: int = Field(description="Results written so far")
    total: int = Field(description="Eligible applications being ranked")
    error: str | None = Field(
        description="Why it failed: the exception's type, or `attempts_exhausted` when its runs "
        "kept dying before they finished"
    )
    attempts: int = Field(description="Times a runner took the job up")
    requested_by: str
    created_at: IsoMoment
    started_at: IsoMoment | None
    finished_at: IsoMoment | None
    committed_at: IsoMoment | None
    version: int


class SelectionResultOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "application_id": "3c9e0f4a-1b2d-4e6f-8a0b-2c4d6e8f0a1b",
                    "region": "AZ-GA",
                    "rank": 3,
                    "outcome": "selected",
                    "reserved": True,
                    "score": "54.20",
                    "waitlist_position": None,
                    "promoted_at": None,
                }
            ]
        },
    )

    application_id: uuid.UUID
    region: str
    rank: int = Field(description="Within the region, 1 = highest priority")
    outcome: Outcome
    reserved: bool = Field(description="Holds a place reserved for the priority categories")
    score: Decimal
    waitlist_position: int | None
    promoted_at: IsoMoment | None = Field(description="When it moved from the waitlist to a place")
