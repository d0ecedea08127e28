from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from plans.business_plans import service
from plans.business_plans.models import BusinessPlan, PlanStatus, PlanVersion
from plans.business_plans.pdf import render_plan
from plans.business_plans.schemas import (
    BusinessPlanOut,
    DecisionIn,
    PlanContentIn,
    PlanItemsIn,
    PlanVersionOut,
    ReviewIn,
)
from plans.directions.models import Direction
from plans.settings import PlansSettings
from shared.auth import Principal, Role, Scope, require
from shared.db import SessionDep, utcnow
from shared.etag import IfMatchDep, check_if_match, set_etag
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import InvalidState, problem_responses

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

CHANGE = problem_responses(401, 403, 404, 409, 412, 422, 428)


async def _change(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Principal,
    if_match: IfMatchDep,
    response: Response,
    change: Callable[[BusinessPlan], Awaitable[Any]],
) -> BusinessPlan:
    """Load the plan, refuse a stale If-Match, apply `change`, answer with the new ETag."""
    plan = await service.get_plan(session, plan_id, principal)
    check_if_match(if_match, plan.version)
    await change(plan)
    set_etag(response, plan.version)
    return plan


@router.get(
    "",
    response_model=Page[BusinessPlanOut],
    summary="Business plans, optionally of one participant or in one state",
    responses=problem_responses(401, 403, 422),
)
async def list_plans(
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    participant_id: uuid.UUID | None = None,
    status: PlanStatus | None = None,
) -> Page[BusinessPlanOut]:
    return await paginate(
        session,
        service.plans_query(participant_id, principal, status),
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


@router.patch(
    "/{plan_id}",
    response_model=BusinessPlanOut,
    summary="Write the plan: activity, place, market, 12 months' income and costs, jobs, own "
    "contribution (draft or changes requested; If-Match)",
    responses=CHANGE,
)
async def update_content(
    plan_id: uuid.UUID,
    body: PlanContentIn,
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
        lambda plan: service.update_content(session, plan, body, principal),
    )


@router.put(
    "/{plan_id}/items",
    response_model=BusinessPlanOut,
    summary="Set the requested assets: types of the direction's asset package, within its "
    "ceiling (If-Match)",
    responses=CHANGE,
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
        lambda plan: service.replace_items(session, plan, body.items, principal),
    )


@router.post(
    "/{plan_id}/submit",
    response_model=BusinessPlanOut,
    summary="Submit a complete plan for review; keeps a version (If-Match)",
    responses=CHANGE,
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
    "/{plan_id}/review",
    response_model=BusinessPlanOut,
    summary="Record comments per section and checklist results; starts the review (If-Match)",
    responses=CHANGE,
)
async def review(
    plan_id: uuid.UUID,
    body: ReviewIn,
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
        lambda plan: service.review(session, plan, body, principal),
    )


@router.post(
    "/{plan_id}/request-changes",
    response_model=BusinessPlanOut,
    summary="Send the plan back to its author with a comment (If-Match)",
    responses=CHANGE,
)
async def request_changes(
    plan_id: uuid.UUID,
    body: DecisionIn,
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
        lambda plan: service.request_changes(session, plan, body, principal),
    )


@router.post(
    "/{plan_id}/reject",
    response_model=BusinessPlanOut,
    summary="Reject the plan, with a comment (If-Match)",
    responses=CHANGE,
)
async def reject(
    plan_id: uuid.UUID,
    body: DecisionIn,
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
        lambda plan: service.reject(session, plan, body, principal),
    )


@router.post(
    "/{plan_id}/approve",
    response_model=BusinessPlanOut,
    summary="Approve a plan in review whose checklist passed; its assets go to the assets "
    "service (If-Match)",
    responses=CHANGE,
)
async def approve(
    plan_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reviewer,
    if_match: IfMatchDep,
    response: Response,
) -> BusinessPlan:
    settings: PlansSettings = request.app.state.settings
    return await _change(
        plan_id,
        session,
        principal,
        if_match,
        response,
        lambda plan: service.approve(
            session, plan, principal, requires_training=settings.approval_requires_training
        ),
    )


@router.get(
    "/{plan_id}/versions",
    response_model=Page[PlanVersionOut],
    summary="The submitted versions of a plan, with the reviewer's comments and checks",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_versions(
    plan_id: uuid.UUID, session: SessionDep, principal: Reader, page: PageParamsDep
) -> Page[PlanVersionOut]:
    await service.get_plan(session, plan_id, principal)
    return await paginate(
        session,
        service.versions_query(plan_id),
        key_columns=(PlanVersion.number, PlanVersion.id),
        params=page,
        to_item=PlanVersionOut.model_validate,
    )


@router.get(
    "/{plan_id}/pdf",
    response_class=Response,
    summary="An approved plan as a PDF in Azerbaijani, for the participant's signature",
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(401, 403, 404, 409),
    },
)
async def plan_pdf(plan_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    plan = await service.get_plan(session, plan_id, principal)
    if plan.status != PlanStatus.approved:
        raise InvalidState(plan.status)
    direction = await session.get(Direction, plan.direction)
    content = await run_in_threadpool(render_plan, plan, direction, utcnow().date())
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="business-plan-{plan.id}.pdf"'},
    )
