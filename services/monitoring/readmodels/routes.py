from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from monitoring.access import ReadsMonitoring
from monitoring.readmodels import service
from monitoring.readmodels.models import Decision
from monitoring.readmodels.schemas import (
    DecisionOut,
    DecisionService,
    TimelineEntryOut,
    TimelineOut,
)
from shared.db import SessionDep, utcnow
from shared.events.catalog import DecisionKind
from shared.i18n import LanguageDep
from shared.paging import Page, PageParamsDep, paginate
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


def _decision_out(decision: Decision, today: date, language: str) -> DecisionOut:
    return DecisionOut.of(
        decision,
        today,
        language,
        service=decision.service,
        partner_id=decision.partner_id,
        grievance_id=decision.grievance_id,
    )


@router.get(
    "/decisions",
    tags=["grievances"],
    response_model=Page[DecisionOut],
    summary="Adverse decisions about applications, from every service, oldest first",
    description="Each with whether it may still be appealed and how. A partner sees only the "
    "decisions about the people it referred.",
    responses=problem_responses(401, 403, 422),
)
async def decisions(
    session: SessionDep,
    principal: ReadsMonitoring,
    page: PageParamsDep,
    application_id: uuid.UUID | None = None,
    service_: Annotated[DecisionService | None, Query(alias="service")] = None,
    kind: DecisionKind | None = None,
    *,
    language: LanguageDep,
) -> Page[DecisionOut]:
    today = utcnow().date()
    return await paginate(
        session,
        service.decisions_query(
            session, principal, application_id=application_id, service=service_, kind=kind
        ),
        key_columns=(Decision.decided_at, Decision.id),
        params=page,
        to_item=lambda decision: _decision_out(decision, today, language),
    )
