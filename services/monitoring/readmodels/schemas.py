from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    facts: dict[str, Any]


class TimelineOut(BaseModel):
    participant_id: uuid.UUID
    entries: list[TimelineEntryOut]
