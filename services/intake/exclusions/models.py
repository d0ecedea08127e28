"""Proposals to exclude a person from the programme, raised by monitoring's flags and decided by
a case officer: until one decides, nobody is excluded."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow
from shared.repository import STAFF_ONLY


class ProposalStatus(StrEnum):
    pending = "pending"
    excluded = "excluded"
    declined = "declined"
    withdrawn = "withdrawn"  # by monitoring: the flag was unfounded or the report corrected
    lifted = "lifted"  # excluded, then an upheld appeal lifted it


class ExclusionProposal(Base):
    __tablename__ = "exclusion_proposals"
    __partner__ = STAFF_ONLY  # a case officer's decision; partners hear of it as an appeal

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"))
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"), index=True)
    flag_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # one proposal per flag
    rule: Mapped[str] = mapped_column(String(64))
    status: Mapped[ProposalStatus] = mapped_column(String(16), default=ProposalStatus.pending)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(32))  # coded: the officer's or the flag's
    note: Mapped[str | None] = mapped_column(Text)  # the officer's; never leaves intake
    decision_id: Mapped[uuid.UUID | None]  # the adverse decision an exclusion recorded
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_exclusion_proposals_status_proposed_at_id", "status", "proposed_at", "id"),
    )
