"""The adverse decisions assets recorded (shared/decisions.py), as the readers of the order they
were made on see them: with how and until when to appeal, and whether an appeal reversed them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.decisions import DECISIONS
from shared.paging import Page, PageParams, paginate

HOW_TO_APPEAL = (
    "an appeal may be lodged until {until} with a case officer or the referring partner: "
    "POST /v1/grievances in monitoring naming decision_id"
)


class DecisionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision_id": "0b6f3c2e-4a51-4d8e-9f3a-2c1d5e7a9b10",
                    "kind": "order_cancelled",
                    "reason": "participant_withdrew",
                    "decided_by": "staff:officer-1",
                    "decided_at": "2026-12-04T09:30:00Z",
                    "appeal_until": "2027-01-03",
                    "how_to_appeal": HOW_TO_APPEAL.format(until="2027-01-03"),
                    "reversed_at": None,
                    "reversal_effect": None,
                }
            ]
        }
    )

    decision_id: uuid.UUID = Field(description="What an appeal names")
    kind: str = Field(description="e.g. order_cancelled")
    reason: str = Field(description="Coded")
    decided_by: str
    decided_at: datetime
    appeal_until: date
    how_to_appeal: str
    reversed_at: datetime | None
    reversal_effect: str | None = Field(description="Coded, e.g. order_restored")

    @classmethod
    def of(cls, row: Any) -> DecisionOut:
        return cls(
            decision_id=row.id,
            kind=row.kind,
            reason=row.reason,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            appeal_until=row.appeal_until,
            how_to_appeal=HOW_TO_APPEAL.format(until=row.appeal_until.isoformat()),
            reversed_at=row.reversed_at,
            reversal_effect=row.reversal_effect,
        )


async def decisions_on(
    session: AsyncSession, ref_id: uuid.UUID, page: PageParams
) -> Page[DecisionOut]:
    """The decisions made on one order, oldest first. The caller has checked that
    the principal may read that resource."""
    return await paginate(
        session,
        select(DECISIONS).where(DECISIONS.c.ref_id == ref_id),
        key_columns=(DECISIONS.c.decided_at, DECISIONS.c.id),
        params=page,
        to_item=DecisionOut.of,
    )
