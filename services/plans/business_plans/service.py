"""Business plans and their review. Functions flush, never commit: the request's session or the
event's unit of work commits.

    draft -> submitted -> in_review -> approved
                             |    \\-> rejected
                             v
         changes_requested -> submitted ...
    open states -> cancelled (enrolment cancelled); approved -> draft (reopened by monitoring);
    rejected -> draft (reopened by an upheld appeal)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.business_plans import messages as _messages  # noqa: F401  (registers message keys)
from plans.business_plans.models import (
    CENT,
    EDITABLE,
    OPEN,
    BusinessPlan,
    PlanItem,
    PlanStatus,
    PlanVersion,
)
from plans.business_plans.repository import PlanRepository
from plans.business_plans.schemas import (
    Check,
    DecisionIn,
    PlanContentIn,
    PlanItemIn,
    PlanItemOut,
    Projection,
    ReviewIn,
)
from plans.directions.models import Direction
from plans.filters import given
from plans.participants import service as participants
from plans.participants.models import Participant, ParticipantStatus
from plans.trainings.service.participants import has_completed_training
from shared.auth import Principal
from shared.db import utcnow
from shared.decisions import record_decision
from shared.events import (
    AssetItem,
    GrievanceResolved,
    MonthlyProjection,
    ParticipantEnrolled,
    PlanApproved,
    PlanOpened,
    PlansDecisionRecorded,
    PlanStateChanged,
    PlanSubmitted,
)
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, Forbidden, InvalidState, ValidationProblem

REQUIRED_SECTIONS = ("activity", "place", "market", "projections", "jobs_created")
# A rejection's reason when the reviewer gave no code.
UNCODED = "not_coded"
# The reason of a reopening an upheld appeal asked for, and a reversal that found nothing to undo.
APPEAL_UPHELD = "appeal_upheld"
NO_CHANGE = "no_change"


class _Item(Protocol):
    asset_type: str
    quantity: int
    unit_price: Decimal


# --- reading -------------------------------------------------------------------------------------


def plans_query(
    session: AsyncSession,
    principal: Principal,
    participant_id: uuid.UUID | None = None,
    status: PlanStatus | None = None,
) -> Select[BusinessPlan]:
    return PlanRepository(session).query(
        principal,
        *given((BusinessPlan.participant_id, participant_id), (BusinessPlan.status, status)),
    )


def versions_query(plan_id: uuid.UUID) -> Select[PlanVersion]:
    return select(PlanVersion).where(PlanVersion.plan_id == plan_id)


# --- events in -----------------------------------------------------------------------------------


async def open_plan_for(
    session: AsyncSession, enrolled: ParticipantEnrolled
) -> BusinessPlan | None:
    """A newly enrolled participant gets a draft business plan for their direction; a
    participant plans knows already gets nothing more."""
    if not await participants.add_participant(session, enrolled):
        return None
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


async def reopen_for_revision(
    session: AsyncSession, participant_id: uuid.UUID, reason: str
) -> list[BusinessPlan]:
    """Monitoring asks for a revision: the participant's approved plan goes back to draft. It is
    no longer approved, so the approval's who and when go; approving it again sets them anew."""
    plans = (
        await session.scalars(
            select(BusinessPlan).where(
                BusinessPlan.participant_id == participant_id,
                BusinessPlan.status == PlanStatus.approved,
            )
        )
    ).all()
    for plan in plans:
        plan.approved_by = None
        plan.approved_at = None
        await _change_state(session, plan, PlanStatus.draft, "reopened", reason)
    return list(plans)


async def cancel_open_plans(
    session: AsyncSession, participant_id: uuid.UUID, reason: str
) -> list[BusinessPlan]:
    """The enrolment was cancelled: plans not decided yet are cancelled with it."""
    participant = await session.get(Participant, participant_id)
    if participant is not None and participant.status != ParticipantStatus.cancelled:
        participant.status = ParticipantStatus.cancelled
        participant.cancel_reason = reason[:64]
        participant.cancelled_at = utcnow()
    plans = (
        await session.scalars(
            select(BusinessPlan).where(
                BusinessPlan.participant_id == participant_id, BusinessPlan.status.in_(OPEN)
            )
        )
    ).all()
    for plan in plans:
        await _change_state(session, plan, PlanStatus.cancelled, "cancelled", reason)
    return list(plans)


# --- the author's side ---------------------------------------------------------------------------


def _invalid(
    detail: str,
    *,
    params: dict[str, Any],
    errors: list[FieldError],
    extras: dict[str, Any] | None = None,
) -> ValidationProblem:
    """A 422 whose detail names the values at fault, with more of them as `extras`."""
    problem = ValidationProblem(errors, detail=detail)
    problem.params.update(params)
    problem.extras.update(extras or {})
    return problem


def _require(plan: BusinessPlan, *states: PlanStatus) -> None:
    if plan.status not in states:
        raise InvalidState(plan.status)


def _written_by(plan: BusinessPlan, principal: Principal) -> None:
    if principal.id not in plan.authors:
        plan.authors = [*plan.authors, principal.id]
    # Touching the row bumps the plan's version even when only items change, so that a stale
    # If-Match is refused.
    plan.updated_at = utcnow()


async def _direction_of(session: AsyncSession, direction_code: str) -> Direction:
    direction = await session.get(Direction, direction_code)
    if direction is None:
        raise _invalid(
            "detail.unknown-direction",
            params={"direction": direction_code},
            errors=[
                FieldError(
                    field="direction", code="unknown_direction", message="field.unknown-direction"
                )
            ],
        )
    return direction


async def check_items(
    session: AsyncSession, direction_code: str, items: Sequence[_Item], field_prefix: str
) -> None:
    """422 when an item is not in the direction's asset package, or the items cost more than
    the direction allows one participant."""
    direction = await _direction_of(session, direction_code)
    _check_package(direction, items, field_prefix)
    _check_ceiling(direction, items, field_prefix)


async def check_ceiling(
    session: AsyncSession, direction_code: str, items: Sequence[_Item], field_prefix: str
) -> None:
    _check_ceiling(await _direction_of(session, direction_code), items, field_prefix)


def _check_package(direction: Direction, items: Sequence[_Item], field_prefix: str) -> None:
    package = [entry["asset_type"] for entry in direction.asset_package]
    outside = [
        (index, item.asset_type)
        for index, item in enumerate(items)
        if item.asset_type not in package
    ]
    if not outside:
        return
    raise _invalid(
        "detail.asset-outside-package",
        params={
            "direction": direction.code,
            "asset_types": ", ".join(asset_type for _, asset_type in outside),
        },
        errors=[
            FieldError(
                field=f"{field_prefix}.{index}.asset_type",
                code="not_in_package",
                message="field.asset-outside-package",
            )
            for index, _ in outside
        ],
        extras={"package": package},
    )


def _check_ceiling(direction: Direction, items: Sequence[_Item], field_prefix: str) -> None:
    """422 when the requested assets cost more than the direction allows one participant."""
    totals = [(item.unit_price * item.quantity).quantize(CENT) for item in items]
    total = sum(totals, Decimal("0.00")).quantize(CENT)
    if total <= direction.ceiling:
        return
    names = ", ".join(f"{item.asset_type} {item.quantity} x {item.unit_price}" for item in items)
    raise _invalid(
        "detail.ceiling-exceeded",
        params={
            "total": total,
            "ceiling": direction.ceiling,
            "direction": direction.code,
            "items": names,
        },
        errors=[
            FieldError(
                field=f"{field_prefix}.{index}",
                code="ceiling_exceeded",
                message="field.ceiling-exceeded",
            )
            for index, item in enumerate(items)
        ],
        extras={
            "ceiling": str(direction.ceiling),
            "total": str(total),
            "items": [
                {"asset_type": item.asset_type, "total": str(line)}
                for item, line in zip(items, totals, strict=True)
            ],
        },
    )


async def replace_items(
    session: AsyncSession, plan: BusinessPlan, items: list[PlanItemIn], principal: Principal
) -> BusinessPlan:
    _require(plan, *EDITABLE)
    await check_items(session, plan.direction, items, "body.items")
    plan.items = [
        PlanItem(
            position=position,
            asset_type=item.asset_type,
            quantity=item.quantity,
            unit_price=item.unit_price,
        )
        for position, item in enumerate(items)
    ]
    _written_by(plan, principal)
    await session.flush()
    return plan


async def update_content(
    session: AsyncSession, plan: BusinessPlan, body: PlanContentIn, principal: Principal
) -> BusinessPlan:
    _require(plan, *EDITABLE)
    # JSON for the projections column (amounts as strings); the Decimal itself for the money one.
    changes = body.model_dump(
        mode="json", exclude_unset=True, exclude_none=True, exclude={"own_contribution"}
    )
    for name, value in changes.items():
        setattr(plan, name, value)
    if body.own_contribution is not None:
        plan.own_contribution = body.own_contribution
    _written_by(plan, principal)
    await session.flush()
    return plan


def _missing_sections(plan: BusinessPlan) -> list[FieldError]:
    missing = [name for name in REQUIRED_SECTIONS if getattr(plan, name) in (None, "", [])]
    if not plan.items:
        missing.append("items")
    return [
        FieldError(field=name, code="missing", message="field.section-required") for name in missing
    ]


def snapshot(plan: BusinessPlan) -> dict[str, Any]:
    """The plan as submitted, as JSON (amounts as strings)."""
    return {
        "direction": plan.direction,
        "activity": plan.activity,
        "place": plan.place,
        "market": plan.market,
        "projections": [
            Projection.model_validate(p).model_dump(mode="json") for p in plan.projections
        ],
        "jobs_created": plan.jobs_created,
        "own_contribution": None if plan.own_contribution is None else str(plan.own_contribution),
        "items": [PlanItemOut.model_validate(i).model_dump(mode="json") for i in plan.items],
        "total": str(plan.total),
    }


async def submit(session: AsyncSession, plan: BusinessPlan, principal: Principal) -> BusinessPlan:
    _require(plan, *EDITABLE)
    if missing := _missing_sections(plan):
        raise ValidationProblem(missing, detail="detail.plan-incomplete")
    await check_items(session, plan.direction, plan.items, "items")
    plan.revision += 1
    plan.status = PlanStatus.submitted
    plan.status_reason = None
    plan.submitted_by = principal.id
    _written_by(plan, principal)
    session.add(
        PlanVersion(
            plan_id=plan.id,
            number=plan.revision,
            content=snapshot(plan),
            submitted_by=principal.id,
            comments=[],
            checklist={},
        )
    )
    await session.flush()
    await add_event(
        session,
        PlanSubmitted(plan_id=plan.id, participant_id=plan.participant_id, total=plan.total),
    )
    return plan


# --- the reviewer's side -------------------------------------------------------------------------


def _not_author(plan: BusinessPlan, principal: Principal) -> None:
    if principal.id in plan.authors or principal.id == plan.submitted_by:
        raise Forbidden("detail.reviewer-is-author")


async def current_version(session: AsyncSession, plan: BusinessPlan) -> PlanVersion:
    version = await session.scalar(
        select(PlanVersion).where(
            PlanVersion.plan_id == plan.id, PlanVersion.number == plan.revision
        )
    )
    assert version is not None, "a submitted plan has its version"
    return version


async def _start_review(
    session: AsyncSession, plan: BusinessPlan, principal: Principal
) -> PlanVersion:
    """A reviewer's first act on a submitted plan puts it in review."""
    _require(plan, PlanStatus.submitted, PlanStatus.in_review)
    _not_author(plan, principal)
    plan.status = PlanStatus.in_review
    plan.updated_at = utcnow()
    return await current_version(session, plan)


def _comment(version: PlanVersion, section: str, comment: str, principal: Principal) -> None:
    at = utcnow().isoformat()
    # A new list, so that SQLAlchemy sees the JSONB column change.
    version.comments = [
        *version.comments,
        {"section": section, "comment": comment, "by": principal.id, "at": at},
    ]


async def review(
    session: AsyncSession, plan: BusinessPlan, body: ReviewIn, principal: Principal
) -> PlanVersion:
    version = await _start_review(session, plan, principal)
    for comment in body.comments:
        _comment(version, comment.section, comment.comment, principal)
    at = utcnow().isoformat()
    version.checklist = {
        **version.checklist,
        **{
            check.check.value: {
                "passed": check.passed,
                "note": check.note,
                "by": principal.id,
                "at": at,
            }
            for check in body.checklist
        },
    }
    await session.flush()
    return version


async def decide_against(
    session: AsyncSession,
    plan: BusinessPlan,
    body: DecisionIn,
    principal: Principal,
    status: PlanStatus,
) -> BusinessPlan:
    """The reviewer's decision against the plan as it is, with a comment: changes_requested
    (back to its author) or rejected."""
    version = await _start_review(session, plan, principal)
    _comment(version, body.section, body.comment, principal)
    await _change_state(session, plan, status, status.value, body.reason)
    return plan


async def reject(
    session: AsyncSession,
    plan: BusinessPlan,
    body: DecisionIn,
    principal: Principal,
    *,
    appeal_days: int,
) -> BusinessPlan:
    """Rejecting is a decision against the person: recorded, with its appeal period, at once."""
    await decide_against(session, plan, body, principal, PlanStatus.rejected)
    participant = await session.get(Participant, plan.participant_id)
    await record_decision(
        session,
        PlansDecisionRecorded,
        application_id=plan.participant_id,
        kind="plan_rejected",
        reason=body.reason or UNCODED,
        note=body.comment,
        decided_by=principal.id,
        ref_id=plan.id,
        partner_id=participant.partner_id if participant else None,
        appeal_days=appeal_days,
    )
    return plan


async def reopen_rejected(
    session: AsyncSession, decision: Row[Any], event: GrievanceResolved
) -> str:
    """An upheld appeal against a rejection: the plan goes back to draft for revision, as a
    revise_plan flag reopens an approved one."""
    plan = await session.get(BusinessPlan, decision.ref_id, with_for_update=True)
    if plan is None or plan.status != PlanStatus.rejected:
        return NO_CHANGE  # cancelled with its enrolment since: nothing left to reopen
    await _change_state(session, plan, PlanStatus.draft, "reopened", APPEAL_UPHELD)
    return "plan_reopened"


async def approve(
    session: AsyncSession, plan: BusinessPlan, principal: Principal, *, requires_training: bool
) -> BusinessPlan:
    _require(plan, PlanStatus.in_review)
    _not_author(plan, principal)
    version = await current_version(session, plan)
    failing = [c.value for c in Check if not version.checklist.get(c.value, {}).get("passed")]
    if failing:
        raise Conflict("detail.checklist-incomplete", extras={"failing_checks": failing})
    await check_ceiling(session, plan.direction, plan.items, "items")
    if requires_training and not await has_completed_training(
        session, plan.participant_id, plan.direction
    ):
        raise Conflict("detail.training-required")
    participant = await session.get(Participant, plan.participant_id)
    assert participant is not None
    plan.status = PlanStatus.approved
    plan.status_reason = None
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
            # Monitoring compares the income found at visits with what the plan expected.
            projections=[MonthlyProjection.model_validate(row) for row in plan.projections],
            # Assets pays from the budget linked to the participant's round, if there is one.
            round_id=participant.round_id,
        ),
    )
    return plan


async def _change_state(
    session: AsyncSession,
    plan: BusinessPlan,
    status: PlanStatus,
    event_state: str,
    reason: str | None,
) -> None:
    plan.status = status
    plan.status_reason = reason
    plan.updated_at = utcnow()
    await session.flush()
    await add_event(
        session,
        PlanStateChanged(
            plan_id=plan.id, participant_id=plan.participant_id, state=event_state, reason=reason
        ),
    )
