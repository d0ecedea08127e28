"""A person's rights in monitoring: consent to share with the referring partner, their part of an
access request, erasure of the free text about them, and the reversal of monitoring's own
decisions on an upheld appeal."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.cases.models import Case, Flag
from monitoring.grievances.models import Grievance
from monitoring.readmodels.models import Decision, TimelineEntry
from monitoring.settings import MonitoringSettings
from monitoring.visits.models import Visit, VisitPhoto, VisitReport
from monitoring.visits.service import correct_item_status
from shared.consent import on_consent_changed
from shared.decisions import appeal_handler
from shared.events import (
    ApplicantErased,
    ConsentChanged,
    Envelope,
    GrievanceResolved,
    MonitoringDecisionReversed,
)
from shared.filestore import store_from_settings
from shared.messaging.consumer import Handler
from shared.subject_access import subject_access_router


def _as_dict(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in type(row).__table__.c}


async def _all(session: AsyncSession, model: type[Any], *where: ColumnElement[bool]) -> list[Any]:
    return list((await session.scalars(select(model).where(*where))).all())


async def gather(session: AsyncSession, ids: list[uuid.UUID]) -> dict[str, list[dict[str, Any]]]:
    """Everything monitoring holds about these applications (a participant's id is its
    application's), notes and descriptions included: the person's own data."""
    visits = await _all(session, Visit, Visit.participant_id.in_(ids))
    reports = await _all(
        session, VisitReport, VisitReport.visit_id.in_([visit.id for visit in visits])
    )
    return {
        "cases": [_as_dict(row) for row in await _all(session, Case, Case.participant_id.in_(ids))],
        "visits": [_as_dict(row) for row in visits],
        "visit_reports": [
            {**_as_dict(report), "items": [_as_dict(item) for item in report.items]}
            for report in reports
        ],
        "flags": [_as_dict(row) for row in await _all(session, Flag, Flag.participant_id.in_(ids))],
        "grievances": [
            _as_dict(row)
            for row in await _all(session, Grievance, Grievance.application_id.in_(ids))
        ],
        "timeline": [
            _as_dict(row)
            for row in await _all(session, TimelineEntry, TimelineEntry.participant_id.in_(ids))
        ],
        "decisions": [
            _as_dict(row) for row in await _all(session, Decision, Decision.application_id.in_(ids))
        ],
    }


_PARTICIPANT = "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11"
_ACCESS_EXAMPLE = {
    "service": "monitoring",
    "application_ids": [_PARTICIPANT],
    "records": {
        "cases": [{"participant_id": _PARTICIPANT, "status": "open", "region": "AZ-GA"}],
        "visits": [{"id": "5d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a", "month": 1, "notes": None}],
        "visit_reports": [{"operating": True, "notes": "Hives in the garden", "items": []}],
        "flags": [],
        "grievances": [{"type": "grievance", "category": "service_complaint"}],
        "timeline": [{"event_type": "intake.participant.enrolled"}],
        "decisions": [],
        "adverse_decisions": [],
    },
}


def subject_access() -> APIRouter:
    """Monitoring's part of a person's access request (shared.subject_access), with an example of
    the records it answers."""
    router = APIRouter()
    router.include_router(
        subject_access_router("monitoring", gather),
        responses={200: {"content": {"application/json": {"example": _ACCESS_EXAMPLE}}}},
    )
    return router


async def erase(
    session: AsyncSession, participant_ids: Sequence[uuid.UUID], settings: MonitoringSettings
) -> None:
    """Removes the free text and photos about these people, keeping the coded facts (statuses,
    dates, amounts, outcomes), so that every report stays as it was."""
    ids = list(participant_ids)
    if not ids:
        return
    visit_ids = select(Visit.id).where(Visit.participant_id.in_(ids)).scalar_subquery()
    await session.execute(update(Visit).where(Visit.participant_id.in_(ids)).values(notes=None))
    await session.execute(
        update(VisitReport)
        .where(VisitReport.visit_id.in_(visit_ids))
        .values(notes=None, latitude=None, longitude=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Flag).where(Flag.participant_id.in_(ids)).values(resolution_note=None)
    )
    await session.execute(
        update(Grievance)
        .where(Grievance.application_id.in_(ids))
        .values(description=None, resolution_note=None)
    )
    photos = await session.execute(
        delete(VisitPhoto).where(VisitPhoto.visit_id.in_(visit_ids)).returning(VisitPhoto.key)
    )
    store = store_from_settings(settings)
    for (key,) in photos.all():
        await store.delete(key)


def handlers(settings: MonitoringSettings) -> dict[str, Handler]:
    async def on_applicant_erased(
        session: AsyncSession, event: ApplicantErased, envelope: Envelope
    ) -> None:
        await erase(session, event.application_ids, settings)

    return {
        ConsentChanged.type: on_consent_changed,
        ApplicantErased.type: on_applicant_erased,
        # Monitoring reverses its own item status findings like any owner of a decision.
        GrievanceResolved.type: appeal_handler(
            "monitoring", MonitoringDecisionReversed, {"item_status": correct_item_status}
        ),
    }
