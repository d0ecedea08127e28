"""What plans holds about a person's applications: their part of an access request, and the
removal of the free text about them once intake erased the person. Functions flush, never commit.

A participant's id is its enrolled application's, so the application ids are participant ids.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plans.business_plans.models import BusinessPlan, PlanItem, PlanVersion
from plans.participants.models import DirectionConsultation, Participant
from plans.trainings.models import AttendanceDay, Enrolment
from shared.decisions import DECISIONS
from shared.events import ApplicantErased, Envelope

# What a plan's narrative becomes in a submitted version's snapshot once erased.
NARRATIVE = ("activity", "place", "market")


def _columns(row: object) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in inspect(row).mapper.column_attrs}


async def _all(session: AsyncSession, statement: Any) -> list[dict[str, Any]]:
    return [_columns(row) for row in (await session.scalars(statement)).all()]


async def gather(
    session: AsyncSession, application_ids: list[uuid.UUID]
) -> dict[str, list[dict[str, Any]]]:
    """Every plans record about these participants, by kind (shared/subject_access.py)."""
    plans = select(BusinessPlan.id).where(BusinessPlan.participant_id.in_(application_ids))
    enrolments = await _all(
        session, select(Enrolment).where(Enrolment.participant_id.in_(application_ids))
    )
    days = (
        await session.scalars(
            select(AttendanceDay).where(
                AttendanceDay.session_id.in_([row["session_id"] for row in enrolments])
            )
        )
    ).all()
    # A day's register names everyone present: only whether each of these people was.
    attendance = [
        {
            "participant_id": row["participant_id"],
            "session_id": day.session_id,
            "day": day.day,
            "present": row["participant_id"] in day.present,
        }
        for row in enrolments
        for day in days
        if day.session_id == row["session_id"]
    ]
    return {
        "participants": await _all(
            session, select(Participant).where(Participant.id.in_(application_ids))
        ),
        "direction_consultations": await _all(
            session,
            select(DirectionConsultation).where(
                DirectionConsultation.participant_id.in_(application_ids)
            ),
        ),
        "business_plans": await _all(
            session, select(BusinessPlan).where(BusinessPlan.id.in_(plans))
        ),
        "plan_items": await _all(session, select(PlanItem).where(PlanItem.plan_id.in_(plans))),
        "plan_versions": await _all(
            session, select(PlanVersion).where(PlanVersion.plan_id.in_(plans))
        ),
        "training_enrolments": enrolments,
        "training_attendance": attendance,
    }


async def erase_free_text(session: AsyncSession, application_ids: list[uuid.UUID]) -> None:
    """Removes what was written in words about these participants (a plan's narrative, the
    reviewers' comments and notes, a consultation's reason, a rejection's note); amounts,
    codes and dates stay, so that reports do not change."""
    plans = select(BusinessPlan.id).where(BusinessPlan.participant_id.in_(application_ids))
    await session.execute(
        update(BusinessPlan)
        .where(BusinessPlan.id.in_(plans))
        # A new version: a form still open on the old text is stale.
        .values(activity=None, place=None, market=None, version=BusinessPlan.version + 1)
        .execution_options(synchronize_session=False)
    )
    versions = (
        await session.scalars(select(PlanVersion).where(PlanVersion.plan_id.in_(plans)))
    ).all()
    for version in versions:
        version.content = {**version.content, **dict.fromkeys(NARRATIVE)}
        version.comments = [{**comment, "comment": ""} for comment in version.comments]
        version.checklist = {
            check: {**result, "note": None} for check, result in version.checklist.items()
        }
    await session.execute(
        update(DirectionConsultation)
        .where(DirectionConsultation.participant_id.in_(application_ids))
        .values(reason="")
    )
    await session.execute(
        update(DECISIONS).where(DECISIONS.c.application_id.in_(application_ids)).values(note=None)
    )
    await session.flush()


async def on_applicant_erased(
    session: AsyncSession, event: ApplicantErased, envelope: Envelope
) -> None:
    await erase_free_text(session, event.application_ids)
