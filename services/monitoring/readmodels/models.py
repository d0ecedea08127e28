"""Read models: monitoring's own copy of the facts of every service's events.

They are projections only (monitoring.readmodels.projections fills them from the streams), so they
can be dropped and rebuilt by replaying the streams; the reports read nothing else. Every
projection is an upsert that touches only the columns its event knows, so events from different
streams may arrive in any order.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Computed,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    and_,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from monitoring.base import Base
from shared.consent import sharing_stands
from shared.db import utcnow
from shared.repository import OwnedWhere

Money = Numeric(14, 2)


class TimelineEntry(Base):
    """One line per event in a participant's journey, from every service."""

    __tablename__ = "timeline"
    # An event is a partner's when it names the partner (an application's events name its
    # referrer); whose the whole timeline is, readmodels.service decides. Hidden from the partner
    # once the person withdraws consent to share with it.
    __partner__ = OwnedWhere(
        lambda partner_id: and_(
            TimelineEntry.facts.contains({"partner_id": str(partner_id)}),
            sharing_stands(TimelineEntry.participant_id, partner_id),
        )
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationFact(Base):
    """One row per application, and so per participant (a participant id is its application's id):
    who (coded), and when it passed each stage of the funnel."""

    __tablename__ = "application_facts"
    __table_args__ = (
        # Participants per year read the enrolments alone: an index-only scan.
        Index(
            "ix_application_facts_enrolled_at_covering",
            "enrolled_at",
            postgresql_include=["enrollment_cancelled_at"],
        ),
        # The funnel's delivered participants, in id order, to meet their operating visits.
        Index(
            "ix_application_facts_delivered",
            "application_id",
            postgresql_include=["delivered_on"],
            postgresql_where=text("funnel_stage = 5"),
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    applicant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    round_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    region: Mapped[str | None] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    direction: Mapped[str | None] = mapped_column(String(64))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    sex: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str | None] = mapped_column(String(16))
    applied_at: Mapped[datetime | None] = mapped_column(index=True)
    eligible: Mapped[bool | None]
    assessed_at: Mapped[datetime | None]
    selected_at: Mapped[datetime | None]
    enrolled_at: Mapped[datetime | None] = mapped_column(index=True)
    enrollment_cancelled_at: Mapped[datetime | None]
    plan_approved_at: Mapped[datetime | None]  # the first approval: the funnel's stage
    # The latest approval (a plan reopened is approved again): its total and direction are kept.
    plan_last_approved_at: Mapped[datetime | None]
    plan_total: Mapped[Decimal | None] = mapped_column(Money)
    delivered_on: Mapped[date | None]
    delivered_value: Mapped[Decimal | None] = mapped_column(Money)
    outcome: Mapped[str | None] = mapped_column(String(16))
    closed_on: Mapped[date | None]
    # Kept by PostgreSQL with every write (generated columns), for the funnel: the stages reached
    # in a row of applied, eligible, selected, plan approved, delivered (0-5), and the UTC days of
    # the stages' moments.
    funnel_stage: Mapped[int] = mapped_column(
        SmallInteger,
        Computed(
            "CASE WHEN applied_at IS NULL THEN 0 WHEN eligible IS NOT TRUE THEN 1"
            " WHEN COALESCE(selected_at, enrolled_at) IS NULL THEN 2"
            " WHEN plan_approved_at IS NULL THEN 3 WHEN delivered_on IS NULL THEN 4 ELSE 5 END",
            persisted=True,
        ),
    )
    applied_on: Mapped[date | None] = mapped_column(
        Computed("(timezone('UTC', applied_at))::date", persisted=True)
    )
    assessed_on: Mapped[date | None] = mapped_column(
        Computed("(timezone('UTC', assessed_at))::date", persisted=True)
    )
    selected_on: Mapped[date | None] = mapped_column(
        Computed("(timezone('UTC', COALESCE(selected_at, enrolled_at)))::date", persisted=True)
    )
    plan_approved_on: Mapped[date | None] = mapped_column(
        Computed("(timezone('UTC', plan_approved_at))::date", persisted=True)
    )


class VisitFact(Base):
    """A reported visit, from monitoring's own `monitoring.visit.reported` (the latest revision)."""

    __tablename__ = "visit_facts"
    # The funnel's operating stages, in participant order (with ix_application_facts_delivered).
    __table_args__ = (
        Index(
            "ix_visit_facts_operating",
            "participant_id",
            "month",
            "visited_on",
            postgresql_where=text("operating AND month IN (6, 12)"),
        ),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    month: Mapped[int]
    due_on: Mapped[date]
    visited_on: Mapped[date]
    operating: Mapped[bool]
    income: Mapped[Decimal | None] = mapped_column(Money)
    costs: Mapped[Decimal | None] = mapped_column(Money)
    jobs: Mapped[int | None]
    revision: Mapped[int] = mapped_column(default=1)


class TrainingFact(Base):
    """A participant's completed training session."""

    __tablename__ = "training_facts"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    course_id: Mapped[uuid.UUID]
    direction: Mapped[str] = mapped_column(String(64))
    run_by_partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    completed_on: Mapped[date]


class BudgetFact(Base):
    """A fund's budget for a round, as assets last announced it."""

    __tablename__ = "budget_facts"

    budget_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fund_id: Mapped[uuid.UUID] = mapped_column(index=True)
    fund_partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    round: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date]
    period_end: Mapped[date]
    allocated: Mapped[Decimal] = mapped_column(Money)
    changed_at: Mapped[datetime]  # the event's time: the latest allocation wins


class OrderFact(Base):
    """An order's money: where it is reserved, and how far it went."""

    __tablename__ = "order_facts"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    participant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    plan_id: Mapped[uuid.UUID | None]
    fund_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    budget_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    total: Mapped[Decimal | None] = mapped_column(Money)
    reserved: Mapped[Decimal | None] = mapped_column(Money)
    reserved_at: Mapped[datetime | None]  # the reservation's event time: the latest wins
    status: Mapped[str | None] = mapped_column(String(16))
    delivered_value: Mapped[Decimal | None] = mapped_column(Money)
    released: Mapped[Decimal | None] = mapped_column(Money)


class DeliveryFact(Base):
    """A completed delivery (an order may be handed over in more than one)."""

    __tablename__ = "delivery_facts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    total: Mapped[Decimal] = mapped_column(Money)
    items: Mapped[int] = mapped_column(default=0)
    delivered_on: Mapped[date]


def referrer_of(application: Any) -> Any:
    """The partner who referred an application, as its facts say (NULL: none, or not known)."""
    return (
        select(ApplicationFact.partner_id)
        .where(ApplicationFact.application_id == application)
        .scalar_subquery()
    )


class Decision(Base):
    """An adverse decision about an application, from its owning service's
    `<service>.decision.recorded`, and its reversal (`...decision.reversed`) on an upheld appeal."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_decided_at_id", "decided_at", "id"),)
    # The referring partner's, as the application's facts (else the decision) name it, while the
    # person's consent to share with it stands.
    __partner__ = OwnedWhere(
        lambda partner_id: and_(
            func.coalesce(referrer_of(Decision.application_id), Decision.partner_id) == partner_id,
            sharing_stands(Decision.application_id, partner_id),
        )
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the decision's id in its service
    service: Mapped[str] = mapped_column(String(16))
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # Null only while a reversal has arrived before its decision (a replay may reorder them).
    kind: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    appeal_until: Mapped[date | None]
    ref_id: Mapped[uuid.UUID | None]
    partner_id: Mapped[uuid.UUID | None]
    reversed_at: Mapped[datetime | None]
    reversal_effect: Mapped[str | None] = mapped_column(String(64))
    grievance_id: Mapped[uuid.UUID | None]


# Every read-model table: what a rebuild empties and fills again from the streams.
READ_MODELS = (
    TimelineEntry,
    Decision,
    ApplicationFact,
    VisitFact,
    TrainingFact,
    BudgetFact,
    OrderFact,
    DeliveryFact,
)
