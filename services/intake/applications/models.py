from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow
from shared.repository import OwnedBy


class ApplicationStatus(StrEnum):
    eligible = "eligible"
    ineligible = "ineligible"
    waitlisted = "waitlisted"
    enrolled = "enrolled"
    withdrawn = "withdrawn"
    cancelled = "cancelled"


class Source(StrEnum):
    staff = "staff"
    partner = "partner"
    import_ = "import"


class Application(Base):
    __tablename__ = "applications"
    # The referring partner's while the person's consent to share with it stands; staff's own
    # have none.
    __partner__ = OwnedBy("partner_id", application="id")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"), index=True)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partners.id"), index=True)
    round_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    source: Mapped[Source] = mapped_column(String(16), default=Source.staff)
    direction: Mapped[str] = mapped_column(Text)
    status: Mapped[ApplicationStatus] = mapped_column(String(16))
    # The applicant's coded facts as assessed: selection and events read them from here.
    region: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    sex: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(8))
    # [{"rule", "passed", "observed", "explanation"}, ...] and [{"factor", "points", "detail"}]
    assessment: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    score_breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    assessed_at: Mapped[datetime | None]
    enrolled_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # withdrawn or cancelled
    close_reason: Mapped[str | None] = mapped_column(String(32))
    # The day monitoring closed the participant's case: retention runs from it.
    case_closed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    # One application per person per round (direct applications have no round).
    __table_args__ = (UniqueConstraint("round_id", "applicant_id"),)
