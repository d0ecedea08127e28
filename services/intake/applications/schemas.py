from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from intake.applications.models import ApplicationStatus


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"applicant_id": "0b8f...", "direction": "beekeeping"}]}
    )

    applicant_id: uuid.UUID
    direction: str = Field(min_length=2, max_length=64, examples=["beekeeping"])


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    applicant_id: uuid.UUID
    partner_id: uuid.UUID | None
    direction: str
    status: ApplicationStatus
    submitted_at: datetime
    enrolled_at: datetime | None
    version: int
