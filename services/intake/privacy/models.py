"""What intake keeps of a person's rights: consent history and the exports of access requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow
from shared.repository import STAFF_ONLY


class ConsentPurpose(StrEnum):
    processing = "processing"
    partner_sharing = "partner_sharing"


class ConsentHow(StrEnum):
    signed_form = "signed_form"
    verbal_recorded = "verbal_recorded"
    online = "online"
    # Registered by a partner (API or import) without stating it: the memorandum obliges the
    # partner to have the person's consent before it refers them.
    partner_referral = "partner_referral"
    # Registered by staff before consent was recorded at registration: the signed application.
    application_form = "application_form"


class Consent(Base):
    """One consent given or withdrawn: history rows, never changed but for `superseded_at`."""

    __tablename__ = "consents"
    # Partners read consents only through the applicant (see privacy.routes).
    __partner__ = STAFF_ONLY

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"))
    purpose: Mapped[ConsentPurpose] = mapped_column(String(32))
    # For partner_sharing: the partner the person agrees (or not) to share with.
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partners.id"))
    granted: Mapped[bool]
    how: Mapped[ConsentHow] = mapped_column(String(32))
    text_version: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a later row for the same purpose (and partner) replaced it: the current ones have
    # none, so "sharing withdrawn" is one indexed look-up.
    superseded_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_consents_applicant_id_recorded_at", "applicant_id", "recorded_at"),
        Index(
            "ix_consents_current",
            "applicant_id",
            "purpose",
            "partner_id",
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )


class ExportStatus(StrEnum):
    complete = "complete"
    # A service did not answer: its part is marked missing.
    incomplete = "incomplete"
    # The person was erased since: the content is gone, the record of the request stays.
    purged = "purged"


class AccessExport(Base):
    """A person's access request answered: everything held about them, as it was then."""

    __tablename__ = "access_exports"
    __partner__ = STAFF_ONLY

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"), index=True)
    requested_by: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ExportStatus] = mapped_column(String(16))
    missing: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # {"intake": {...}, "plans": {...} | None, ...}: None for a part that was not received.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
