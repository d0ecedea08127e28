from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ARRAY, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow


class Category(StrEnum):
    martyr_family = "martyr_family"
    war_participant = "war_participant"
    disability = "disability"
    targeted_social_assistance = "targeted_social_assistance"
    unemployed = "unemployed"
    idp = "idp"
    other = "other"


class Applicant(Base):
    __tablename__ = "applicants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    fin_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fin_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    birth_date: Mapped[date]
    phone: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class AuditEntry(Base):
    """Who read or changed personal data, when, and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[uuid.UUID] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
