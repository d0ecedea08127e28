"""Re-assessing a round's applications after its rules or weights changed while it is open, or
one application whose ineligibility an appeal overturned: the same `assess` as at submission, in
one set-based pass in the caller's transaction. Flushes, never commits."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.models import Applicant
from intake.applications.models import Application, ApplicationStatus
from intake.applications.service import assess, ineligibility
from intake.rounds.models import Round
from intake.rounds.rules import Facts
from shared.db import utcnow
from shared.decisions import NewDecision, record_decisions
from shared.events import ApplicationAssessed, IntakeDecisionRecorded
from shared.messaging.outbox import add_events, driver_connection

log = logging.getLogger(__name__)

# Submitted and still waiting for the selection; enrolled, waitlisted, withdrawn and cancelled
# applications keep the assessment they were decided on.
REASSESSED = (ApplicationStatus.eligible, ApplicationStatus.ineligible)

A = cast(sa.Table, Application.__table__)
P = cast(sa.Table, Applicant.__table__)

# One statement for every changed application (ids, statuses, assessments, scores, breakdowns).
_UPDATE = """
UPDATE applications AS a
SET status = v.status, assessment = v.assessment::jsonb, score = v.score,
    score_breakdown = v.breakdown::jsonb, assessed_at = $6, version = a.version + 1
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::text[])
    AS v(id, status, assessment, score, breakdown)
WHERE a.id = v.id
"""


@dataclass(frozen=True)
class Reassessment:
    applications: int  # how many were assessed again
    changed: int  # how many now have another eligibility, failed rules or score


def _result(eligible: bool, assessment: list[dict[str, Any]], score: Decimal | None) -> object:
    """What the assessed event says: a change here is what the other services hear about."""
    return (eligible, [r["rule"] for r in assessment if not r["passed"]], score)


async def reassess_round(session: AsyncSession, round_: Round, *, appeal_days: int) -> Reassessment:
    """Assess the round's submitted applications with its current rules and weights. The facts are
    the ones the first assessment used: region, categories and sex as the application recorded
    them (selection and the events use those), the rest from the applicant's record. Rows whose
    assessment differs are updated; `intake.application.assessed` goes out only for those whose
    eligibility, failed rules or score changed, and each one now found not eligible is recorded
    as an adverse decision.

    The caller has updated the round row, so submissions (which share its lock) wait for this
    transaction and then read the new rules; the applications are locked against other changes.
    """
    rows = await _submitted(session, A.c.round_id == round_.id)
    result = await _reassess_rows(session, round_, rows, appeal_days)
    log.info(
        "round %s re-assessed: %d applications, %d results changed",
        round_.id,
        result.applications,
        result.changed,
    )
    return result


async def reassess_application(
    session: AsyncSession, application_id: uuid.UUID, *, appeal_days: int
) -> Reassessment:
    """One application assessed again now (an appeal against its ineligibility was upheld), with
    its round's current rules, or none for a direct application."""
    rows = await _submitted(session, A.c.id == application_id)
    round_id = rows[0].round_id if rows else None
    round_ = await session.get(Round, round_id) if round_id is not None else None
    return await _reassess_rows(session, round_, rows, appeal_days)


async def _reassess_rows(
    session: AsyncSession, round_: Round | None, rows: Sequence[Any], appeal_days: int
) -> Reassessment:
    now = utcnow()
    updates: list[tuple[Any, ...]] = []
    events: list[ApplicationAssessed] = []
    for row in rows:
        update, event = _reassess(round_, row)
        if update is not None:
            updates.append(update)
        if event is not None:
            events.append(event)
    if updates:
        ids, statuses, assessments, scores, breakdowns = map(list, zip(*updates, strict=True))
        connection = await driver_connection(session)
        await connection.execute(_UPDATE, ids, statuses, assessments, scores, breakdowns, now)
    await add_events(session, events)
    partners = {row.id: row.partner_id for row in rows}
    decisions: list[NewDecision] = [
        ineligibility(
            event.application_id,
            event.failed_rules,
            round_id=event.round_id,
            partner_id=partners[event.application_id],
            at=now,
        )
        for event in events
        if not event.eligible
    ]
    await record_decisions(session, IntakeDecisionRecorded, decisions, appeal_days=appeal_days)
    return Reassessment(applications=len(rows), changed=len(events))


async def _submitted(session: AsyncSession, *where: sa.ColumnElement[bool]) -> Sequence[Any]:
    """The applications still to place, with the applicant's facts, locked."""
    rows = await session.execute(
        sa.select(
            A.c.id,
            A.c.round_id,
            A.c.partner_id,
            A.c.status,
            A.c.region,
            A.c.categories,
            A.c.sex,
            A.c.submitted_at,
            A.c.assessment,
            A.c.score,
            A.c.score_breakdown,
            P.c.birth_date,
            P.c.household_size,
            P.c.benefited_at,
            P.c.excluded_rule,
        )
        .join(P, P.c.id == A.c.applicant_id)
        # An erased person's refused application stays refused: their facts are gone.
        .where(*where, A.c.status.in_(REASSESSED), P.c.erased_at.is_(None))
        .order_by(A.c.id)
        .with_for_update(of=A)
    )
    return rows.all()


def _reassess(
    round_: Round | None, row: Any
) -> tuple[tuple[Any, ...] | None, ApplicationAssessed | None]:
    """One application's new row values (None: unchanged) and its event (None: same result)."""
    facts = Facts(
        birth_date=row.birth_date,
        sex=row.sex,
        household_size=row.household_size,
        categories=frozenset(row.categories),
        region=row.region,
        benefited_at=row.benefited_at,
        # As at submission: a direct application counts ages at the day it was submitted.
        reference_date=round_.period_start if round_ is not None else row.submitted_at.date(),
        excluded_rule=row.excluded_rule,
    )
    results, points, breakdown = assess(round_, facts, row.submitted_at)
    eligible = all(r.passed for r in results)
    assessment = [r.model_dump(mode="json") for r in results]
    factors = [f.model_dump(mode="json") for f in breakdown]
    status = ApplicationStatus.eligible if eligible else ApplicationStatus.ineligible
    if (status, assessment, points, factors) == (
        row.status,
        row.assessment,
        row.score,
        row.score_breakdown,
    ):
        return None, None
    update = (row.id, status.value, json.dumps(assessment), points, json.dumps(factors))
    before = _result(row.status == ApplicationStatus.eligible, row.assessment, row.score)
    if _result(eligible, assessment, points) == before:
        return update, None
    return update, ApplicationAssessed(
        application_id=row.id,
        round_id=row.round_id,
        eligible=eligible,
        failed_rules=[r.rule for r in results if not r.passed],
        score=points,
    )
