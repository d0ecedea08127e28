from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from monitoring.models import VisitStatus


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    participant_id: uuid.UUID
    delivery_id: uuid.UUID
    region: str
    month: int
    due_on: date
    status: VisitStatus


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    facts: dict[str, Any]


class TimelineOut(BaseModel):
    participant_id: uuid.UUID
    entries: list[TimelineEntryOut]
