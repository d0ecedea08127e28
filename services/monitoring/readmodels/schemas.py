from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.days import IsoMoment
from shared.decisions import DecisionOut as SharedDecisionOut
from shared.decisions import how_to_appeal

_PARTICIPANT = "3f2a7c1e-5b8d-4e6f-9a0b-1c2d3e4f5a6b"


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: uuid.UUID
    event_type: str = Field(description="The event's type, e.g. plans.plan.approved")
    occurred_at: IsoMoment
    facts: dict[str, Any] = Field(description="The event's payload: ids and coded facts only")


class TimelineOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "participant_id": _PARTICIPANT,
                    "entries": [
                        {
                            "event_id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                            "event_type": "intake.participant.enrolled",
                            "occurred_at": "2026-03-02T09:15:00Z",
                            "facts": {
                                "participant_id": _PARTICIPANT,
                                "region": "AZ-GA",
                                "categories": ["martyr_family"],
                                "direction": "beekeeping",
                            },
                        },
                        {
                            "event_id": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
                            "event_type": "assets.delivery.completed",
                            "occurred_at": "2026-05-20T11:40:00Z",
                            "facts": {
                                "participant_id": _PARTICIPANT,
                                "total": "721.00",
                                "delivered_on": "2026-05-20",
                            },
                        },
                    ],
                }
            ]
        }
    )

    participant_id: uuid.UUID
    entries: list[TimelineEntryOut] = Field(description="Every event about them, oldest first")


DecisionService = Literal["intake", "plans", "assets", "monitoring"]


class DecisionOut(SharedDecisionOut):
    """A decision from any service, as monitoring gathered it: with the service that made it (and
    would reverse it), the referring partner and the appeal that reversed it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision_id": "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                    "service": "monitoring",
                    "application_id": _PARTICIPANT,
                    "kind": "item_status",
                    "reason": "sold",
                    "decided_by": "staff:monitor-17",
                    "decided_at": "2027-02-21T08:00:00Z",
                    "appeal_until": "2027-03-23",
                    "appealable": True,
                    "how_to_appeal": how_to_appeal(date(2027, 3, 23)),
                    "ref_id": "9b2f4f0e-1c55-4a4b-8a1e-7a0d1b2c3d4e",
                    "partner_id": None,
                    "reversed_at": None,
                    "reversal_effect": None,
                    "grievance_id": None,
                }
            ]
        },
    )

    service: DecisionService = Field(description="The service that made it and would reverse it")
    partner_id: uuid.UUID | None
    grievance_id: uuid.UUID | None = Field(description="The upheld appeal that reversed it")
