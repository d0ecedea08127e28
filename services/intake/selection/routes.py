from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from intake.dependencies import AppealDaysDep, ReadsSelections
from intake.rounds.repository import RoundRepository
from intake.selection import service as selections
from intake.selection.models import Outcome, Selection, SelectionResult, SelectionStatus
from intake.selection.runner import SelectionRunner
from intake.selection.schemas import SelectionOut, SelectionResultOut
from shared.app import runtime_of
from shared.auth import Admin, Principal
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, etag_headers, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.ratelimit import RateLimit
from shared.regions import RegionFilter

router = APIRouter(prefix="/v1", tags=["selection"])


@router.post(
    "/rounds/{round_id}/selections",
    status_code=202,
    response_model=SelectionOut,
    summary="Run the selection of a closed round: a job resource (Location), computed in the "
    "background into results to review before commit",
    responses=problem_responses(401, 403, 404, 409, 429),
    dependencies=[Depends(RateLimit("rate_limit_selections"))],
)
async def request_selection(
    round_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Admin,
    idem: IdempotencyDep,
    background: BackgroundTasks,
) -> Response:
    async def create() -> Selection:
        round_ = await RoundRepository(session).get(round_id, principal)
        return await selections.request_selection(session, round_, principal)

    runner = runtime_of(request).get(SelectionRunner)
    background.add_task(runner.wake)  # after the response, so after the commit

    return await idem.respond(
        create,
        read=lambda ref: selections.get_selection(session, uuid.UUID(ref)),
        status_code=202,
        response_model=SelectionOut,
        headers=lambda out: {
            **etag_headers(out.version),
            "Location": f"/v1/selections/{out.id}",
        },
    )


@router.get(
    "/rounds/{round_id}/selections",
    response_model=Page[SelectionOut],
    summary="A round's selection jobs, newest first",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_selections(
    round_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsSelections,
    page: PageParamsDep,
    status: Annotated[SelectionStatus | None, Query()] = None,
) -> Page[SelectionOut]:
    await RoundRepository(session).get(round_id, principal)
    return await paginate(
        session,
        selections.selections_query(round_id, status),
        key_columns=(Selection.created_at, Selection.id),
        params=page,
        to_item=SelectionOut.model_validate,
        descending=True,
    )


@router.get(
    "/selections/{selection_id}",
    response_model=SelectionOut,
    summary="A selection job: its status and progress",
    responses=problem_responses(401, 403, 404),
)
async def get_selection(
    selection_id: uuid.UUID, session: SessionDep, principal: ReadsSelections, response: Response
) -> Selection:
    return read_versioned(await selections.get_selection(session, selection_id), response)


@router.get(
    "/selections/{selection_id}/results",
    response_model=Page[SelectionResultOut],
    summary="A selection's results by region and rank (proposed or committed selections)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def list_results(
    selection_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsSelections,
    page: PageParamsDep,
    region: RegionFilter = None,
    outcome: Annotated[Outcome | None, Query()] = None,
) -> Page[SelectionResultOut]:
    selection = await selections.get_selection(session, selection_id)
    return await paginate(
        session,
        selections.results_query(selection, region, outcome),
        key_columns=(SelectionResult.region, SelectionResult.rank),
        params=page,
        to_item=SelectionResultOut.model_validate,
    )


Decide = Callable[[AsyncSession, Selection, Principal, int], Awaitable[Selection]]
"""An admin's decision on a selection: the session, the selection, who decides, appeal days."""


def _add_decision(action: str, decide: Decide, summary: str) -> None:
    """POST /selections/{selection_id}/<action>: the admin's decision on a selection."""

    async def decision(
        selection_id: uuid.UUID,
        session: SessionDep,
        principal: Admin,
        if_match: IfMatchDep,
        appeal_days: AppealDaysDep,
        response: Response,
    ) -> Selection:
        selection = await selections.get_selection(session, selection_id)
        return await change_versioned(
            selection,
            if_match,
            response,
            lambda selection: decide(session, selection, principal, appeal_days),
        )

    router.add_api_route(
        f"/selections/{{selection_id}}/{action}",
        decision,
        methods=["POST"],
        name=f"{action}_selection",
        response_model=SelectionOut,
        summary=summary,
        responses=problem_responses(401, 403, 404, 409, 412, 428),
    )


_add_decision(
    "commit",
    lambda session, selection, principal, appeal_days: selections.commit(
        session, selection, decided_by=principal.id, appeal_days=appeal_days
    ),
    "Commit a proposed selection (If-Match): enrolls the selected, waitlists the rest; "
    "409 when the round's applications changed since it ran",
)
_add_decision(
    "discard",
    lambda session, selection, principal, appeal_days: selections.discard(session, selection),
    "Discard a queued, proposed or failed selection (If-Match)",
)
