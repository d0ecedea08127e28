from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    Select,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    exists,
    false,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from intake.privacy.models import Consent
from shared.consent import PARTNER_SHARING
from shared.db import utcnow
from shared.repository import STAFF_ONLY, OwnedWhere


class Category(StrEnum):
    martyr_family = "martyr_family"
    war_participant = "war_participant"
    disability = "disability"
    targeted_social_assistance = "targeted_social_assistance"
    unemployed = "unemployed"
    idp = "idp"
    other = "other"


class Sex(StrEnum):
    male = "male"
    female = "female"


class DisabilityGroup(StrEnum):
    I = "I"  # noqa: E741 - the groups' official names
    II = "II"
    III = "III"


class Purpose(StrEnum):
    """Why personal data was read: the caller says so, the audit log keeps it."""

    case_review = "case_review"
    enrolment = "enrolment"
    monitoring_visit = "monitoring_visit"
    partner_referral = "partner_referral"
    duplicate_review = "duplicate_review"


class Applicant(Base):
    __tablename__ = "applicants"
    # A partner's: those it referred, and people linked to its referral with their consent, while
    # the person's consent to share with it stands.
    __partner__ = OwnedWhere(lambda partner_id: referred_or_linked(partner_id))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Unique among registered people; a claim repeats the FIN of the person it may be.
    fin_hash: Mapped[str] = mapped_column(String(64))
    # The personal fields are NULL only once the person is erased (see privacy/erasure.py); they
    # stay typed as present because nothing reads an erased person's (check_not_erased).
    fin_ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=True)
    first_name: Mapped[str] = mapped_column(Text, nullable=True)
    last_name: Mapped[str] = mapped_column(Text, nullable=True)
    patronymic: Mapped[str | None] = mapped_column(Text)
    # Folded "last first patronymic" (see names.fold), for search and duplicate matching.
    name_folded: Mapped[str] = mapped_column(Text, nullable=True)
    birth_date: Mapped[date] = mapped_column(index=True, nullable=True)
    sex: Mapped[Sex | None] = mapped_column(String(8))  # required by the API; older rows lack it
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(8), index=True)
    household_size: Mapped[int | None] = mapped_column(SmallInteger)
    # Category codes, a copy of applicant_categories for fast filtering (and for events).
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    referred_by_partner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partners.id"), index=True
    )
    benefited_at: Mapped[datetime | None]
    benefited_application_id: Mapped[uuid.UUID | None]
    # Excluded from the programme by monitoring (e.g. assets sold): later applications fail.
    excluded_at: Mapped[datetime | None]
    excluded_rule: Mapped[str | None] = mapped_column(String(64))
    excluded_flag_id: Mapped[uuid.UUID | None]
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("applicants.id"))
    # A partner's referral of a FIN registered outside its own referrals: the partner's record,
    # not the registry's, until a case officer links it (see ReferralClaim).
    claimed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Erased (retention elapsed, or a lawful request): the personal fields are gone; the FIN hash,
    # benefit, exclusion and coded facts stay (one person, one benefit; reports).
    erased_at: Mapped[datetime | None]
    erasure_basis: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index(
            "ix_applicants_fin_hash_registered",
            "fin_hash",
            unique=True,
            postgresql_where=text("NOT claimed"),
        ),
        # Every look-up by FIN (its leading column), and one claim of a FIN per partner.
        Index("ix_applicants_fin_hash_partner", "fin_hash", "referred_by_partner_id", unique=True),
        Index("ix_applicants_created_at_id", "created_at", "id"),
        Index("ix_applicants_categories", "categories", postgresql_using="gin"),
        Index(
            "ix_applicants_name_folded_trgm",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
    )


class ApplicantCategory(Base):
    """A category the applicant belongs to, with the document that proves it."""

    __tablename__ = "applicant_categories"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    applicant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[Category] = mapped_column(String(32))
    disability_group: Mapped[DisabilityGroup | None] = mapped_column(String(4))
    document_type: Mapped[str] = mapped_column(Text)
    document_number: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date]

    __table_args__ = (UniqueConstraint("applicant_id", "category"),)


class DuplicateStatus(StrEnum):
    open = "open"
    merged = "merged"
    dismissed = "dismissed"


class DuplicateFlag(Base):
    """Two applicants with different FINs who may be one person."""

    __tablename__ = "duplicate_flags"
    __partner__ = STAFF_ONLY  # a pair spans partners' referrals

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"), index=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"), index=True)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[DuplicateStatus] = mapped_column(String(16), default=DuplicateStatus.open)
    note: Mapped[str | None] = mapped_column(Text)
    kept_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("applicants.id"))
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("applicant_id", "candidate_id"),
        Index("ix_duplicate_flags_status_created_at_id", "status", "created_at", "id"),
    )


class ClaimStatus(StrEnum):
    pending = "pending"
    linked = "linked"
    refused = "refused"


class ReferralClaim(Base):
    """A partner referred a FIN registered outside its own referrals. The partner got a record of
    its own (`applicant_id`, a claimed applicant) answered like any new referral; a case officer
    links it to the registered person (`person_id`) or refuses it. Only a link with the person's
    consent shows the partner the outcome."""

    __tablename__ = "referral_claims"
    __partner__ = STAFF_ONLY  # the partner learns nothing of its claim's review

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applicants.id"), index=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"))
    status: Mapped[ClaimStatus] = mapped_column(String(16), default=ClaimStatus.pending)
    consent: Mapped[bool | None]
    note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_referral_claims_status_created_at_id", "status", "created_at", "id"),
    )


class AuditEntry(Base):
    """Who read or changed personal data, when, and why."""

    __tablename__ = "audit_log"
    __partner__ = STAFF_ONLY

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[uuid.UUID] = mapped_column(index=True)
    purpose: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    # A search's results (the ids only, never its criteria).
    result_ids: Mapped[list[uuid.UUID] | None] = mapped_column(postgresql.ARRAY(Uuid))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    # An applicant's audit finds the searches that returned them (`result_ids @> {id}`).
    __table_args__ = (Index("ix_audit_log_result_ids", "result_ids", postgresql_using="gin"),)


def consented_links(partner_id: uuid.UUID) -> Select[uuid.UUID]:
    """The people linked to the partner's referrals with their consent."""
    return select(ReferralClaim.person_id).where(
        ReferralClaim.partner_id == partner_id,
        ReferralClaim.status == ClaimStatus.linked,
        ReferralClaim.consent.is_(True),
    )


def sharing_withdrawn(partner_id: uuid.UUID) -> ColumnElement[bool]:
    """The person's current consent to share with the partner is a withdrawal."""
    return exists(
        select(Consent.id).where(
            Consent.applicant_id == Applicant.id,
            Consent.purpose == PARTNER_SHARING,
            Consent.partner_id == partner_id,
            Consent.granted.is_(False),
            Consent.superseded_at.is_(None),
        )
    )


def referred_or_linked(partner_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(
        or_(
            Applicant.referred_by_partner_id == partner_id,
            Applicant.id.in_(consented_links(partner_id)),
        ),
        ~sharing_withdrawn(partner_id),
    )
