"""Applications: submission with its assessment (eligibility and priority), enrolment, withdrawal
and cancellation. Functions flush, never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.repository import ApplicantRepository
from intake.applicants.service import check_can_benefit
from intake.applications.events import participant_enrolled
from intake.applications.models import Application, ApplicationStatus, Source
from intake.applications.schemas import ApplicationIn, AssessmentOut
from intake.rounds.models import Round, RoundStatus
from intake.rounds.repository import RoundRepository
from intake.rounds.rules import Facts, RuleResult, age_at, evaluate, exclusion, parse_rules
from intake.rounds.scoring import Factor, Weights, score
from intake.selection.service import fill_freed_place, lock_round
from shared.auth import Principal
from shared.db import add_in_savepoint, utcnow
from shared.decisions import AUTOMATIC, NewDecision, record_decisions
from shared.events import (
    ApplicationAssessed,
    ApplicationSubmitted,
    EnrollmentCancelled,
    Event,
    IntakeDecisionRecorded,
)
from shared.i18n import add_messages
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, InvalidState
from shared.repository import partner_of

add_messages(
    {
        "detail.application-exists": {
            "az": "Bu şəxs bu raunda artıq müraciət edib.",
            "en": "This person has already applied to this round.",
            "ru": "Этот человек уже подал заявку в этот раунд.",
        },
        "field.already-applied": {
            "az": "artıq müraciət edib",
            "en": "already applied to this round",
            "ru": "заявка в этот раунд уже подана",
        },
    }
)

_ALREADY_APPLIED = FieldError(
    field="body.applicant_id", code="duplicate", message="field.already-applied"
)
# What can still be withdrawn, and what may be enrolled by hand.
_ACTIVE = frozenset(
    {ApplicationStatus.eligible, ApplicationStatus.ineligible, ApplicationStatus.waitlisted}
)
_ENROLLABLE = frozenset({ApplicationStatus.eligible, ApplicationStatus.waitlisted})


def age_band(age: int) -> str:
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def facts_of(applicant: ApplicantFacts, reference_date: date) -> Facts:
    return Facts(
        birth_date=applicant.birth_date,
        sex=applicant.sex,
        household_size=applicant.household_size,
        categories=frozenset(applicant.categories),
        region=applicant.region,
        benefited_at=applicant.benefited_at,
        reference_date=reference_date,
        excluded_rule=applicant.excluded_rule,
    )


def assess(
    round_: Round | None, facts: Facts, submitted_at: datetime
) -> tuple[list[RuleResult], Decimal | None, list[Factor]]:
    """Every rule's result, and for an eligible application its score with the breakdown.
    A direct application (no round) has no rules and no score; a person excluded from the
    programme fails `not_excluded` either way."""
    excluded = exclusion(facts)
    if round_ is None:
        return excluded, None, []
    results = excluded + evaluate(parse_rules(round_.rules), facts)
    if not all(r.passed for r in results):
        return results, None, []
    points, breakdown = score(
        Weights.model_validate(round_.weights),
        facts,
        submitted_at=submitted_at,
        round_end=round_.period_end,
    )
    return results, points, breakdown


class ApplicantFacts(Protocol):
    """What an application is built from: an Applicant, or a Core row with these columns."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def sex(self) -> str | None: ...
    @property
    def household_size(self) -> int | None: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def region(self) -> str: ...
    @property
    def benefited_at(self) -> datetime | None: ...
    @property
    def excluded_rule(self) -> str | None: ...


@dataclass(frozen=True)
class NewApplication:
    """An application's row (the applications table's columns), the events it emits, and its
    adverse decision when it is not eligible."""

    values: dict[str, Any]
    events: list[Event]
    decision: NewDecision | None


def ineligibility(
    application_id: uuid.UUID,
    failed_rules: list[str],
    *,
    round_id: uuid.UUID | None,
    partner_id: uuid.UUID | None,
    at: datetime,
) -> NewDecision:
    """The rules' decision that an application is not eligible, to record as adverse."""
    return NewDecision(
        application_id=application_id,
        kind="ineligible",
        reason=",".join(failed_rules),
        decided_by=AUTOMATIC,
        decided_at=at,
        ref_id=round_id,
        partner_id=partner_id,
    )


def build_application(
    applicant: ApplicantFacts,
    round_: Round | None,
    *,
    direction: str,
    partner_id: uuid.UUID | None,
    source: Source,
    now: datetime,
) -> NewApplication:
    """A new application assessed against the round's rules, with its submitted and assessed
    events; the caller writes both (one by one, or a chunk's in bulk)."""
    reference = round_.period_start if round_ is not None else now.date()
    results, points, breakdown = assess(round_, facts_of(applicant, reference), now)
    eligible = all(r.passed for r in results)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "applicant_id": applicant.id,
        "partner_id": partner_id,
        "round_id": round_.id if round_ is not None else None,
        "source": source,
        "direction": direction,
        "status": ApplicationStatus.eligible if eligible else ApplicationStatus.ineligible,
        "region": applicant.region,
        "categories": list(applicant.categories),
        "sex": applicant.sex,
        "age_band": age_band(age_at(applicant.birth_date, reference)),
        "assessment": [r.model_dump(mode="json") for r in results],
        "score": points,
        "score_breakdown": [f.model_dump(mode="json") for f in breakdown],
        "submitted_at": now,
        "assessed_at": now,
        "created_at": now,
        "version": 1,
    }
    failed = [r.rule for r in results if not r.passed]
    decision = (
        None
        if eligible
        else ineligibility(
            values["id"], failed, round_id=values["round_id"], partner_id=partner_id, at=now
        )
    )
    return NewApplication(values, _new_application_events(values, failed), decision)


def _new_application_events(values: dict[str, Any], failed_rules: list[str]) -> list[Event]:
    """The submitted and assessed events of a new application's row."""
    return [
        ApplicationSubmitted(
            application_id=values["id"],
            applicant_id=values["applicant_id"],
            region=values["region"],
            categories=values["categories"],
            direction=values["direction"],
            partner_id=values["partner_id"],
            submitted_at=values["submitted_at"],
            round_id=values["round_id"],
            sex=values["sex"],
            age_band=values["age_band"],
            source=values["source"],
        ),
        ApplicationAssessed(
            application_id=values["id"],
            round_id=values["round_id"],
            eligible=values["status"] == ApplicationStatus.eligible,
            failed_rules=failed_rules,
            score=values["score"],
        ),
    ]


async def submit_application(
    session: AsyncSession,
    data: ApplicationIn,
    principal: Principal,
    *,
    appeal_days: int,
    source: Source | None = None,
) -> Application:
    """`source` defaults from the caller (a partner's key: partner; staff: staff); the bulk
    import passes Source.import_. Not eligible is an adverse decision, recorded."""
    applicant = await ApplicantRepository(session).get(data.applicant_id, principal)
    round_: Round | None = None
    if data.round_id is not None:
        # Shares the round row's lock: a change of the rules (which takes it exclusively and then
        # re-assesses the round) either waits for this application or is read by it.
        await lock_round(session, data.round_id)
        round_ = await RoundRepository(session).get(data.round_id, principal)
        if round_.status != RoundStatus.open:
            raise InvalidState(round_.status)
        taken = await session.scalar(
            select(Application.id).where(
                Application.round_id == round_.id, Application.applicant_id == applicant.id
            )
        )
        if taken is not None:
            raise Conflict("detail.application-exists", errors=[_ALREADY_APPLIED])

    referrer = partner_of(principal)  # None: staff's own application
    source = source or (Source.staff if referrer is None else Source.partner)
    new = build_application(
        applicant,
        round_,
        direction=data.direction,
        partner_id=referrer,
        source=source,
        now=utcnow(),
    )
    application = Application(**new.values)
    try:
        # A concurrent twin in the same round is a conflict, not a failed request.
        await add_in_savepoint(session, application)
    except IntegrityError as exc:
        raise Conflict("detail.application-exists", errors=[_ALREADY_APPLIED]) from exc
    for event in new.events:
        await add_event(session, event)
    if new.decision is not None:
        await record_decisions(
            session, IntakeDecisionRecorded, [new.decision], appeal_days=appeal_days
        )
    return application


def assessment_of(application: Application) -> AssessmentOut:
    """Why the application is eligible or not, as assessed: each rule's result, and the score."""
    rules = [RuleResult.model_validate(r) for r in application.assessment]
    return AssessmentOut(
        application_id=application.id,
        round_id=application.round_id,
        eligible=all(r.passed for r in rules),
        rules=rules,
        score=application.score,
        score_breakdown=[Factor.model_validate(f) for f in application.score_breakdown],
        assessed_at=application.assessed_at,
    )


def enroll_now(application: Application) -> datetime:
    application.status = ApplicationStatus.enrolled
    application.enrolled_at = utcnow()
    return application.enrolled_at


async def enroll(
    session: AsyncSession,
    application: Application,
    *,
    principal: Principal,
    override_reason: str | None = None,
) -> Application:
    if application.status not in _ENROLLABLE:
        raise InvalidState(application.status)
    if application.round_id is not None:
        await lock_round(session, application.round_id)
    # One person, one benefit: refuses someone who benefited before, unless an admin overrides.
    await check_can_benefit(
        session, application.applicant_id, principal=principal, override_reason=override_reason
    )
    enrolled_at = enroll_now(application)
    await session.flush()
    await add_event(session, participant_enrolled(application, enrolled_at))
    return application


async def withdraw(
    session: AsyncSession, application: Application, *, appeal_days: int
) -> Application:
    """The applicant withdraws. A participant's place goes to the next on the region's waitlist."""
    if application.round_id is not None:
        await lock_round(session, application.round_id)
    if application.status == ApplicationStatus.enrolled:
        return await _end_participation(
            session, application, ApplicationStatus.withdrawn, "withdrew", appeal_days
        )
    if application.status not in _ACTIVE:
        raise InvalidState(application.status)
    application.status = ApplicationStatus.withdrawn
    application.closed_at = utcnow()
    application.close_reason = "withdrew"
    await session.flush()
    return application


async def cancel(
    session: AsyncSession, application: Application, reason: str, *, appeal_days: int
) -> Application:
    """Staff cancel a participant's enrolment; the place goes to the next on the waitlist."""
    if application.status != ApplicationStatus.enrolled:
        raise InvalidState(application.status)
    if application.round_id is not None:
        await lock_round(session, application.round_id)
    return await _end_participation(
        session, application, ApplicationStatus.cancelled, reason, appeal_days
    )


async def _end_participation(
    session: AsyncSession,
    application: Application,
    status: ApplicationStatus,
    reason: str,
    appeal_days: int,
) -> Application:
    application.status = status
    application.closed_at = utcnow()
    application.close_reason = reason
    await session.flush()
    await add_event(session, EnrollmentCancelled(participant_id=application.id, reason=reason))
    if application.round_id is not None:
        await fill_freed_place(
            session, application.round_id, application.id, appeal_days=appeal_days
        )
    return application
