from __future__ import annotations

import uuid

from fastapi import APIRouter

from monitoring.access import ReadsMonitoring
from monitoring.readmodels import service
from monitoring.readmodels.schemas import TimelineEntryOut, TimelineOut
from shared.db import SessionDep
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1")


@router.get(
    "/cases/{participant_id}/timeline",
    tags=["cases"],
    response_model=TimelineOut,
    summary="A participant's journey through all services, in order",
    description="Every event about the participant, from the application to the last visit, "
    "as monitoring received it. A partner sees only the participants it referred.",
    responses=problem_responses(401, 403, 404),
)
async def timeline(
    participant_id: uuid.UUID, session: SessionDep, principal: ReadsMonitoring
) -> TimelineOut:
    entries = await service.timeline(session, participant_id, principal)
    if not entries:
        raise NotFound("case", participant_id)
    return TimelineOut(
        participant_id=participant_id,
        entries=[TimelineEntryOut.model_validate(entry) for entry in entries],
    )
