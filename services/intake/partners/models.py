from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow
from shared.repository import OwnedBy


class PartnerType(StrEnum):
    trade_union = "trade_union"
    ngo = "ngo"
    other = "other"


class CooperationArea(StrEnum):
    """What a memorandum says the partner does in the programme."""

    choosing_direction = "choosing_direction"
    business_plan_preparation = "business_plan_preparation"
    trainings = "trainings"
    assets = "assets"
    monitoring = "monitoring"


class KeyStatus(StrEnum):
    active = "active"
    rotated = "rotated"  # replaced by a newer key, still accepted until its grace expiry
    expired = "expired"
    revoked = "revoked"


class Partner(Base):
    """A partner organisation. Its contacts are the organisation's, never a person's."""

    __tablename__ = "partners"
    __partner__ = OwnedBy("id")  # a partner sees its own record only

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[PartnerType] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Memorandum(Base):
    """A memorandum of cooperation signed with the ministry; a partner has one or more over time."""

    __tablename__ = "partner_memoranda"
    __partner__ = OwnedBy("partner_id")
    __table_args__ = (
        UniqueConstraint("partner_id", "number"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    number: Mapped[str] = mapped_column(Text)
    signed_on: Mapped[date]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    areas: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def in_force(self) -> bool:
        today = utcnow().date()
        return self.valid_from <= today and (self.valid_to is None or today <= self.valid_to)


class ApiKey(Base):
    """A partner's API key: the hash only; the key itself is shown once, when issued."""

    __tablename__ = "api_keys"
    __partner__ = OwnedBy("partner_id")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    label: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))
    # When the key last authenticated a request to intake, to the minute (see record_use).
    last_used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status(self) -> KeyStatus:
        if self.revoked_at is not None:
            return KeyStatus.revoked
        if self.expires_at is not None and self.expires_at <= utcnow():
            return KeyStatus.expired
        if self.replaced_by_id is not None:
            return KeyStatus.rotated
        return KeyStatus.active
