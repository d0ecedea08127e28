"""Decisions that hurt a person, kept by the service that makes them, and their reversal on appeal.

Each service records its adverse decisions (ineligible, not selected, excluded, plan rejected,
order cancelled, an item's status found against the person) in its own `adverse_decisions` table
with `record_decision`, which announces `<service>.decision.recorded` in the same transaction.
Monitoring gathers them for the person's timeline and for appeals; an appeal upheld there comes
back as `monitoring.grievance.resolved`, and `appeal_handler` hands the decision to the owning
service's reversal for its kind, then marks it reversed and announces `<service>.decision.reversed`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import utcnow
from shared.events import Envelope, GrievanceResolved
from shared.events.catalog import DecisionKind, _DecisionRecorded, _DecisionReversed
from shared.messaging.outbox import add_event, add_events, driver_connection
from shared.tables import SHARED_TABLES

log = logging.getLogger(__name__)

AUTOMATIC = "rules"
"""`decided_by` of a decision the rules made with no person (an eligibility assessment)."""

DECISIONS = SHARED_TABLES.adverse_decisions

Reversal = Callable[[AsyncSession, Row[Any], GrievanceResolved], Awaitable[str]]
"""Undoes one kind of decision in the owning service; returns the coded effect."""


@dataclass(frozen=True)
class NewDecision:
    """One decision for `record_decisions`: what `record_decision` takes, as a value."""

    application_id: uuid.UUID
    kind: DecisionKind
    reason: str
    decided_by: str
    decided_at: datetime
    note: str | None = None
    ref_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None


async def record_decision(
    session: AsyncSession,
    announce: type[_DecisionRecorded],
    *,
    application_id: uuid.UUID,
    kind: DecisionKind,
    reason: str,
    decided_by: str,
    appeal_days: int,
    note: str | None = None,
    ref_id: uuid.UUID | None = None,
    partner_id: uuid.UUID | None = None,
    decided_at: datetime | None = None,
) -> uuid.UUID:
    """Records an adverse decision and announces it with `announce` (the service's own
    `<service>.decision.recorded`). The note stays here; the event carries the coded reason."""
    decision = NewDecision(
        application_id=application_id,
        kind=kind,
        reason=reason,
        decided_by=decided_by,
        decided_at=decided_at or utcnow(),
        note=note,
        ref_id=ref_id,
        partner_id=partner_id,
    )
    row, event = _recorded(decision, announce, appeal_days)
    await session.execute(DECISIONS.insert().values(**row))
    await add_event(session, event)
    return event.decision_id


async def record_decisions(
    session: AsyncSession,
    announce: type[_DecisionRecorded],
    decisions: Iterable[NewDecision],
    *,
    appeal_days: int,
) -> list[uuid.UUID]:
    """`record_decision` for many at once (an import chunk, a committed selection): one COPY of
    the rows and one of their events. Returns the decisions' ids."""
    recorded = [_recorded(decision, announce, appeal_days) for decision in decisions]
    if recorded:
        columns = list(recorded[0][0])
        connection = await driver_connection(session)
        await connection.copy_records_to_table(
            DECISIONS.name,
            records=[tuple(row[c] for c in columns) for row, _ in recorded],
            columns=columns,
        )
        await add_events(session, [event for _, event in recorded])
    return [event.decision_id for _, event in recorded]


def _recorded(
    decision: NewDecision, announce: type[_DecisionRecorded], appeal_days: int
) -> tuple[dict[str, Any], _DecisionRecorded]:
    """The decision's row and its announcement."""
    appeal_until = decision.decided_at.date() + timedelta(days=appeal_days)
    row = {"id": uuid.uuid4(), **asdict(decision), "appeal_until": appeal_until}
    event = announce(
        decision_id=row["id"],
        application_id=decision.application_id,
        kind=decision.kind,
        reason=decision.reason,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
        appeal_until=appeal_until,
        ref_id=decision.ref_id,
        partner_id=decision.partner_id,
    )
    return row, event


async def find_decision(session: AsyncSession, decision_id: uuid.UUID) -> Row[Any] | None:
    result = await session.execute(
        select(DECISIONS).where(DECISIONS.c.id == decision_id).with_for_update()
    )
    return result.first()


async def decisions_about(
    session: AsyncSession, application_ids: list[uuid.UUID]
) -> list[Row[Any]]:
    """Every decision recorded here about these applications, oldest first (for exports)."""
    result = await session.execute(
        select(DECISIONS)
        .where(DECISIONS.c.application_id.in_(application_ids))
        .order_by(DECISIONS.c.decided_at, DECISIONS.c.id)
    )
    return list(result)


def appeal_handler(
    service: str,
    announce: type[_DecisionReversed],
    reversals: Mapping[str, Reversal],
) -> Callable[[AsyncSession, GrievanceResolved, Envelope], Awaitable[None]]:
    """The handler of `monitoring.grievance.resolved` for `service`: an upheld appeal against one
    of its decisions runs the reversal for the decision's kind, once."""

    async def on_grievance_resolved(
        session: AsyncSession, event: GrievanceResolved, envelope: Envelope
    ) -> None:
        if (
            event.grievance_type != "appeal"
            or event.outcome != "upheld"
            or event.decision_service != service
            or event.decision_id is None
        ):
            return
        decision = await find_decision(session, event.decision_id)
        if decision is None:
            log.warning(
                "appeal %s names unknown decision %s", event.grievance_id, event.decision_id
            )
            return
        if decision.reversed_at is not None:
            return
        reverse = reversals.get(decision.kind)
        if reverse is None:
            log.warning(
                "decision %s of kind %s cannot be reversed here", decision.id, decision.kind
            )
            return
        effect = await reverse(session, decision, event)
        at = utcnow()
        await session.execute(
            update(DECISIONS)
            .where(DECISIONS.c.id == decision.id)
            .values(
                reversed_at=at, reversed_by_grievance_id=event.grievance_id, reversal_effect=effect
            )
        )
        await add_event(
            session,
            announce(
                decision_id=decision.id,
                application_id=decision.application_id,
                grievance_id=event.grievance_id,
                effect=effect,
                reversed_at=at,
            ),
        )

    return on_grievance_resolved
