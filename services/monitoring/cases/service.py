"""Cases, flags and outcomes. Functions flush, never commit; the handlers run in the consumer's
transaction, and each is idempotent."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monitoring.cases import messages  # noqa: F401  (registers the message keys)
from monitoring.cases.models import (
    Case,
    CaseStatus,
    Flag,
    FlagRule,
    FlagStatus,
    Outcome,
    PlanExpectation,
    ReportEvaluation,
    Resolution,
    RuleKind,
)
from monitoring.cases.repository import CaseRepository, FlagRepository
from monitoring.cases.rules import (
    REPORT_KINDS,
    IncomeBelowPlanParameters,
    VisitOverdueParameters,
    check_income,
    check_report,
)
from monitoring.cases.rules import parse_parameters as parse_rule_parameters
from monitoring.cases.schemas import REASONS, CloseIn, FlagRuleIn
from monitoring.queries import equal
from monitoring.readmodels.models import ApplicationFact
from monitoring.visits.models import Visit, VisitReport
from shared.auth import Principal
from shared.db import utcnow
from shared.decisions import AUTOMATIC
from shared.events import (
    CaseClosed,
    CaseFlagged,
    DeliveryCompleted,
    EnrollmentCancelled,
    FlagResolved,
    PlanApproved,
    VisitReported,
)
from shared.messaging.outbox import add_event
from shared.problems import FieldError, InvalidState, NotFound, ValidationProblem

log = logging.getLogger(__name__)

# The reason of a case dropped out by a cancellation that monitoring heard of before the handover.
CANCELLED_BEFORE_HANDOVER_ARRIVED = "enrollment_cancelled"

# A visit waits for its report in this state (the visits domain's VisitStatus.scheduled).
SCHEDULED = "scheduled"


# --- Cases ---------------------------------------------------------------------------------------


async def open_case(session: AsyncSession, delivery: DeliveryCompleted) -> None:
    """The first handover opens the participant's case; later handovers change nothing. An
    enrolment whose cancellation arrived first (intake's stream and assets' are not ordered with
    each other) drops the new case out at once."""
    opened = await session.execute(
        insert(Case)
        .values(
            participant_id=delivery.participant_id,
            region=delivery.region,
            direction=delivery.direction,
            partner_id=delivery.partner_id,
            delivered_on=delivery.delivered_on,
            status=CaseStatus.open,
            opened_at=utcnow(),
            version=1,
        )
        .on_conflict_do_nothing(index_elements=[Case.participant_id])
        .returning(Case.participant_id)
    )
    if opened.first() is None:
        return
    await _serialise_with_drop_out(session, delivery.participant_id)
    cancelled_at = await session.scalar(
        select(ApplicationFact.enrollment_cancelled_at).where(
            ApplicationFact.application_id == delivery.participant_id
        )
    )
    if cancelled_at is not None:
        case = await _open_case_for_update(session, delivery.participant_id)
        assert case is not None
        await close_case(
            session,
            case,
            Outcome.dropped_out,
            CANCELLED_BEFORE_HANDOVER_ARRIVED,
            closed_on=cancelled_at.date(),
            closed_by=None,
        )


async def _serialise_with_drop_out(session: AsyncSession, participant_id: uuid.UUID) -> None:
    """A handover and a cancellation of the same participant, handled at once by the consumers of
    two streams, take turns: the second sees what the first wrote (the case, or the cancellation
    in the application's facts), so that neither misses the other."""
    key = func.hashtextextended(f"monitoring.case:{participant_id}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def record_expectations(session: AsyncSession, plan: PlanApproved) -> None:
    """Keeps what the latest approved plan expects month by month (a revised plan approved again
    replaces it; an older approval arriving late does not)."""
    latest = await session.scalar(
        select(func.max(PlanExpectation.approved_at)).where(
            PlanExpectation.participant_id == plan.participant_id
        )
    )
    if latest is not None and latest >= plan.approved_at:
        return
    await session.execute(
        delete(PlanExpectation).where(PlanExpectation.participant_id == plan.participant_id)
    )
    if not plan.projections:
        return
    await session.execute(
        insert(PlanExpectation).values(
            [
                {
                    "participant_id": plan.participant_id,
                    "month": projection.month,
                    "plan_id": plan.plan_id,
                    "approved_at": plan.approved_at,
                    "income": projection.income,
                    "costs": projection.costs,
                }
                for projection in plan.projections
            ]
        )
    )
    if latest is None:
        await _check_income_reported_before(session, plan)


async def _check_income_reported_before(session: AsyncSession, plan: PlanApproved) -> None:
    """The plans and monitoring streams are not ordered with each other: a report can be checked
    before the first approved plan's expectations arrive, when its income had nothing to be
    compared with. Those reports are checked against the income rules now."""
    expected = {projection.month: projection.income for projection in plan.projections}
    reported = await session.execute(
        select(Visit.id, Visit.month, VisitReport.income)
        .join(VisitReport, VisitReport.visit_id == Visit.id)
        .where(Visit.participant_id == plan.participant_id, VisitReport.income.is_not(None))
    )
    visits = reported.all()
    if not visits:
        return
    for rule in await active_rules(session, (RuleKind.income_below_plan,)):
        params = parse_rule_parameters(RuleKind(rule.kind), rule.parameters)
        assert isinstance(params, IncomeBelowPlanParameters)
        rows = []
        for visit_id, month, income in visits:
            finding = check_income(params, month, income, expected.get(month))
            if finding is not None:
                region, partner_id = await _where(session, plan.participant_id, visit_id)
                rows.append(
                    {
                        "participant_id": plan.participant_id,
                        "visit_id": visit_id,
                        "region": region,
                        "partner_id": partner_id,
                        "details": finding.details,
                    }
                )
        await _raise(session, rule, rows)


async def expectations(session: AsyncSession, participant_id: uuid.UUID) -> list[PlanExpectation]:
    rows = await session.scalars(
        select(PlanExpectation)
        .where(PlanExpectation.participant_id == participant_id)
        .order_by(PlanExpectation.month)
    )
    return list(rows)


@dataclass(frozen=True)
class CaseFilters:
    status: CaseStatus | None = None
    outcome: Outcome | None = None
    region: str | None = None
    direction: str | None = None


def cases_query(session: AsyncSession, principal: Principal, filters: CaseFilters) -> Select[Case]:
    return CaseRepository(session).query(
        principal,
        *equal(
            (Case.status, filters.status),
            (Case.outcome, filters.outcome),
            (Case.region, filters.region),
            (Case.direction, filters.direction),
        ),
    )


async def open_flags(session: AsyncSession, participant_id: uuid.UUID) -> list[Flag]:
    rows = await session.scalars(
        select(Flag)
        .where(Flag.participant_id == participant_id, Flag.status == FlagStatus.open)
        .order_by(Flag.raised_at, Flag.id)
    )
    return list(rows)


async def close_case(
    session: AsyncSession,
    case: Case,
    outcome: Outcome,
    reason: str,
    *,
    closed_on: date,
    closed_by: str | None,
) -> Case:
    """Closes the case once and announces it; a closed case is never reopened."""
    if case.status == CaseStatus.closed:
        raise InvalidState(str(case.outcome or case.status), "detail.case-closed")
    case.status = CaseStatus.closed
    case.outcome = outcome
    case.close_reason = reason
    case.closed_on = closed_on
    case.closed_by = closed_by
    await session.flush()
    await add_event(
        session,
        CaseClosed(
            participant_id=case.participant_id,
            outcome=outcome.value,
            reason=reason,
            closed_on=closed_on,
        ),
    )
    return case


async def close_by_officer(
    session: AsyncSession, case: Case, data: CloseIn, principal: Principal
) -> Case:
    if data.reason not in REASONS[data.outcome]:
        raise ValidationProblem(
            [
                FieldError(
                    field="body.reason",
                    code="reason_not_for_outcome",
                    message="field.reason-not-for-outcome",
                )
            ]
        )
    return await close_case(
        session,
        case,
        data.outcome,
        data.reason.value,
        closed_on=data.closed_on or utcnow().date(),
        closed_by=principal.id,
    )


async def _open_case_for_update(session: AsyncSession, participant_id: uuid.UUID) -> Case | None:
    case = await session.get(Case, participant_id, with_for_update=True)
    return case if case is not None and case.status == CaseStatus.open else None


async def drop_out(session: AsyncSession, event: EnrollmentCancelled) -> None:
    """An enrolment cancelled in intake ends an open case as dropped out."""
    await _serialise_with_drop_out(session, event.participant_id)
    case = await _open_case_for_update(session, event.participant_id)
    if case is not None:
        await close_case(
            session,
            case,
            Outcome.dropped_out,
            event.reason,
            closed_on=utcnow().date(),
            closed_by=None,
        )


async def _close_on_last_visit(session: AsyncSession, report: VisitReported) -> None:
    """The report of the last scheduled visit decides the outcome of a case still open."""
    case = await _open_case_for_update(session, report.participant_id)
    if case is None:
        return
    if report.operating:
        outcome, reason = Outcome.graduated, "operating_at_12_months"
    else:
        outcome, reason = Outcome.failed, "not_operating_at_12_months"
    await close_case(session, case, outcome, reason, closed_on=report.visited_on, closed_by=None)


# --- Flag rules ----------------------------------------------------------------------------------


def rules_query() -> Select[FlagRule]:
    return select(FlagRule)


async def get_rule(session: AsyncSession, code: str) -> FlagRule:
    rule = await session.get(FlagRule, code)
    if rule is None:
        raise NotFound("flag-rule", code)
    return rule


async def update_rule(
    session: AsyncSession, rule: FlagRule, data: FlagRuleIn, principal: Principal
) -> FlagRule:
    try:
        parameters = parse_rule_parameters(RuleKind(rule.kind), data.parameters)
    except ValidationError:
        raise ValidationProblem(
            [FieldError(field="body.parameters", code="invalid", message="field.rule-parameters")]
        ) from None
    rule.parameters = parameters.model_dump(mode="json")
    rule.actions = list(data.actions)
    rule.owner_role = data.owner_role
    rule.active = data.active
    rule.updated_by = principal.id
    rule.updated_at = utcnow()
    await session.flush()
    return rule


async def active_rules(session: AsyncSession, kinds: Sequence[RuleKind]) -> list[FlagRule]:
    rows = await session.scalars(
        select(FlagRule)
        .where(FlagRule.active.is_(True), FlagRule.kind.in_([k.value for k in kinds]))
        .order_by(FlagRule.code)
    )
    return list(rows)


# --- Flags ---------------------------------------------------------------------------------------


async def _raise(session: AsyncSession, rule: FlagRule, rows: Sequence[dict[str, Any]]) -> int:
    """Inserts flags, at most one per (participant, rule, visit) ever, and announces the new ones
    (in this transaction, through the outbox). Returns how many were new."""
    if not rows:
        return 0
    raised = await session.execute(
        insert(Flag)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "rule": rule.code,
                    "actions": list(rule.actions),
                    "owner_role": rule.owner_role,
                    "status": FlagStatus.open,
                    "raised_at": utcnow(),
                    "version": 1,
                    **row,
                }
                for row in rows
            ]
        )
        .on_conflict_do_nothing(index_elements=[Flag.participant_id, Flag.rule, Flag.visit_id])
        .returning(Flag.id, Flag.participant_id, Flag.visit_id)
    )
    new = raised.all()
    for flag_id, participant_id, visit_id in new:
        await add_event(
            session,
            CaseFlagged(
                flag_id=flag_id,
                participant_id=participant_id,
                rule=rule.code,
                action=rule.actions[0] if rule.actions else None,
                actions=list(rule.actions),
                visit_id=visit_id,
            ),
        )
    return len(new)


async def _where(
    session: AsyncSession, participant_id: uuid.UUID, visit_id: uuid.UUID
) -> tuple[str | None, uuid.UUID | None]:
    """The region and partner a flag is filed under: the case's, else the visit's."""
    case = await session.get(Case, participant_id)
    if case is not None:
        return case.region, case.partner_id
    visit = await session.get(Visit, visit_id)
    if visit is not None:
        return visit.region, visit.partner_id
    return None, None


async def evaluate_report(session: AsyncSession, report: VisitReported, last_month: int) -> None:
    """Checks a visit report against the active rules and, for the last visit, decides the
    outcome. A correction (higher revision) is checked again; an older revision arriving after a
    newer one is not."""
    evaluated = await session.execute(
        insert(ReportEvaluation)
        .values(
            visit_id=report.visit_id,
            participant_id=report.participant_id,
            revision=report.revision,
            evaluated_at=utcnow(),
        )
        .on_conflict_do_update(
            index_elements=[ReportEvaluation.visit_id],
            set_={"revision": report.revision, "evaluated_at": utcnow()},
            where=ReportEvaluation.revision < report.revision,
        )
        .returning(ReportEvaluation.visit_id)
    )
    if evaluated.first() is None:
        log.info("visit %s: revision %d is not newer, not evaluated", report.visit_id,
                 report.revision)  # fmt: skip
        return
    expected = await session.scalar(
        select(PlanExpectation.income).where(
            PlanExpectation.participant_id == report.participant_id,
            PlanExpectation.month == report.month,
        )
    )
    region, partner_id = await _where(session, report.participant_id, report.visit_id)
    for rule in await active_rules(session, REPORT_KINDS):
        finding = check_report(RuleKind(rule.kind), rule.parameters, report, expected)
        if finding is None:
            await _withdraw_corrected(session, rule, report)
        else:
            row = {
                "participant_id": report.participant_id,
                "visit_id": report.visit_id,
                "region": region,
                "partner_id": partner_id,
                "details": finding.details,
            }
            await _raise(session, rule, [row])
    if report.month == last_month:
        await _close_on_last_visit(session, report)


async def _withdraw_corrected(session: AsyncSession, rule: FlagRule, report: VisitReported) -> None:
    """A flag only proposes: when a corrected report no longer trips the rule that flagged the
    visit, the open flag is resolved by the rules (and intake withdraws what it proposed)."""
    flag = await session.scalar(
        select(Flag)
        .where(
            Flag.participant_id == report.participant_id,
            Flag.rule == rule.code,
            Flag.visit_id == report.visit_id,
            Flag.status == FlagStatus.open,
        )
        .with_for_update()
    )
    if flag is not None:
        await _close_flag(session, flag, Resolution.report_corrected, None, AUTOMATIC)


async def flag_overdue_visits(session: AsyncSession, today: date) -> int:
    """Flags visits of open cases still not reported more than the rule's days after their due
    date. Safe to run anywhere, any number of times: a visit is flagged once per rule."""
    raised = 0
    for rule in await active_rules(session, [RuleKind.visit_overdue]):
        parameters = parse_rule_parameters(RuleKind.visit_overdue, rule.parameters)
        assert isinstance(parameters, VisitOverdueParameters)
        overdue = await session.execute(
            select(Visit.id, Visit.participant_id, Visit.due_on, Case.region, Case.partner_id)
            .join(Case, Case.participant_id == Visit.participant_id)
            .where(
                Case.status == CaseStatus.open,
                Visit.status == SCHEDULED,
                Visit.due_on < today - timedelta(days=parameters.days),
            )
            .order_by(Visit.due_on, Visit.id)
        )
        rows = [
            {
                "participant_id": participant_id,
                "visit_id": visit_id,
                "region": region,
                "partner_id": partner_id,
                "details": {"due_on": due_on.isoformat(), "days_overdue": (today - due_on).days},
            }
            for visit_id, participant_id, due_on, region, partner_id in overdue
        ]
        for start in range(0, len(rows), 1000):
            raised += await _raise(session, rule, rows[start : start + 1000])
    return raised


@dataclass(frozen=True)
class FlagFilters:
    status: FlagStatus | None = None
    rule: str | None = None
    region: str | None = None
    owner_id: str | None = None
    participant_id: uuid.UUID | None = None


def flags_query(session: AsyncSession, principal: Principal, filters: FlagFilters) -> Select[Flag]:
    return FlagRepository(session).query(
        principal,
        *equal(
            (Flag.status, filters.status),
            (Flag.rule, filters.rule),
            (Flag.region, filters.region),
            (Flag.owner_id, filters.owner_id),
            (Flag.participant_id, filters.participant_id),
        ),
    )


async def assign_flag(session: AsyncSession, flag: Flag, owner_id: str) -> Flag:
    if flag.status != FlagStatus.open:
        raise InvalidState(flag.status, "detail.flag-resolved")
    flag.owner_id = owner_id
    await session.flush()
    return flag


async def resolve_flag(
    session: AsyncSession,
    flag: Flag,
    resolution: Resolution,
    note: str | None,
    principal: Principal,
) -> Flag:
    if flag.status != FlagStatus.open:
        raise InvalidState(flag.status, "detail.flag-resolved")
    return await _close_flag(session, flag, resolution, note, principal.id)


async def _close_flag(
    session: AsyncSession,
    flag: Flag,
    resolution: Resolution,
    note: str | None,
    resolved_by: str,
) -> Flag:
    flag.status = FlagStatus.resolved
    flag.resolution = resolution
    flag.resolution_note = note
    flag.resolved_by = resolved_by
    flag.resolved_at = utcnow()
    await session.flush()
    await add_event(
        session,
        FlagResolved(
            flag_id=flag.id,
            participant_id=flag.participant_id,
            rule=flag.rule,
            resolution=resolution.value,
        ),
    )
    return flag


async def check_overdue(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The scheduled overdue check (a worker runs it every `overdue_check_seconds`)."""
    async with sessionmaker() as session, session.begin():
        raised = await flag_overdue_visits(session, utcnow().date())
    if raised:
        log.info("overdue check raised %d flag(s)", raised)
