from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict

from monitoring.visits.models import VisitStatus


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    participant_id: uuid.UUID
    delivery_id: uuid.UUID
    region: str
    month: int
    due_on: date
    status: VisitStatus
