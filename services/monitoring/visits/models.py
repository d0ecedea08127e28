"""Visits after the handover, the monitors who make them, and their reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ARRAY, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from monitoring.base import Base
from shared.db import utcnow
from shared.repository import OwnedBy


class VisitStatus(StrEnum):
    scheduled = "scheduled"
    reported = "reported"
    cancelled = "cancelled"


class ItemStatus(StrEnum):
    in_use = "in_use"
    missing = "missing"
    sold = "sold"
    dead = "dead"
    broken = "broken"


class Monitor(Base):
    """A member of the field staff who visits businesses: the id is the staff user's JWT subject."""

    __tablename__ = "monitors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Visit(Base):
    __tablename__ = "visits"
    # The partner who referred the participant, copied from the delivery, while the person's
    # consent to share with it stands.
    __partner__ = OwnedBy("partner_id", application="participant_id")
    __table_args__ = (
        UniqueConstraint("delivery_id", "month"),
        Index("ix_visits_due_on_id", "due_on", "id"),
        Index("ix_visits_monitor_id_status", "monitor_id", "status"),
        Index("ix_visits_region_status", "region", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # The participant's first delivery: later partial deliveries only add units.
    delivery_id: Mapped[uuid.UUID]
    delivered_on: Mapped[date | None]
    region: Mapped[str] = mapped_column(String(8))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    month: Mapped[int]
    due_on: Mapped[date]
    status: Mapped[VisitStatus] = mapped_column(String(16), default=VisitStatus.scheduled)
    monitor_id: Mapped[str | None] = mapped_column(String(64))
    # Copied from the report, so that lists filter and show them without a join.
    visited_on: Mapped[date | None]
    late: Mapped[bool | None]
    cancelled_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class VisitUnit(Base):
    """A delivered unit as assets announced it, and its status as the latest visit found it."""

    __tablename__ = "visit_units"
    __table_args__ = (Index("ix_visit_units_asset_type_serial", "asset_type", "serial"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the unit's id in assets
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    delivery_id: Mapped[uuid.UUID]
    asset_type: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    delivered_on: Mapped[date]
    status: Mapped[ItemStatus] = mapped_column(String(16), default=ItemStatus.in_use)
    # The visit date of the finding `status` comes from; None: as handed over.
    status_on: Mapped[date | None]


class VisitReport(Base):
    """One report per visit. Its id is made by the field device, so a resent report is known;
    corrections raise the revision (the report's ETag)."""

    __tablename__ = "visit_reports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), unique=True)
    visited_on: Mapped[date]
    operating: Mapped[bool]
    income: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    costs: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    jobs: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    late: Mapped[bool]
    reported_by: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)

    items: Mapped[list[ReportItem]] = relationship(
        lazy="selectin", order_by="ReportItem.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": revision}

    @property
    def version(self) -> int:
        """The report's ETag is its revision."""
        return self.revision

    @property
    def location(self) -> dict[str, Decimal] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return {"latitude": self.latitude, "longitude": self.longitude}


class ReportItem(Base):
    """What a report found about one delivered unit."""

    __tablename__ = "visit_report_items"
    __table_args__ = (UniqueConstraint("report_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visit_reports.id"))
    position: Mapped[int]
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visit_units.id"), index=True)
    asset_type: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ItemStatus] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))


class VisitPhoto(Base):
    __tablename__ = "visit_photos"
    __table_args__ = (Index("ix_visit_photos_visit_id_uploaded_at", "visit_id", "uploaded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"))
    key: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    uploaded_by: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
