"""Erasure: a person's personal fields removed, on a lawful request or once retention elapsed
after their every case closed. What one person, one benefit and the reports need stays: the FIN's
keyed hash, benefit and exclusion, region, sex, categories, and the applications' coded facts.
Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.applicants.models import Applicant, ApplicantCategory, AuditEntry
from intake.applications.models import Application, ApplicationStatus
from intake.privacy.models import AccessExport, ExportStatus
from shared.events import ApplicantErased, CaseClosed, Envelope
from shared.messaging.outbox import add_event

log = logging.getLogger(__name__)

Basis = Literal["retention_elapsed", "lawful_request"]

# Who erased, in the audit log, when no person did.
RETENTION = "system:retention"
# The fields erasure empties (categories' documents go with their rows).
ERASED_FIELDS = (
    "fin_ciphertext",
    "first_name",
    "last_name",
    "patronymic",
    "name_folded",
    "birth_date",
    "phone",
    "address",
)
# Applications still in progress: a person with one is not erased by retention.
OPEN = (ApplicationStatus.eligible, ApplicationStatus.waitlisted, ApplicationStatus.enrolled)
RETENTION_BATCH = 100


async def erase(
    session: AsyncSession,
    applicant: Applicant,
    *,
    basis: Basis,
    by: str,
    now: datetime,
    reason: str | None = None,
) -> list[uuid.UUID]:
    """Erases the person (and records merged into theirs); returns their application ids."""
    merged = select(Applicant.id).where(Applicant.merged_into_id == applicant.id)
    people = [applicant.id, *await session.scalars(merged)]
    await session.execute(
        update(Applicant)
        .where(Applicant.id.in_(people))
        .values(
            **dict.fromkeys(ERASED_FIELDS),
            erased_at=now,
            erasure_basis=basis,
            version=Applicant.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(ApplicantCategory).where(ApplicantCategory.applicant_id.in_(people))
    )
    # The exports held a copy of the data: the record of the request stays, its content goes.
    await session.execute(
        update(AccessExport)
        .where(AccessExport.applicant_id.in_(people))
        .values(content=None, status=ExportStatus.purged)
    )
    application_ids = list(
        await session.scalars(
            select(Application.id)
            .where(Application.applicant_id.in_(people))
            .order_by(Application.id)
        )
    )
    session.add(
        AuditEntry(
            principal=by,
            action="erase",
            resource="applicant",
            resource_id=applicant.id,
            reason=f"{basis}:{reason}" if reason else basis,
        )
    )
    await add_event(
        session,
        ApplicantErased(
            applicant_id=applicant.id,
            application_ids=application_ids,
            basis=basis,
            erased_at=now,
        ),
    )
    await session.flush()
    await session.refresh(applicant)
    return application_ids


def _open() -> ColumnElement[bool]:
    return Application.status.in_(OPEN) & Application.case_closed_on.is_(None)


async def has_open_application(session: AsyncSession, applicant_id: uuid.UUID) -> bool:
    """Still in the programme: an application awaiting selection, or a case not closed."""
    found = await session.scalar(
        select(exists().where(Application.applicant_id == applicant_id, _open()))
    )
    return bool(found)


def retention_due(now: datetime, retention_days: int) -> Select[uuid.UUID]:
    """People whose every case closed (at least one) before the retention period, with nothing
    open since: nothing of the programme needs their personal fields any more."""
    cutoff = now - timedelta(days=retention_days)
    mine = Application.applicant_id == Applicant.id
    recent_or_open = or_(
        _open(),
        Application.case_closed_on > cutoff.date(),
        Application.submitted_at > cutoff,
    )
    return (
        select(Applicant.id)
        .where(
            Applicant.erased_at.is_(None),
            Applicant.merged_into_id.is_(None),
            exists().where(mine, Application.case_closed_on.is_not(None)),
            ~exists().where(mine, recent_or_open),
        )
        .order_by(Applicant.id)
        .limit(RETENTION_BATCH)
    )


async def erase_elapsed(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, retention_days: int
) -> int:
    """Erases everyone whose retention elapsed by `now`, a batch per transaction; returns how
    many."""
    erased = 0
    while True:
        async with sessionmaker() as session, session.begin():
            # Skip locked: two instances of the worker share the work instead of waiting.
            locked = retention_due(now, retention_days).with_for_update(
                skip_locked=True, of=Applicant
            )
            due = list(await session.scalars(locked))
            for applicant_id in due:
                applicant = await session.get_one(Applicant, applicant_id)
                await erase(session, applicant, basis="retention_elapsed", by=RETENTION, now=now)
        erased += len(due)
        if len(due) < RETENTION_BATCH:
            break
    if erased:
        log.info("retention: erased %d person(s)", erased)
    return erased


async def on_case_closed(session: AsyncSession, event: CaseClosed, envelope: Envelope) -> None:
    """Retention runs from the day the participant's case closed (the latest, if closed again)."""
    await session.execute(
        update(Application)
        .where(Application.id == event.participant_id)
        .values(case_closed_on=func.greatest(Application.case_closed_on, event.closed_on))
        .execution_options(synchronize_session=False)
    )
