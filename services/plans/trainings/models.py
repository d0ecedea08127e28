"""Trainings: courses per direction, their sessions, enrolments (with a waitlist) and attendance,
and the copy of partners' memoranda that says which partner may run sessions, and when.

Directions are referred to by their code (e.g. "beekeeping"), without a foreign key: the catalogue
of directions is its own domain.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plans.base import Base
from plans.participants.models import Participant
from shared.db import utcnow
from shared.repository import SHARED, OwnedBy, OwnedThrough, OwnedWhere


class SessionStatus(StrEnum):
    planned = "planned"
    running = "running"
    completed = "completed"
    cancelled = "cancelled"


class EnrolmentStatus(StrEnum):
    enrolled = "enrolled"
    waitlisted = "waitlisted"
    completed = "completed"
    not_completed = "not_completed"  # the session ended below the course's threshold
    cancelled = "cancelled"


# Statuses that hold one of the session's places.
PLACE_HOLDING = (EnrolmentStatus.enrolled, EnrolmentStatus.completed, EnrolmentStatus.not_completed)
# Statuses whose attendance is recorded.
ATTENDING = (EnrolmentStatus.enrolled, EnrolmentStatus.completed)
# Statuses of a session that still changes: enrolments, attendance, its places.
OPEN = (SessionStatus.planned, SessionStatus.running)


class Course(Base):
    __tablename__ = "training_courses"
    __partner__ = SHARED

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    direction: Mapped[str] = mapped_column(String(64), index=True)
    name_az: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    days: Mapped[int]
    hours: Mapped[int]
    # Share of the session's days a participant must attend to complete, e.g. 0.80.
    completion_threshold: Mapped[Decimal] = mapped_column(Numeric(3, 2))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "completion_threshold > 0 AND completion_threshold <= 1", name="threshold_share"
        ),
        CheckConstraint("days > 0 AND hours > 0", name="duration_positive"),
    )

    @property
    def name(self) -> dict[str, str]:
        return {"az": self.name_az, "en": self.name_en, "ru": self.name_ru}


class TrainingSession(Base):
    __tablename__ = "training_sessions"
    __partner__ = OwnedBy("run_by_partner_id")  # a partner sees the sessions it runs

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_courses.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # The training days, sorted: every date from start to end, or the explicit list given.
    days: Mapped[list[date]] = mapped_column(ARRAY(Date))
    place: Mapped[str] = mapped_column(Text)
    trainer: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int]
    # None: run by the ministry.
    run_by_partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status: Mapped[SessionStatus] = mapped_column(String(16), default=SessionStatus.planned)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    course: Mapped[Course] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_on >= starts_on", name="period_order"),
        Index("ix_training_sessions_starts_on_id", "starts_on", "id"),
    )

    @property
    def direction(self) -> str:
        return self.course.direction


def _own_participant_in_own_session(partner_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(
        OwnedThrough("session").criterion(Enrolment, partner_id),
        OwnedThrough("participant").criterion(Enrolment, partner_id),
    )


class Enrolment(Base):
    __tablename__ = "training_enrolments"
    # A partner sees, in the sessions it runs, the participants it referred.
    __partner__ = OwnedWhere(_own_participant_in_own_session)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_sessions.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("participants.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(String(16))
    # 1 is next in line; None unless waitlisted.
    waitlist_position: Mapped[int | None]
    attended_days: Mapped[int] = mapped_column(default=0)
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    session: Mapped[TrainingSession] = relationship(lazy="joined", innerjoin=True)
    # For the ownership rule only: never loaded.
    participant: Mapped[Participant] = relationship(lazy="raise", viewonly=True)

    __mapper_args__ = {"version_id_col": version}
    # One row per participant and session: a cancelled place taken again reuses it.
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)

    @property
    def course(self) -> Course:
        return self.session.course

    @property
    def total_days(self) -> int:
        return len(self.session.days)

    @property
    def attendance_rate(self) -> Decimal:
        return (Decimal(self.attended_days) / Decimal(self.total_days)).quantize(Decimal("0.001"))


class AttendanceDay(Base):
    """Who was present on one training day of a session (replaced as a whole by each PUT)."""

    __tablename__ = "training_attendance"
    __partner__ = OwnedThrough("session")

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_sessions.id"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    present: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    recorded_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    # For the ownership rule only: never loaded.
    session: Mapped[TrainingSession] = relationship(lazy="raise", viewonly=True)

    __mapper_args__ = {"version_id_col": version}


class PartnerMemorandum(Base):
    """A partner's memorandum, copied from intake's `intake.memorandum.recorded` events: a
    partner runs training sessions only within one that covers the `trainings` area."""

    __tablename__ = "partner_memoranda"
    __partner__ = OwnedBy("partner_id")

    memorandum_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    areas: Mapped[list[str]] = mapped_column(ARRAY(Text))
    valid_from: Mapped[date]
    # None: open-ended.
    valid_to: Mapped[date | None]
    # The time of the newest event applied, so that a late (redelivered) event never undoes it.
    recorded_at: Mapped[datetime]
