"""Cases (one per participant under follow-up), flag rules as data, flags and outcomes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, synonym

from monitoring.base import Base
from shared.db import utcnow
from shared.repository import SHARED, OwnedBy

Money = Numeric(14, 2)


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


class Outcome(StrEnum):
    graduated = "graduated"
    failed = "failed"
    dropped_out = "dropped_out"


class Case(Base):
    """A participant under follow-up, from the first handover of assets to the outcome."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_opened_at_participant_id", "opened_at", "participant_id"),)
    # The partner who referred the participant, copied from the delivery, while the person's
    # consent to share with it stands.
    __partner__ = OwnedBy("partner_id", application="participant_id")

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # A case is known by its participant: the name the repositories look rows up by.
    id: Mapped[uuid.UUID] = synonym("participant_id")
    region: Mapped[str] = mapped_column(String(8), index=True)
    direction: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    delivered_on: Mapped[date]
    status: Mapped[CaseStatus] = mapped_column(String(16), default=CaseStatus.open)
    outcome: Mapped[Outcome | None] = mapped_column(String(16))
    close_reason: Mapped[str | None] = mapped_column(String(64))
    closed_on: Mapped[date | None]
    closed_by: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PlanExpectation(Base):
    """What the participant's approved plan expects in one month of the business. Kept apart from
    the case, so that the plan's approval may arrive before or after the handover."""

    __tablename__ = "plan_expectations"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID]
    approved_at: Mapped[datetime]
    income: Mapped[Decimal] = mapped_column(Money)
    costs: Mapped[Decimal] = mapped_column(Money)


class ReportEvaluation(Base):
    """The latest revision of a visit report the rules have looked at: an older revision arriving
    late is not evaluated over a newer one."""

    __tablename__ = "report_evaluations"

    visit_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    revision: Mapped[int]
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleKind(StrEnum):
    """What a rule looks at; its parameters depend on the kind (see cases.rules)."""

    not_operating = "not_operating"
    item_status = "item_status"
    income_below_plan = "income_below_plan"
    visit_overdue = "visit_overdue"


class FlagRule(Base):
    """A rule that raises flags, kept as data: admins tune parameters, actions, owner and whether
    it is active without a release."""

    __tablename__ = "flag_rules"
    # Every caller who reads flags may read the rules that raise them.
    __partner__ = SHARED

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[RuleKind] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    actions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    owner_role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class FlagStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class Resolution(StrEnum):
    asset_recovered = "asset_recovered"
    plan_revised = "plan_revised"
    advice_given = "advice_given"
    visited = "visited"
    business_resumed = "business_resumed"
    excluded = "excluded"
    false_alarm = "false_alarm"
    no_action = "no_action"
    # The flag was wrong: intake withdraws the exclusion it proposed.
    unfounded = "unfounded"
    # Set by the rules alone: a corrected report no longer trips the rule.
    report_corrected = "report_corrected"


class Flag(Base):
    """A case flagged for follow-up by a rule: at most once per participant, rule and visit."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("participant_id", "rule", "visit_id"),
        Index("ix_flags_raised_at_id", "raised_at", "id"),
    )
    # Filed under the case's partner (else the visit's) when raised; hidden from it once the
    # person withdraws consent to share with it.
    __partner__ = OwnedBy("partner_id", application="participant_id")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    rule: Mapped[str] = mapped_column(String(64))
    visit_id: Mapped[uuid.UUID | None]
    region: Mapped[str | None] = mapped_column(String(8))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # Coded facts that raised it (statuses, amounts, days): never notes or personal data.
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    actions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    owner_role: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[FlagStatus] = mapped_column(String(16), default=FlagStatus.open)
    resolution: Mapped[Resolution | None] = mapped_column(String(32))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
