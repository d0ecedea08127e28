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
from datetime import date, datetime, timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import utcnow
from shared.events import Envelope, GrievanceResolved
from shared.events.catalog import DecisionKind, _DecisionRecorded, _DecisionReversed
from shared.i18n import DEFAULT_LANGUAGE, add_messages, translate
from shared.messaging.outbox import add_event, add_events, driver_connection
from shared.paging import Page, PageParams, paginate
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


add_messages(
    {
        "decision.how-to-appeal": {
            "az": "{until} tarixinədək iş üzrə məmura və ya sizi yönləndirən tərəfdaş təşkilata "
            "apellyasiya verilə bilər: monitorinq xidmətində decision_id göstərilməklə "
            "POST /v1/grievances",
            "en": "an appeal may be lodged until {until} with a case officer or the referring "
            "partner: POST /v1/grievances in monitoring naming decision_id",
            "ru": "обжаловать можно до {until} через социального работника или направившую "
            "организацию-партнёра: POST /v1/grievances в сервисе monitoring с указанием "
            "decision_id",
        }
    }
)


def how_to_appeal(appeal_until: date, language: str = DEFAULT_LANGUAGE) -> str:
    return translate("decision.how-to-appeal", language, {"until": appeal_until.isoformat()})


class DecisionOut(BaseModel):
    """An adverse decision as the readers of what it was made on see it: who made it, when and
    why (coded), until when and how it may be appealed, and whether an upheld appeal reversed it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision_id": "0b6f3c2e-4a51-4d8e-9f3a-2c1d5e7a9b10",
                    "application_id": "3c9e0f4a-1b2d-4e6f-8a0b-2c4d6e8f0a1b",
                    "kind": "plan_rejected",
                    "reason": "no_market",
                    "decided_by": "staff:reviewer-1",
                    "decided_at": "2026-12-04T09:30:00Z",
                    "appeal_until": "2027-01-03",
                    "appealable": True,
                    "how_to_appeal": how_to_appeal(date(2027, 1, 3)),
                    "ref_id": "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "reversed_at": None,
                    "reversal_effect": None,
                }
            ]
        }
    )

    decision_id: uuid.UUID = Field(description="What an appeal names")
    application_id: uuid.UUID
    kind: DecisionKind
    reason: str = Field(description="Coded, e.g. failed rule codes joined by commas")
    decided_by: str = Field(description='"staff:<sub>", or "rules" for an automatic assessment')
    decided_at: datetime
    appeal_until: date
    appealable: bool = Field(description="Not reversed, and appeal_until has not passed")
    how_to_appeal: str | None = Field(description="Where and until when, while appealable")
    ref_id: uuid.UUID | None = Field(
        description="What was decided on: the round, proposal, plan, order or unit"
    )
    reversed_at: datetime | None
    reversal_effect: str | None = Field(
        description="Coded: reassessed, waitlisted, exclusion_lifted, plan_reopened, "
        "order_restored, item_status_corrected, no_change"
    )

    @classmethod
    def of(
        cls,
        row: Any,
        today: date | None = None,
        language: str = DEFAULT_LANGUAGE,
        **more: Any,
    ) -> Self:
        """From a row of `adverse_decisions` (or a read model of the same names), with
        `how_to_appeal` in `language`; `more` fills a subclass's own fields."""
        appealable = row.reversed_at is None and (today or utcnow().date()) <= row.appeal_until
        return cls(
            decision_id=row.id,
            application_id=row.application_id,
            kind=row.kind,
            reason=row.reason,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            appeal_until=row.appeal_until,
            appealable=appealable,
            how_to_appeal=how_to_appeal(row.appeal_until, language) if appealable else None,
            ref_id=row.ref_id,
            reversed_at=row.reversed_at,
            reversal_effect=row.reversal_effect,
            **more,
        )


async def decisions_page(
    session: AsyncSession,
    condition: ColumnElement[bool],
    page: PageParams,
    language: str = DEFAULT_LANGUAGE,
) -> Page[DecisionOut]:
    """The decisions recorded here that meet `condition` (e.g. on one plan), oldest first. The
    caller has checked that the principal may read what they were made on."""
    return await paginate(
        session,
        select(DECISIONS).where(condition),
        key_columns=(DECISIONS.c.decided_at, DECISIONS.c.id),
        params=page,
        to_item=lambda row: DecisionOut.of(row, language=language),
    )


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
