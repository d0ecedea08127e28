from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from intake.applications.reassessment import reassess_round
from intake.dependencies import AppealDaysDep, ReadsReferrals
from intake.rounds import service as rounds
from intake.rounds.models import Round, RoundStatus
from intake.rounds.repository import RoundRepository
from intake.rounds.schemas import RoundIn, RoundOut, RoundUpdate
from shared.auth import Admin
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.routes import RESPONSE_ID, links

router = APIRouter(prefix="/v1", tags=["rounds"])


@router.post(
    "/rounds",
    status_code=201,
    response_model=RoundOut,
    summary="Create a round (draft) with its quotas, eligibility rules and priority weights",
    responses=problem_responses(401, 403, 422),
    openapi_extra=links(
        "GET /v1/rounds/{round_id}",
        "PATCH /v1/rounds/{round_id}",
        "POST /v1/rounds/{round_id}/selections",
        round_id=RESPONSE_ID,
    ),
)
async def create_round(
    body: RoundIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    return await idem.create(
        lambda: rounds.create_round(session, body),
        read=lambda round_id: RoundRepository(session).get(round_id, principal),
        response_model=RoundOut,
        location="/v1/rounds/{id}",
    )


@router.get(
    "/rounds",
    response_model=Page[RoundOut],
    summary="List rounds, newest first",
    responses=problem_responses(401, 403, 422),
)
async def list_rounds(
    session: SessionDep,
    principal: ReadsReferrals,
    page: PageParamsDep,
    status: Annotated[RoundStatus | None, Query(description="Only rounds in this state")] = None,
) -> Page[RoundOut]:
    in_status = () if status is None else (Round.status == status,)
    return await paginate(
        session,
        RoundRepository(session).query(principal, *in_status),
        key_columns=(Round.created_at, Round.id),
        params=page,
        to_item=RoundOut.model_validate,
        descending=True,
    )


@router.get(
    "/rounds/{round_id}",
    response_model=RoundOut,
    summary="A round",
    responses=problem_responses(401, 403, 404),
    openapi_extra=links(
        "PATCH /v1/rounds/{round_id}",
        status=200,
        if_match=True,
        round_id="$request.path.round_id",
    ),
)
async def get_round(
    round_id: uuid.UUID, session: SessionDep, principal: ReadsReferrals, response: Response
) -> Round:
    return read_versioned(await RoundRepository(session).get(round_id, principal), response)


@router.patch(
    "/rounds/{round_id}",
    response_model=RoundOut,
    summary="Change a round (If-Match); rules, weights and priority categories while in draft "
    "or open (re-assessing its submitted applications), the period only in draft",
    description="Changing the rules or weights of an open round re-assesses, in the same "
    "transaction, every application of the round that is eligible or ineligible (not yet "
    "selected, waitlisted or enrolled), exactly as at submission; `intake.application.assessed` "
    "is emitted for each application whose eligibility, failed rules or score changed, and each "
    "one now not eligible is recorded as an adverse decision. The round "
    "records who made the change and when (`rules_changed_by`, `rules_changed_at`). A closed or "
    "selected round answers 409.",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_round(
    round_id: uuid.UUID,
    body: RoundUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
    appeal_days: AppealDaysDep,
) -> Round:
    async def change(round_: Round) -> None:
        await rounds.update_round(session, round_, body, principal)
        if round_.status == RoundStatus.open and body.model_fields_set & {"rules", "weights"}:
            await reassess_round(session, round_, appeal_days=appeal_days)

    round_ = await RoundRepository(session).get(round_id, principal)
    return await change_versioned(round_, if_match, response, change)


def _add_transition(action: str, summary: str) -> None:
    """POST /rounds/{round_id}/<action>: one route per entry of rounds' transitions."""

    async def transition(
        round_id: uuid.UUID,
        session: SessionDep,
        principal: Admin,
        if_match: IfMatchDep,
        response: Response,
    ) -> Round:
        round_ = await RoundRepository(session).get(round_id, principal)
        return await change_versioned(
            round_, if_match, response, lambda round_: rounds.transition(session, round_, action)
        )

    router.add_api_route(
        f"/rounds/{{round_id}}/{action}",
        transition,
        methods=["POST"],
        name=f"{action}_round",
        response_model=RoundOut,
        summary=summary,
        responses=problem_responses(401, 403, 404, 409, 412, 428),
    )


_add_transition(
    "open", "Open a draft round for applications (If-Match); 409 names the current state"
)
_add_transition(
    "close", "Close an open round to applications (If-Match); 409 names the current state"
)
