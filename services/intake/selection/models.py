"""Selection jobs and their proposed results (one row per ranked application)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow
from shared.repository import STAFF_ONLY


class SelectionStatus(StrEnum):
    queued = "queued"
    running = "running"
    proposed = "proposed"
    committed = "committed"
    discarded = "discarded"
    failed = "failed"


class Outcome(StrEnum):
    selected = "selected"
    waitlisted = "waitlisted"
    # Received assets (one person, one benefit) after applying: skipped at commit or promotion.
    ineligible = "ineligible"


class Selection(Base):
    __tablename__ = "selections"
    __partner__ = STAFF_ONLY

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id"), index=True)
    status: Mapped[SelectionStatus] = mapped_column(String(16), default=SelectionStatus.queued)
    processed: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    # What the results were computed from; a commit recomputes it and refuses on a difference.
    inputs_hash: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    # Times a runner took the job up; a crashed run leaves it running, to be taken up again.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    requested_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    committed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class SelectionResult(Base):
    __tablename__ = "selection_results"
    __partner__ = STAFF_ONLY

    selection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("selections.id", ondelete="CASCADE"), primary_key=True
    )
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applications.id"), primary_key=True, index=True
    )
    region: Mapped[str] = mapped_column(String(8))
    rank: Mapped[int]  # within the region, 1 = best
    outcome: Mapped[Outcome] = mapped_column(String(16))
    reserved: Mapped[bool]  # holds one of the places reserved for priority categories
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    waitlist_position: Mapped[int | None]
    promoted_at: Mapped[datetime | None]  # moved from the waitlist into a freed place

    __table_args__ = (
        Index("ix_selection_results_page", "selection_id", "region", "rank", unique=True),
    )
