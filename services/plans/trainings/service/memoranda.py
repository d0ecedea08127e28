"""Plans' copy of partners' memoranda (from intake.memorandum.recorded): a partner runs a
session only within one that covers trainings, from its first day to its last."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import any_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from plans.trainings.models import PartnerMemorandum
from shared.events import MemorandumRecorded
from shared.problems import FieldError, ValidationProblem

TRAININGS_AREA = "trainings"


async def record_memorandum(
    session: AsyncSession, event: MemorandumRecorded, recorded_at: datetime
) -> None:
    """Upserts plans' copy of a memorandum; an event older than the copy changes nothing."""
    values = {
        "memorandum_id": event.memorandum_id,
        "partner_id": event.partner_id,
        "areas": sorted(set(event.areas)),
        "valid_from": event.valid_from,
        "valid_to": event.valid_to,
        "recorded_at": recorded_at,
    }
    statement = insert(PartnerMemorandum).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PartnerMemorandum.memorandum_id],
            set_={name: statement.excluded[name] for name in values if name != "memorandum_id"},
            where=PartnerMemorandum.recorded_at <= statement.excluded.recorded_at,
        )
    )


def _in_force(memorandum: PartnerMemorandum, day: date) -> bool:
    return memorandum.valid_from <= day and (
        memorandum.valid_to is None or day <= memorandum.valid_to
    )


async def check_memorandum(
    session: AsyncSession, partner_id: uuid.UUID, starts_on: date, ends_on: date
) -> None:
    """Refuses (422) a session of the partner's unless one of its memoranda that covers trainings
    is in force from the first day to the last: on `run_by_partner_id` when it has none at all,
    else on the date (or dates) outside them, with the memoranda's periods in `memoranda`."""
    memoranda = list(
        await session.scalars(
            select(PartnerMemorandum)
            .where(
                PartnerMemorandum.partner_id == partner_id,
                any_(PartnerMemorandum.areas) == TRAININGS_AREA,
            )
            .order_by(PartnerMemorandum.valid_from, PartnerMemorandum.memorandum_id)
        )
    )
    if not memoranda:
        raise ValidationProblem(
            [
                FieldError(
                    field="body.run_by_partner_id",
                    code="no_training_memorandum",
                    message="field.no-training-memorandum",
                )
            ],
            detail="detail.no-training-memorandum",
        )
    if any(_in_force(m, starts_on) and _in_force(m, ends_on) for m in memoranda):
        return
    outside = [
        field
        for field, day in (("starts_on", starts_on), ("ends_on", ends_on))
        if not any(_in_force(m, day) for m in memoranda)
    ]
    # Both days covered, but by different memoranda: the period as a whole is not.
    problem = ValidationProblem(
        [
            FieldError(
                field=f"body.{field}",
                code="outside_training_memorandum",
                message="field.outside-training-memorandum",
            )
            for field in outside or ["starts_on", "ends_on"]
        ],
        detail="detail.outside-training-memorandum",
    )
    problem.extras["memoranda"] = [
        {"memorandum_id": m.memorandum_id, "valid_from": m.valid_from, "valid_to": m.valid_to}
        for m in memoranda
    ]
    raise problem
