from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plans.participants.models import ParticipantStatus
from shared.days import IsoMoment

_PARTICIPANT: dict[str, Any] = {
    "id": "0b4c1f3e-5d7a-4c2e-9a51-2f0d9b7e8c11",
    "applicant_id": "7e2d9c4a-1b3f-4e5d-8a6b-9c0d1e2f3a4b",
    "region": "AZ-GA",
    "categories": ["martyr_family"],
    "direction": "beekeeping",
    "partner_id": None,
    "round_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "enrolled_at": "2026-11-20T10:00:00Z",
    "status": "active",
    "cancel_reason": None,
    "cancelled_at": None,
}


class ParticipantOut(BaseModel):
    """Ids and coded facts only: names and personal numbers stay in intake."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_PARTICIPANT]})

    id: uuid.UUID
    applicant_id: uuid.UUID
    region: str
    categories: list[str]
    direction: str
    partner_id: uuid.UUID | None
    round_id: uuid.UUID | None = Field(
        description="Intake's programme round the participant was selected in; none when "
        "enrolled by hand"
    )
    enrolled_at: IsoMoment
    status: ParticipantStatus
    cancel_reason: str | None
    cancelled_at: IsoMoment | None


class ConsultationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "direction": "beekeeping",
                    "reason": "Has kept bees with family for years; meadows near the village.",
                }
            ]
        }
    )

    direction: str = Field(min_length=2, max_length=64, description="A direction's code")
    reason: str = Field(min_length=1, max_length=2000, description="Why this direction")


class ConsultationOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f9a2b1c-4d5e-4f6a-8b7c-9d0e1f2a3b4c",
                    "participant_id": _PARTICIPANT["id"],
                    "direction": "beekeeping",
                    "reason": "Has kept bees with family for years; meadows near the village.",
                    "consulted_by": "staff:officer-1",
                    "created_at": "2026-11-21T11:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    participant_id: uuid.UUID
    direction: str
    reason: str
    consulted_by: str
    created_at: IsoMoment
