"""Projections: how each event lands in the read models. They run in the consumer's transaction,
and again, into empty tables, when the read models are rebuilt from the streams.

Each is an upsert that sets only the columns its event knows, written so that the result does not
depend on the order in which events arrive, nor on how often: a stage's time is the first one
(LEAST), a value that can change is kept with the time of the event that set it and only a later
event replaces it, an order's status only moves forward, and sums are computed again from the rows
they add up (so a delivery applied twice is counted once). Events of different producers do arrive
in any order, and a rebuild may overlap the live consumers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.readmodels.models import (
    ApplicationFact,
    BudgetFact,
    Decision,
    DeliveryFact,
    OrderFact,
    TimelineEntry,
    TrainingFact,
    VisitFact,
)
from shared.events import (
    EVENT_TYPES,
    ApplicantMerged,
    ApplicationAssessed,
    ApplicationSelected,
    ApplicationSubmitted,
    BudgetChanged,
    CaseClosed,
    DeliveryCompleted,
    EnrollmentCancelled,
    Envelope,
    Event,
    OrderAwaitingBudget,
    OrderCancelled,
    OrderOpened,
    OrderPlaced,
    OrderReserved,
    ParticipantEnrolled,
    PlanApproved,
    TrainingCompleted,
    VisitReported,
)
from shared.events.catalog import _DecisionRecorded, _DecisionReversed
from shared.messaging.consumer import Handler

# The who of an application that submission and enrolment both carry; enrolment's win.
_IDENTITY = ("applicant_id", "round_id", "region", "partner_id", "sex", "age_band")

# An order's statuses in the order they are reached; a status never moves backwards.
ORDER_STATUS_RANK = {
    "open": 0,
    "awaiting_budget": 1,
    "reserved": 2,
    "ordered": 3,
    "delivered": 4,
    "cancelled": 5,
}


async def record_on_timeline(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Every lifecycle event is about a participant (its CloudEvents subject)."""
    if envelope.subject is None:
        return
    await session.execute(
        insert(TimelineEntry)
        .values(
            participant_id=uuid.UUID(envelope.subject),
            event_id=envelope.id,
            event_type=envelope.type,
            occurred_at=envelope.time,
            facts=envelope.data,
        )
        .on_conflict_do_nothing(index_elements=[TimelineEntry.event_id])
    )


def _later(new: SQLColumnExpression[Any], kept: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    """The incoming event is at least as recent as the one whose value the row keeps."""
    return or_(kept.is_(None), new >= kept)


def _application(application_id: uuid.UUID, **values: Any) -> Insert:
    values.setdefault("categories", [])
    return insert(ApplicationFact).values(application_id=application_id, **values)


async def _upsert_latest(session: AsyncSession, statement: Insert, column: str, at: str) -> None:
    """An application's `column`, kept with the time `at` of the event that set it: only an
    event at least as recent replaces it."""
    new = statement.excluded
    kept_at = getattr(ApplicationFact, at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={
                column: case(
                    (_later(new[at], kept_at), new[column]),
                    else_=getattr(ApplicationFact, column),
                ),
                at: func.greatest(kept_at, new[at]),
            },
        )
    )


# --- intake -------------------------------------------------------------------------------------


async def application_submitted(
    session: AsyncSession, event: ApplicationSubmitted, envelope: Envelope
) -> None:
    statement = _application(
        event.application_id,
        **{name: getattr(event, name) for name in _IDENTITY},
        categories=event.categories,
        direction=event.direction,
        source=event.source,
        applied_at=event.submitted_at,
    )
    new = statement.excluded
    enrolled = ApplicationFact.enrolled_at.is_not(None)
    # Once the enrolment is in, its values stay; the submission only fills what it left empty.
    keep = {
        name: case(
            (enrolled, func.coalesce(getattr(ApplicationFact, name), getattr(new, name))),
            else_=func.coalesce(getattr(new, name), getattr(ApplicationFact, name)),
        )
        for name in _IDENTITY
    }
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={
                **keep,
                "categories": case((enrolled, ApplicationFact.categories), else_=new.categories),
                "direction": case(
                    (ApplicationFact.plan_last_approved_at.is_not(None), ApplicationFact.direction),
                    (enrolled, func.coalesce(ApplicationFact.direction, new.direction)),
                    else_=func.coalesce(new.direction, ApplicationFact.direction),
                ),
                "source": func.coalesce(new.source, ApplicationFact.source),
                "applied_at": func.least(ApplicationFact.applied_at, new.applied_at),
            },
        )
    )


async def participant_enrolled(
    session: AsyncSession, event: ParticipantEnrolled, envelope: Envelope
) -> None:
    statement = _application(
        event.participant_id,
        **{name: getattr(event, name) for name in _IDENTITY},
        categories=event.categories,
        direction=event.direction,
        enrolled_at=event.enrolled_at,
    )
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={
                **{
                    name: func.coalesce(getattr(new, name), getattr(ApplicationFact, name))
                    for name in _IDENTITY
                },
                "categories": new.categories,
                # The approved plan's direction wins over the one chosen at enrolment.
                "direction": case(
                    (ApplicationFact.plan_last_approved_at.is_not(None), ApplicationFact.direction),
                    else_=func.coalesce(new.direction, ApplicationFact.direction),
                ),
                "enrolled_at": func.least(ApplicationFact.enrolled_at, new.enrolled_at),
            },
        )
    )


async def application_assessed(
    session: AsyncSession, event: ApplicationAssessed, envelope: Envelope
) -> None:
    """A re-assessment replaces the verdict; an older one arriving late does not."""
    statement = _application(
        event.application_id, eligible=event.eligible, assessed_at=envelope.time
    )
    await _upsert_latest(session, statement, "eligible", at="assessed_at")


async def application_selected(
    session: AsyncSession, event: ApplicationSelected, envelope: Envelope
) -> None:
    """Selected: the stage is reached (a waitlisted one may be selected later, when a place is
    freed). Waitlisted: not a stage of the funnel."""
    if event.outcome != "selected":
        return
    statement = _application(event.application_id, selected_at=envelope.time)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={
                "selected_at": func.least(
                    ApplicationFact.selected_at, statement.excluded.selected_at
                )
            },
        )
    )


async def enrollment_cancelled(
    session: AsyncSession, event: EnrollmentCancelled, envelope: Envelope
) -> None:
    statement = _application(event.participant_id, enrollment_cancelled_at=envelope.time)
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={
                "enrollment_cancelled_at": func.least(
                    ApplicationFact.enrollment_cancelled_at, new.enrollment_cancelled_at
                )
            },
        )
    )


async def applicant_merged(
    session: AsyncSession, event: ApplicantMerged, envelope: Envelope
) -> None:
    """The moved applications now count for the kept applicant. Setting the same id again is a
    no-op, so a redelivery changes nothing; an application not seen yet gets its row, which its
    own events fill in later."""
    if not event.moved_application_ids:
        return
    statement = insert(ApplicationFact).values(
        [
            {"application_id": id_, "applicant_id": event.kept_applicant_id, "categories": []}
            for id_ in event.moved_application_ids
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={"applicant_id": statement.excluded.applicant_id},
        )
    )


# --- plans --------------------------------------------------------------------------------------


async def plan_approved(session: AsyncSession, event: PlanApproved, envelope: Envelope) -> None:
    """The first approval is the funnel's stage; the latest one's total and direction are kept
    (a plan reopened after a visit is approved again)."""
    statement = _application(
        event.participant_id,
        plan_approved_at=event.approved_at,
        plan_last_approved_at=event.approved_at,
        plan_total=event.total,
        direction=event.direction,
    )
    new = statement.excluded
    latest = _later(new.plan_last_approved_at, ApplicationFact.plan_last_approved_at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={
                "plan_approved_at": func.least(
                    ApplicationFact.plan_approved_at, new.plan_approved_at
                ),
                "plan_last_approved_at": func.greatest(
                    ApplicationFact.plan_last_approved_at, new.plan_last_approved_at
                ),
                "plan_total": case((latest, new.plan_total), else_=ApplicationFact.plan_total),
                "direction": case((latest, new.direction), else_=ApplicationFact.direction),
            },
        )
    )


async def training_completed(
    session: AsyncSession, event: TrainingCompleted, envelope: Envelope
) -> None:
    await session.execute(
        insert(TrainingFact)
        .values(
            participant_id=event.participant_id,
            session_id=event.session_id,
            course_id=event.course_id,
            direction=event.direction,
            run_by_partner_id=event.run_by_partner_id,
            completed_on=event.completed_on,
        )
        .on_conflict_do_nothing(
            index_elements=[TrainingFact.participant_id, TrainingFact.session_id]
        )
    )


# --- assets -------------------------------------------------------------------------------------


# The events that name an order with its plan and participant (OrderPlaced names no plan).
_OrderEvent = OrderOpened | OrderAwaitingBudget | OrderReserved | OrderCancelled | DeliveryCompleted


def _order(event: _OrderEvent, status: str | None, **values: Any) -> Insert:
    return insert(OrderFact).values(
        order_id=event.order_id,
        participant_id=event.participant_id,
        plan_id=event.plan_id,
        status=status,
        **values,
    )


def _rank(status: SQLColumnExpression[Any]) -> ColumnElement[int]:
    return case(ORDER_STATUS_RANK, value=status, else_=-1)


def _order_set(statement: Insert, **columns: Any) -> dict[str, Any]:
    """What every order event sets: the ids it knows, and the status if it is further on."""
    new = statement.excluded
    return {
        "participant_id": func.coalesce(OrderFact.participant_id, new.participant_id),
        "plan_id": func.coalesce(OrderFact.plan_id, new.plan_id),
        "status": case(
            (_rank(new.status) > _rank(OrderFact.status), new.status), else_=OrderFact.status
        ),
        **columns,
    }


async def _upsert_order(session: AsyncSession, statement: Insert, **columns: Any) -> None:
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[OrderFact.order_id], set_=_order_set(statement, **columns)
        )
    )


async def order_opened(session: AsyncSession, event: OrderOpened, envelope: Envelope) -> None:
    statement = _order(event, "open", total=event.total)
    await _upsert_order(session, statement, total=statement.excluded.total)


async def order_awaiting_budget(
    session: AsyncSession, event: OrderAwaitingBudget, envelope: Envelope
) -> None:
    statement = _order(event, "awaiting_budget", fund_id=event.fund_id, budget_id=event.budget_id)
    new = statement.excluded
    # A reservation's fund and budget win; waiting only fills them in.
    await _upsert_order(
        session,
        statement,
        fund_id=func.coalesce(OrderFact.fund_id, new.fund_id),
        budget_id=func.coalesce(OrderFact.budget_id, new.budget_id),
    )


async def order_reserved(session: AsyncSession, event: OrderReserved, envelope: Envelope) -> None:
    statement = _order(
        event,
        "reserved",
        fund_id=event.fund_id,
        budget_id=event.budget_id,
        reserved=event.amount,
        reserved_at=envelope.time,
    )
    new = statement.excluded
    latest = _later(new.reserved_at, OrderFact.reserved_at)
    await _upsert_order(
        session,
        statement,
        fund_id=case((latest, new.fund_id), else_=func.coalesce(OrderFact.fund_id, new.fund_id)),
        budget_id=case(
            (latest, new.budget_id), else_=func.coalesce(OrderFact.budget_id, new.budget_id)
        ),
        reserved=case((latest, new.reserved), else_=OrderFact.reserved),
        reserved_at=func.greatest(OrderFact.reserved_at, new.reserved_at),
    )


async def order_placed(session: AsyncSession, event: OrderPlaced, envelope: Envelope) -> None:
    statement = insert(OrderFact).values(
        order_id=event.order_id, participant_id=event.participant_id, status="ordered"
    )
    await _upsert_order(session, statement)


async def order_cancelled(session: AsyncSession, event: OrderCancelled, envelope: Envelope) -> None:
    statement = _order(event, "cancelled", released=event.released)
    await _upsert_order(session, statement, released=statement.excluded.released)


async def delivery_completed(
    session: AsyncSession, event: DeliveryCompleted, envelope: Envelope
) -> None:
    """The delivery's row, then the participant's and the order's sums computed again from the
    delivery rows. Their rows are upserted (and so locked) first: a concurrent delivery of the
    same participant waits, and its sum then sees this one."""
    participant = _application(event.participant_id, delivered_on=event.delivered_on)
    await session.execute(
        participant.on_conflict_do_update(
            index_elements=[ApplicationFact.application_id],
            set_={
                "delivered_on": func.least(
                    ApplicationFact.delivered_on, participant.excluded.delivered_on
                )
            },
        )
    )
    await _upsert_order(
        session,
        # An earlier part of an order handed over in several deliveries leaves its status.
        _order(event, "delivered" if event.order_delivered else None),
    )
    await session.execute(
        insert(DeliveryFact)
        .values(
            delivery_id=event.delivery_id,
            order_id=event.order_id,
            participant_id=event.participant_id,
            total=event.total,
            items=sum(item.quantity for item in event.items),
            delivered_on=event.delivered_on,
        )
        .on_conflict_do_nothing(index_elements=[DeliveryFact.delivery_id])
    )
    await session.execute(
        update(ApplicationFact)
        .where(ApplicationFact.application_id == event.participant_id)
        .values(
            delivered_value=select(func.sum(DeliveryFact.total))
            .where(DeliveryFact.participant_id == event.participant_id)
            .scalar_subquery()
        )
    )
    await session.execute(
        update(OrderFact)
        .where(OrderFact.order_id == event.order_id)
        .values(
            delivered_value=select(func.sum(DeliveryFact.total))
            .where(DeliveryFact.order_id == event.order_id)
            .scalar_subquery()
        )
    )


async def budget_changed(session: AsyncSession, event: BudgetChanged, envelope: Envelope) -> None:
    """The latest allocation wins, by the time assets announced it."""
    statement = insert(BudgetFact).values(
        budget_id=event.budget_id,
        fund_id=event.fund_id,
        fund_partner_id=event.fund_partner_id,
        round=event.round,
        period_start=event.period_start,
        period_end=event.period_end,
        allocated=event.allocated,
        changed_at=envelope.time,
    )
    new = statement.excluded
    columns = ("fund_id", "fund_partner_id", "round", "period_start", "period_end", "allocated")
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[BudgetFact.budget_id],
            set_={
                **{name: getattr(new, name) for name in columns},
                "changed_at": new.changed_at,
            },
            where=new.changed_at >= BudgetFact.changed_at,
        )
    )


# --- monitoring ---------------------------------------------------------------------------------


async def visit_reported(session: AsyncSession, event: VisitReported, envelope: Envelope) -> None:
    """The highest revision of a report wins: corrections sent offline may arrive out of order."""
    columns = ("participant_id", "month", "due_on", "visited_on", "operating", "income", "costs")
    statement = insert(VisitFact).values(
        visit_id=event.visit_id,
        **{name: getattr(event, name) for name in columns},
        jobs=event.jobs,
        revision=event.revision,
    )
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[VisitFact.visit_id],
            set_={name: getattr(new, name) for name in (*columns, "jobs", "revision")},
            where=new.revision >= VisitFact.revision,
        )
    )


async def case_closed(session: AsyncSession, event: CaseClosed, envelope: Envelope) -> None:
    statement = _application(event.participant_id, outcome=event.outcome, closed_on=event.closed_on)
    await _upsert_latest(session, statement, "outcome", at="closed_on")


# --- adverse decisions, from every service ------------------------------------------------------


async def decision_recorded(
    session: AsyncSession, event: _DecisionRecorded, envelope: Envelope
) -> None:
    """The decision as its owner announced it; a reversal that arrived first is kept."""
    columns = (
        "application_id",
        "kind",
        "reason",
        "decided_by",
        "decided_at",
        "appeal_until",
        "ref_id",
        "partner_id",
    )
    statement = insert(Decision).values(
        id=event.decision_id,
        service=event.source_service,
        **{name: getattr(event, name) for name in columns},
    )
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Decision.id],
            set_={name: getattr(new, name) for name in ("service", *columns)},
        )
    )


async def decision_reversed(
    session: AsyncSession, event: _DecisionReversed, envelope: Envelope
) -> None:
    """Its owner reversed it on an upheld appeal (before or after the decision itself lands)."""
    statement = insert(Decision).values(
        id=event.decision_id,
        service=event.source_service,
        application_id=event.application_id,
        reversed_at=event.reversed_at,
        reversal_effect=event.effect,
        grievance_id=event.grievance_id,
    )
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Decision.id],
            set_={
                name: getattr(new, name)
                for name in ("reversed_at", "reversal_effect", "grievance_id")
            },
        )
    )


# --- the registry -------------------------------------------------------------------------------

FACTS: dict[str, Handler] = {
    ApplicationSubmitted.type: application_submitted,
    ApplicationAssessed.type: application_assessed,
    ApplicationSelected.type: application_selected,
    ParticipantEnrolled.type: participant_enrolled,
    EnrollmentCancelled.type: enrollment_cancelled,
    ApplicantMerged.type: applicant_merged,
    PlanApproved.type: plan_approved,
    TrainingCompleted.type: training_completed,
    OrderOpened.type: order_opened,
    OrderAwaitingBudget.type: order_awaiting_budget,
    OrderReserved.type: order_reserved,
    OrderPlaced.type: order_placed,
    OrderCancelled.type: order_cancelled,
    DeliveryCompleted.type: delivery_completed,
    BudgetChanged.type: budget_changed,
    VisitReported.type: visit_reported,
    CaseClosed.type: case_closed,
    **{
        model.type: decision_recorded
        for model in EVENT_TYPES.values()
        if issubclass(model, _DecisionRecorded)
    },
    **{
        model.type: decision_reversed
        for model in EVENT_TYPES.values()
        if issubclass(model, _DecisionReversed)
    },
}


def _in_order(steps: Sequence[Handler]) -> Handler:
    if len(steps) == 1:
        return steps[0]

    async def project(session: AsyncSession, event: Event, envelope: Envelope) -> None:
        for step in steps:
            await step(session, event, envelope)

    return project


def _projections() -> dict[str, Handler]:
    found: dict[str, Handler] = {}
    for event_type, model in EVENT_TYPES.items():
        steps: list[Handler] = [record_on_timeline] if model.lifecycle else []
        if event_type in FACTS:
            steps.append(FACTS[event_type])
        if steps:
            found[event_type] = _in_order(steps)
    return found


# {event type: projection}, for every event type monitoring keeps: the timeline, then the facts.
PROJECTIONS: dict[str, Handler] = _projections()
