"""Grievances and appeals: a person's complaint, or an appeal against a decision named in the
decisions read model, with its deadlines, owner and escalations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitoring.base import Base
from shared.db import utcnow
from shared.repository import OwnedBy


class GrievanceType(StrEnum):
    grievance = "grievance"
    appeal = "appeal"


class Category(StrEnum):
    service_complaint = "service_complaint"
    suspected_fraud = "suspected_fraud"
    data_error = "data_error"
    decision = "decision"  # an appeal's, and only an appeal's


class Channel(StrEnum):
    office = "office"
    phone = "phone"
    partner = "partner"
    online = "online"


class GrievanceStatus(StrEnum):
    lodged = "lodged"
    acknowledged = "acknowledged"
    resolved = "resolved"


class GrievanceOutcome(StrEnum):
    upheld = "upheld"
    dismissed = "dismissed"
    resolved = "resolved"
    withdrawn = "withdrawn"


class Grievance(Base):
    __tablename__ = "grievances"
    __table_args__ = (Index("ix_grievances_lodged_at_id", "lodged_at", "id"),)
    # The partner who referred the person (who may lodge for them), while the person's consent
    # to share with it stands.
    __partner__ = OwnedBy("partner_id", application="application_id")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    type: Mapped[GrievanceType] = mapped_column(String(16))
    category: Mapped[Category] = mapped_column(String(32))
    channel: Mapped[Channel] = mapped_column(String(16))
    decision_id: Mapped[uuid.UUID | None]
    decision_service: Mapped[str | None] = mapped_column(String(16))
    # Free text: stays in monitoring, never in events or logs; erased with the person.
    description: Mapped[str | None] = mapped_column(Text)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    lodged_by: Mapped[str] = mapped_column(Text)
    lodged_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledge_by: Mapped[date]
    resolve_by: Mapped[date]
    status: Mapped[GrievanceStatus] = mapped_column(
        String(16), default=GrievanceStatus.lodged, index=True
    )
    owner_id: Mapped[str | None] = mapped_column(String(128), index=True)
    owner_role: Mapped[str] = mapped_column(String(32))
    escalation_level: Mapped[int] = mapped_column(default=0)
    # Each deadline escalates once: when it did.
    acknowledge_escalated_at: Mapped[datetime | None]
    resolve_escalated_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[GrievanceOutcome | None] = mapped_column(String(16))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
