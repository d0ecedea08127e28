from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from plans.business_plans import service
from plans.business_plans.models import BusinessPlan
from plans.business_plans.schemas import BusinessPlanOut, PlanItemsIn
from shared.auth import Principal, Role, Scope, require
from shared.db import SessionDep
from shared.etag import IfMatchDep, check_if_match, set_etag
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/business-plans", tags=["business-plans"])

PLANS_READ = Scope.plans_read
PLANS_WRITE = Scope.plans_write

Reader = Annotated[
    Principal,
    Depends(
        require(
            Role.case_officer, Role.plan_reviewer, Role.analyst, scopes=(PLANS_READ, PLANS_WRITE)
        )
    ),
]
Writer = Annotated[Principal, Depends(require(Role.case_officer, scopes=(PLANS_WRITE,)))]
Reviewer = Annotated[Principal, Depends(require(Role.plan_reviewer))]


async def _change(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Principal,
    if_match: IfMatchDep,
    response: Response,
    change: Callable[[BusinessPlan], Awaitable[BusinessPlan]],
) -> BusinessPlan:
    """Load the plan, refuse a stale If-Match, apply `change`, answer with the new ETag."""
    plan = await service.get_plan(session, plan_id, principal)
    check_if_match(if_match, plan.version)
    plan = await change(plan)
    set_etag(response, plan.version)
    return plan


@router.get(
    "",
    response_model=Page[BusinessPlanOut],
    summary="Business plans, optionally of one participant",
    responses=problem_responses(401, 403, 422),
)
async def list_plans(
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    participant_id: uuid.UUID | None = None,
) -> Page[BusinessPlanOut]:
    return await paginate(
        session,
        service.plans_query(participant_id, principal),
        key_columns=(BusinessPlan.created_at, BusinessPlan.id),
        params=page,
        to_item=BusinessPlanOut.model_validate,
    )


@router.get(
    "/{plan_id}",
    response_model=BusinessPlanOut,
    summary="A business plan",
    responses=problem_responses(401, 403, 404),
)
async def get_plan(
    plan_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response
) -> BusinessPlan:
    plan = await service.get_plan(session, plan_id, principal)
    set_etag(response, plan.version)
    return plan


@router.put(
    "/{plan_id}/items",
    response_model=BusinessPlanOut,
    summary="Set the requested assets of a draft plan (If-Match required)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def put_items(
    plan_id: uuid.UUID,
    body: PlanItemsIn,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatchDep,
    response: Response,
) -> BusinessPlan:
    return await _change(
        plan_id,
        session,
        principal,
        if_match,
        response,
        lambda plan: service.replace_items(session, plan, body.items),
    )


@router.post(
    "/{plan_id}/submit",
    response_model=BusinessPlanOut,
    summary="Submit a draft plan for review (If-Match required)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def submit(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatchDep,
    response: Response,
) -> BusinessPlan:
    return await _change(
        plan_id,
        session,
        principal,
        if_match,
        response,
        lambda plan: service.submit(session, plan, principal),
    )


@router.post(
    "/{plan_id}/approve",
    response_model=BusinessPlanOut,
    summary="Approve a submitted plan; its assets go to the assets service (If-Match required)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def approve(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Reviewer,
    if_match: IfMatchDep,
    response: Response,
) -> BusinessPlan:
    return await _change(
        plan_id,
        session,
        principal,
        if_match,
        response,
        lambda plan: service.approve(session, plan, principal),
    )
