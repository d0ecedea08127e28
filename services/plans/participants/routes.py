from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from plans.access import ReadsPlans, WritesPlans
from plans.filters import given
from plans.participants import messages as _messages  # noqa: F401  (registers message keys)
from plans.participants import service
from plans.participants.models import DirectionConsultation, Participant, ParticipantStatus
from plans.participants.repository import ParticipantRepository
from plans.participants.schemas import ConsultationIn, ConsultationOut, ParticipantOut
from shared.db import SessionDep
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/participants", tags=["participants"])


@router.get(
    "",
    response_model=Page[ParticipantOut],
    summary="Enrolled participants (a partner sees those it referred)",
    responses=problem_responses(401, 403, 422),
)
async def list_participants(
    session: SessionDep,
    principal: ReadsPlans,
    page: PageParamsDep,
    region: Annotated[str | None, Query(max_length=8, examples=["AZ-GA"])] = None,
    direction: Annotated[str | None, Query(max_length=64, examples=["beekeeping"])] = None,
    status: ParticipantStatus | None = None,
    round_id: Annotated[uuid.UUID | None, Query(description="Intake's programme round")] = None,
) -> Page[ParticipantOut]:
    query = ParticipantRepository(session).query(
        principal,
        *given(
            (Participant.region, region),
            (Participant.direction, direction),
            (Participant.status, status),
            (Participant.round_id, round_id),
        ),
    )
    return await paginate(
        session,
        query,
        key_columns=(Participant.enrolled_at, Participant.id),
        params=page,
        to_item=ParticipantOut.model_validate,
    )


@router.get(
    "/{participant_id}",
    response_model=ParticipantOut,
    summary="A participant: ids and coded facts, no personal data",
    responses=problem_responses(401, 403, 404),
)
async def get_participant(
    participant_id: uuid.UUID, session: SessionDep, principal: ReadsPlans
) -> Participant:
    return await ParticipantRepository(session).get(participant_id, principal)


@router.post(
    "/{participant_id}/consultations",
    status_code=201,
    response_model=ConsultationOut,
    summary="Record a direction consultation: the direction chosen and why (Idempotency-Key)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def add_consultation(
    participant_id: uuid.UUID,
    body: ConsultationIn,
    session: SessionDep,
    principal: WritesPlans,
    idem: IdempotencyDep,
) -> Response:
    async def create() -> DirectionConsultation:
        participant = await ParticipantRepository(session).get(participant_id, principal)
        return await service.choose_direction(session, participant, body, principal)

    async def read(ref: str) -> DirectionConsultation:
        participant = await ParticipantRepository(session).get(participant_id, principal)
        return await service.get_consultation(session, participant, uuid.UUID(ref))

    return await idem.respond(create, read=read, response_model=ConsultationOut)


@router.get(
    "/{participant_id}/consultations",
    response_model=Page[ConsultationOut],
    summary="A participant's direction consultations, oldest first",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_consultations(
    participant_id: uuid.UUID, session: SessionDep, principal: ReadsPlans, page: PageParamsDep
) -> Page[ConsultationOut]:
    await ParticipantRepository(session).get(participant_id, principal)
    return await paginate(
        session,
        select(DirectionConsultation).where(DirectionConsultation.participant_id == participant_id),
        key_columns=(DirectionConsultation.created_at, DirectionConsultation.id),
        params=page,
        to_item=ConsultationOut.model_validate,
    )
