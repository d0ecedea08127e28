"""A participant's training history, across sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from plans.access import ReadsTrainings
from plans.trainings.models import Enrolment
from plans.trainings.schemas import TrainingHistoryItem
from plans.trainings.service import participants as service
from shared.db import SessionDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter()


@router.get(
    "/participants/{participant_id}/trainings",
    response_model=Page[TrainingHistoryItem],
    summary="A participant's trainings: course, session, status and attendance rate",
    responses=problem_responses(401, 403, 404, 422),
)
async def participant_trainings(
    participant_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsTrainings,
    page: PageParamsDep,
) -> Page[TrainingHistoryItem]:
    return await paginate(
        session,
        await service.history_query(session, participant_id, principal),
        key_columns=(Enrolment.created_at, Enrolment.id),
        params=page,
        to_item=TrainingHistoryItem.model_validate,
    )
