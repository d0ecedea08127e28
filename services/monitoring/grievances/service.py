"""Grievances and appeals. Functions flush, never commit; each change is announced in the same
transaction. Free text (description, note) stays here: the events carry coded facts."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monitoring.grievances import messages  # noqa: F401  (registers the message keys)
from monitoring.grievances.models import (
    Category,
    Channel,
    Grievance,
    GrievanceOutcome,
    GrievanceStatus,
    GrievanceType,
)
from monitoring.grievances.repository import GrievanceRepository
from monitoring.grievances.schemas import GrievanceIn
from monitoring.queries import equal
from monitoring.readmodels.models import ApplicationFact, Decision
from monitoring.settings import MonitoringSettings
from shared.auth import Principal, Role
from shared.db import utcnow
from shared.events import (
    GrievanceAcknowledged,
    GrievanceEscalated,
    GrievanceLodged,
    GrievanceResolved,
)
from shared.messaging.outbox import add_event
from shared.problems import FieldError, InvalidState, NotFound, ValidationProblem
from shared.repository import partner_column_filter

log = logging.getLogger(__name__)

# Who a grievance waits for, level by level: each escalation moves it one up (and stays at the top).
OWNER_ROLES = (Role.case_officer.value, Role.admin.value)


def _invalid(field: str, code: str) -> ValidationProblem:
    return ValidationProblem(
        [FieldError(field=field, code=code, message=f"field.{code.replace('_', '-')}")]
    )


async def _application(
    session: AsyncSession, application_id: uuid.UUID, principal: Principal
) -> ApplicationFact:
    """An application monitoring knows; a partner's only if it referred the person and the
    person's consent to share with it stands (else 404, as if unknown)."""
    fact = await session.scalar(
        select(ApplicationFact).where(
            ApplicationFact.application_id == application_id,
            partner_column_filter(
                ApplicationFact.partner_id, principal, application=ApplicationFact.application_id
            ),
        )
    )
    if fact is None:
        raise NotFound("application", application_id)
    return fact


async def _appealed_decision(session: AsyncSession, data: GrievanceIn, today: date) -> Decision:
    if data.decision_id is None or data.category != Category.decision:
        field = "body.decision_id" if data.decision_id is None else "body.category"
        raise _invalid(field, "appeal_needs_decision")
    decision = await session.get(Decision, data.decision_id)
    if (
        decision is None
        or decision.appeal_until is None  # only its reversal has arrived yet
        or decision.application_id != data.application_id
    ):
        raise _invalid("body.decision_id", "unknown_decision")
    if decision.reversed_at is not None:
        raise _invalid("body.decision_id", "decision_reversed")
    if today > decision.appeal_until:
        raise _invalid("body.decision_id", "appeal_period_over")
    return decision


async def lodge(
    session: AsyncSession,
    data: GrievanceIn,
    principal: Principal,
    settings: MonitoringSettings,
    *,
    now: datetime,
) -> Grievance:
    fact = await _application(session, data.application_id, principal)
    decision: Decision | None = None
    if data.type == GrievanceType.appeal:
        decision = await _appealed_decision(session, data, now.date())
        resolve_days = settings.appeal_resolve_days
    else:
        if data.category == Category.decision:
            raise _invalid("body.category", "decision_only_for_appeals")
        if data.decision_id is not None:
            raise _invalid("body.decision_id", "decision_only_for_appeals")
        resolve_days = settings.grievance_resolve_days
    grievance = Grievance(
        id=uuid.uuid4(),
        application_id=data.application_id,
        type=data.type,
        category=data.category,
        channel=Channel.partner if principal.kind == "partner" else data.channel,
        decision_id=decision.id if decision else None,
        decision_service=decision.service if decision else None,
        description=data.description,
        partner_id=fact.partner_id,
        lodged_by=principal.id,
        lodged_at=now,
        acknowledge_by=now.date() + timedelta(days=settings.grievance_acknowledge_days),
        resolve_by=now.date() + timedelta(days=resolve_days),
        status=GrievanceStatus.lodged,
        owner_role=OWNER_ROLES[0],
        escalation_level=0,
    )
    session.add(grievance)
    await session.flush()
    await add_event(
        session,
        GrievanceLodged(
            grievance_id=grievance.id,
            application_id=grievance.application_id,
            grievance_type=GrievanceType(grievance.type).value,
            category=Category(grievance.category).value,
            channel=grievance.channel.value,
            decision_id=grievance.decision_id,
            decision_service=grievance.decision_service,
            partner_id=grievance.partner_id,
            lodged_at=now,
            acknowledge_by=grievance.acknowledge_by,
            resolve_by=grievance.resolve_by,
        ),
    )
    return grievance


def _must_be_open(grievance: Grievance) -> None:
    if grievance.status == GrievanceStatus.resolved:
        raise InvalidState(grievance.status)


async def assign(session: AsyncSession, grievance: Grievance, owner_id: str) -> Grievance:
    _must_be_open(grievance)
    grievance.owner_id = owner_id
    await session.flush()
    return grievance


async def acknowledge(
    session: AsyncSession, grievance: Grievance, principal: Principal, *, now: datetime
) -> Grievance:
    if grievance.status != GrievanceStatus.lodged:
        raise InvalidState(grievance.status)
    grievance.status = GrievanceStatus.acknowledged
    grievance.acknowledged_at = now
    grievance.acknowledged_by = principal.id
    await session.flush()
    await add_event(
        session,
        GrievanceAcknowledged(
            grievance_id=grievance.id, application_id=grievance.application_id, acknowledged_at=now
        ),
    )
    return grievance


async def resolve(
    session: AsyncSession,
    grievance: Grievance,
    outcome: GrievanceOutcome,
    note: str | None,
    principal: Principal,
    *,
    now: datetime,
) -> Grievance:
    """Decides it; an upheld appeal names the decision and its owner, who reverses it."""
    _must_be_open(grievance)
    grievance.status = GrievanceStatus.resolved
    grievance.outcome = outcome
    grievance.resolution_note = note
    grievance.resolved_by = principal.id
    grievance.resolved_at = now
    await session.flush()
    await add_event(
        session,
        GrievanceResolved(
            grievance_id=grievance.id,
            application_id=grievance.application_id,
            grievance_type=GrievanceType(grievance.type).value,
            category=Category(grievance.category).value,
            outcome=outcome.value,
            decision_id=grievance.decision_id,
            decision_service=grievance.decision_service,
            resolved_at=now,
        ),
    )
    return grievance


# --- Escalation ----------------------------------------------------------------------------------


def _past_acknowledge(today: date) -> ColumnElement[bool]:
    return and_(
        Grievance.status == GrievanceStatus.lodged,
        Grievance.acknowledge_by < today,
        Grievance.acknowledge_escalated_at.is_(None),
    )


def _past_resolve(today: date) -> ColumnElement[bool]:
    return and_(
        Grievance.status != GrievanceStatus.resolved,
        Grievance.resolve_by < today,
        Grievance.resolve_escalated_at.is_(None),
    )


_DEADLINES = {"acknowledge": _past_acknowledge, "resolve": _past_resolve}


async def escalate_overdue(session: AsyncSession, now: datetime) -> int:
    """Escalates each grievance whose acknowledge or resolve date passed without that step: one
    level up, once per deadline. Safe to run anywhere, any number of times: a concurrent run skips
    the rows locked here, and a deadline once escalated is marked. Returns how many escalations
    it made."""
    today, escalated = now.date(), 0
    for deadline, passed in _DEADLINES.items():
        rows = await session.scalars(
            select(Grievance)
            .where(passed(today))
            .order_by(Grievance.lodged_at, Grievance.id)
            .with_for_update(skip_locked=True)
        )
        for grievance in rows.all():
            grievance.escalation_level += 1
            top = len(OWNER_ROLES) - 1
            grievance.owner_role = OWNER_ROLES[min(grievance.escalation_level, top)]
            setattr(grievance, f"{deadline}_escalated_at", now)
            escalated += 1
            await add_event(
                session,
                GrievanceEscalated(
                    grievance_id=grievance.id,
                    application_id=grievance.application_id,
                    deadline=deadline,
                    level=grievance.escalation_level,
                    escalated_at=now,
                ),
            )
        await session.flush()
    return escalated


async def check_escalations(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The scheduled escalation (a worker runs it every `grievance_escalation_check_seconds`)."""
    async with sessionmaker() as session, session.begin():
        escalated = await escalate_overdue(session, utcnow())
    if escalated:
        log.info("grievance check escalated %d deadline(s)", escalated)


# --- Lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrievanceFilters:
    status: GrievanceStatus | None = None
    type: GrievanceType | None = None
    category: Category | None = None
    owner_id: str | None = None
    application_id: uuid.UUID | None = None
    overdue: bool | None = None


def _overdue(today: date) -> ColumnElement[bool]:
    """Past a deadline without the step it asks for (escalated or not)."""
    return or_(
        and_(Grievance.status == GrievanceStatus.lodged, Grievance.acknowledge_by < today),
        and_(Grievance.status != GrievanceStatus.resolved, Grievance.resolve_by < today),
    )


def grievances_query(
    session: AsyncSession, principal: Principal, filters: GrievanceFilters, today: date
) -> Select[Grievance]:
    conditions = equal(
        (Grievance.status, filters.status),
        (Grievance.type, filters.type),
        (Grievance.category, filters.category),
        (Grievance.owner_id, filters.owner_id),
        (Grievance.application_id, filters.application_id),
    )
    if filters.overdue is not None:
        conditions.append(_overdue(today) if filters.overdue else ~_overdue(today))
    return GrievanceRepository(session).query(principal, *conditions)
