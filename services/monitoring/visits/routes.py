from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from monitoring.visits import service
from monitoring.visits.models import Visit
from monitoring.visits.schemas import VisitOut
from shared.auth import Principal, Role, Scope, require
from shared.db import SessionDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")

MONITORING_READ = Scope.monitoring_read

Reader = Annotated[
    Principal,
    Depends(require(Role.monitor, Role.case_officer, Role.analyst, scopes=(MONITORING_READ,))),
]


@router.get(
    "/visits",
    tags=["visits"],
    response_model=Page[VisitOut],
    summary="Scheduled visits, by due date, optionally of one participant",
    responses=problem_responses(401, 403, 422),
)
async def list_visits(
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    participant_id: uuid.UUID | None = None,
) -> Page[VisitOut]:
    return await paginate(
        session,
        service.visits_query(principal, participant_id),
        key_columns=(Visit.due_on, Visit.id),
        params=page,
        to_item=VisitOut.model_validate,
    )
