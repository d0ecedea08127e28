from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from intake.dependencies import AppealDaysDep, ReviewsCases
from intake.exclusions import service as exclusions
from intake.exclusions.models import ExclusionProposal, ProposalStatus
from intake.exclusions.repository import ExclusionProposalRepository
from intake.exclusions.schemas import ExclusionProposalOut, ProposalDecisionIn
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["exclusions"])


@router.get(
    "/exclusion-proposals",
    response_model=Page[ExclusionProposalOut],
    summary="Monitoring's proposals to exclude a person from the programme, oldest first",
    responses=problem_responses(401, 403, 422),
)
async def list_proposals(
    session: SessionDep,
    principal: ReviewsCases,
    page: PageParamsDep,
    status: Annotated[ProposalStatus | None, Query()] = None,
    applicant_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[ExclusionProposalOut]:
    return await paginate(
        session,
        exclusions.proposals_query(status, applicant_id),
        key_columns=(ExclusionProposal.proposed_at, ExclusionProposal.id),
        params=page,
        to_item=ExclusionProposalOut.model_validate,
    )


@router.get(
    "/exclusion-proposals/{proposal_id}",
    response_model=ExclusionProposalOut,
    summary="A proposal to exclude a person, with the case officer's decision",
    responses=problem_responses(401, 403, 404),
)
async def get_proposal(
    proposal_id: uuid.UUID, session: SessionDep, principal: ReviewsCases, response: Response
) -> ExclusionProposal:
    return read_versioned(
        await ExclusionProposalRepository(session).get(proposal_id, principal), response
    )


@router.post(
    "/exclusion-proposals/{proposal_id}/decision",
    response_model=ExclusionProposalOut,
    summary="Decide a pending proposal (If-Match): exclude the person (an adverse decision, "
    "which may be appealed: decision_id) or decline",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def decide(
    proposal_id: uuid.UUID,
    body: ProposalDecisionIn,
    session: SessionDep,
    principal: ReviewsCases,
    if_match: IfMatchDep,
    appeal_days: AppealDaysDep,
    response: Response,
) -> ExclusionProposal:
    proposal = await ExclusionProposalRepository(session).get(proposal_id, principal, lock=True)
    return await change_versioned(
        proposal,
        if_match,
        response,
        lambda proposal: exclusions.decide(
            session, proposal, body, principal=principal, appeal_days=appeal_days
        ),
    )
