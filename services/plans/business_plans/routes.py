from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from plans.access import ReadsPlans, ReviewsPlans, WritesPlans
from plans.business_plans import service
from plans.business_plans.models import BusinessPlan, PlanStatus, PlanVersion
from plans.business_plans.pdf import render_plan
from plans.business_plans.repository import PlanRepository
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
from shared.auth import Principal
from shared.db import SessionDep, utcnow
from shared.decisions import DECISIONS, DecisionOut, decisions_page
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.i18n import LanguageDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import InvalidState, problem_responses

router = APIRouter(prefix="/v1/business-plans", tags=["business-plans"])


@router.get(
    "",
    response_model=Page[BusinessPlanOut],
    summary="Business plans, optionally of one participant or in one state",
    responses=problem_responses(401, 403, 422),
)
async def list_plans(
    session: SessionDep,
    principal: ReadsPlans,
    page: PageParamsDep,
    participant_id: uuid.UUID | None = None,
    status: PlanStatus | None = None,
) -> Page[BusinessPlanOut]:
    return await paginate(
        session,
        service.plans_query(session, principal, participant_id, status),
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
    plan_id: uuid.UUID, session: SessionDep, principal: ReadsPlans, response: Response
) -> BusinessPlan:
    plan = await PlanRepository(session).get(plan_id, principal)
    return read_versioned(plan, response)


# --- changes: the author's and the reviewer's, each one row of a table ---------------------------


@dataclass(frozen=True)
class Change:
    """What a change is applied with: the plan (loaded for the caller) and the request's context."""

    session: AsyncSession
    plan: BusinessPlan
    principal: Principal
    settings: PlansSettings


@dataclass(frozen=True)
class ChangeRoute:
    """A route that loads the plan, refuses a stale If-Match, applies `apply` and answers the
    plan with its new ETag."""

    name: str  # the operation's name, as in its OpenAPI operationId
    method: str
    path: str
    summary: str
    allowed: Any  # the access dependency: WritesPlans or ReviewsPlans
    body: type[BaseModel] | None
    apply: Callable[[Change, Any], Awaitable[object]]


CHANGES = (
    ChangeRoute(
        "update_content",
        "PATCH",
        "/{plan_id}",
        "Write the plan: activity, place, market, 12 months' income and costs, jobs, own "
        "contribution (draft or changes requested; If-Match)",
        WritesPlans,
        PlanContentIn,
        lambda c, body: service.update_content(c.session, c.plan, body, c.principal),
    ),
    ChangeRoute(
        "put_items",
        "PUT",
        "/{plan_id}/items",
        "Set the requested assets: types of the direction's asset package, within its "
        "ceiling (If-Match)",
        WritesPlans,
        PlanItemsIn,
        lambda c, body: service.replace_items(c.session, c.plan, body.items, c.principal),
    ),
    ChangeRoute(
        "submit",
        "POST",
        "/{plan_id}/submit",
        "Submit a complete plan for review; keeps a version (If-Match)",
        WritesPlans,
        None,
        lambda c, _: service.submit(c.session, c.plan, c.principal),
    ),
    ChangeRoute(
        "review",
        "POST",
        "/{plan_id}/review",
        "Record comments per section and checklist results; starts the review (If-Match)",
        ReviewsPlans,
        ReviewIn,
        lambda c, body: service.review(c.session, c.plan, body, c.principal),
    ),
    ChangeRoute(
        "request_changes",
        "POST",
        "/{plan_id}/request-changes",
        "Send the plan back to its author with a comment (If-Match)",
        ReviewsPlans,
        DecisionIn,
        lambda c, body: service.decide_against(
            c.session, c.plan, body, c.principal, PlanStatus.changes_requested
        ),
    ),
    ChangeRoute(
        "reject",
        "POST",
        "/{plan_id}/reject",
        "Reject the plan, with a comment (If-Match); an adverse decision the participant may "
        "appeal (see /decisions)",
        ReviewsPlans,
        DecisionIn,
        lambda c, body: service.reject(
            c.session, c.plan, body, c.principal, appeal_days=c.settings.appeal_days
        ),
    ),
    ChangeRoute(
        "approve",
        "POST",
        "/{plan_id}/approve",
        "Approve a plan in review whose checklist passed; its assets go to the assets "
        "service (If-Match)",
        ReviewsPlans,
        None,
        lambda c, _: service.approve(
            c.session,
            c.plan,
            c.principal,
            requires_training=c.settings.approval_requires_training,
        ),
    ),
)


def _add_change_route(change: ChangeRoute) -> None:
    async def route(
        plan_id: uuid.UUID,
        request: Request,
        session: AsyncSession,
        principal: Principal,
        if_match: Any,
        response: Response,
        body: BaseModel | None = None,
    ) -> BusinessPlan:
        plan = await PlanRepository(session).get(plan_id, principal)
        context = Change(session, plan, principal, request.app.state.settings)
        return await change_versioned(
            plan, if_match, response, lambda _: change.apply(context, body)
        )

    # FastAPI reads what a route takes from its signature: here this row's caller and body.
    parameters = {
        "plan_id": uuid.UUID,
        **({"body": change.body} if change.body is not None else {}),
        "request": Request,
        "session": SessionDep,
        "principal": change.allowed,
        "if_match": IfMatchDep,
        "response": Response,
    }
    route.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
            for name, annotation in parameters.items()
        ],
        return_annotation=BusinessPlan,
    )
    router.add_api_route(
        change.path,
        route,
        methods=[change.method],
        name=change.name,
        response_model=BusinessPlanOut,
        summary=change.summary,
        responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
    )


for _change in CHANGES:
    _add_change_route(_change)


# --- reading what a plan became ------------------------------------------------------------------


@router.get(
    "/{plan_id}/versions",
    response_model=Page[PlanVersionOut],
    summary="The submitted versions of a plan, with the reviewer's comments and checks",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_versions(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsPlans,
    page: PageParamsDep,
    language: LanguageDep,
) -> Page[PlanVersionOut]:
    await PlanRepository(session).get(plan_id, principal)
    return await paginate(
        session,
        service.versions_query(plan_id),
        key_columns=(PlanVersion.number, PlanVersion.id),
        params=page,
        to_item=PlanVersionOut.model_validate,
    )


@router.get(
    "/{plan_id}/decisions",
    response_model=Page[DecisionOut],
    summary="The adverse decisions made on a plan (its rejection), with how to appeal them",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_decisions(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsPlans,
    page: PageParamsDep,
    language: LanguageDep,
) -> Page[DecisionOut]:
    await PlanRepository(session).get(plan_id, principal)
    return await decisions_page(session, DECISIONS.c.ref_id == plan_id, page, language)


@router.get(
    "/{plan_id}/pdf",
    response_class=Response,
    summary="An approved plan as a PDF in Azerbaijani, for the participant's signature",
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(401, 403, 404, 409),
    },
)
async def plan_pdf(plan_id: uuid.UUID, session: SessionDep, principal: ReadsPlans) -> Response:
    plan = await PlanRepository(session).get(plan_id, principal)
    if plan.status != PlanStatus.approved:
        raise InvalidState(plan.status)
    direction = await session.get(Direction, plan.direction)
    content = await run_in_threadpool(render_plan, plan, direction, utcnow().date())
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="business-plan-{plan.id}.pdf"'},
    )
