"""Plans' rules. Functions flush, never commit: the request's session or the event's unit of work
commits."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.business_plans.models import BusinessPlan, PlanItem, PlanStatus
from plans.business_plans.schemas import PlanItemIn
from plans.participants.models import Participant
from shared.auth import Principal
from shared.db import utcnow
from shared.events import AssetItem, ParticipantEnrolled, PlanApproved, PlanOpened, PlanSubmitted
from shared.messaging.outbox import add_event
from shared.problems import Forbidden, InvalidState, NotFound


async def open_plan_for(session: AsyncSession, enrolled: ParticipantEnrolled) -> BusinessPlan:
    """A newly enrolled participant gets a draft business plan for their direction."""
    session.add(
        Participant(
            id=enrolled.participant_id,
            applicant_id=enrolled.applicant_id,
            region=enrolled.region,
            categories=enrolled.categories,
            direction=enrolled.direction,
            partner_id=enrolled.partner_id,
            enrolled_at=enrolled.enrolled_at,
        )
    )
    await session.flush()
    plan = BusinessPlan(
        participant_id=enrolled.participant_id, direction=enrolled.direction, items=[]
    )
    session.add(plan)
    await session.flush()
    await add_event(
        session,
        PlanOpened(plan_id=plan.id, participant_id=plan.participant_id, direction=plan.direction),
    )
    return plan


async def get_plan(session: AsyncSession, plan_id: uuid.UUID, principal: Principal) -> BusinessPlan:
    plan = await session.get(BusinessPlan, plan_id)
    if plan is None or not await _visible(session, plan, principal):
        raise NotFound("business-plan", plan_id)
    return plan


async def _visible(session: AsyncSession, plan: BusinessPlan, principal: Principal) -> bool:
    if principal.partner_id is None:
        return True
    participant = await session.get(Participant, plan.participant_id)
    return participant is not None and participant.partner_id == principal.partner_id


def plans_query(participant_id: uuid.UUID | None, principal: Principal) -> Select[BusinessPlan]:
    query = select(BusinessPlan)
    if participant_id is not None:
        query = query.where(BusinessPlan.participant_id == participant_id)
    if principal.partner_id is not None:
        query = query.join(Participant).where(Participant.partner_id == principal.partner_id)
    return query


async def replace_items(
    session: AsyncSession, plan: BusinessPlan, items: list[PlanItemIn]
) -> BusinessPlan:
    if plan.status != PlanStatus.draft:
        raise InvalidState(plan.status)
    plan.items = [
        PlanItem(
            position=position,
            asset_type=item.asset_type,
            quantity=item.quantity,
            unit_price=item.unit_price,
        )
        for position, item in enumerate(items)
    ]
    # Replacing the items must still bump the plan's version, so a stale If-Match is refused.
    plan.updated_at = utcnow()
    await session.flush()
    return plan


async def submit(session: AsyncSession, plan: BusinessPlan, principal: Principal) -> BusinessPlan:
    if plan.status != PlanStatus.draft:
        raise InvalidState(plan.status)
    if not plan.items:
        raise InvalidState(plan.status, "detail.plan-has-no-items")
    plan.status = PlanStatus.submitted
    plan.submitted_by = principal.id
    await session.flush()
    await add_event(
        session,
        PlanSubmitted(plan_id=plan.id, participant_id=plan.participant_id, total=plan.total),
    )
    return plan


async def approve(session: AsyncSession, plan: BusinessPlan, principal: Principal) -> BusinessPlan:
    if plan.status != PlanStatus.submitted:
        raise InvalidState(plan.status)
    if plan.submitted_by == principal.id:
        raise Forbidden("detail.reviewer-is-author")
    participant = await session.get(Participant, plan.participant_id)
    assert participant is not None
    plan.status = PlanStatus.approved
    plan.approved_by = principal.id
    plan.approved_at = utcnow()
    await session.flush()
    await add_event(
        session,
        PlanApproved(
            plan_id=plan.id,
            participant_id=plan.participant_id,
            region=participant.region,
            direction=plan.direction,
            partner_id=participant.partner_id,
            items=[
                AssetItem(
                    asset_type=item.asset_type,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    total=item.total,
                )
                for item in plan.items
            ],
            total=plan.total,
            approved_at=plan.approved_at,
        ),
    )
    return plan
