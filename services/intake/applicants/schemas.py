from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    computed_field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from intake.applicants import messages as _messages  # noqa: F401 - registers the message keys
from intake.applicants.models import (
    Category,
    ClaimStatus,
    DisabilityGroup,
    DuplicateStatus,
    Sex,
)
from intake.privacy.schemas import RegistrationConsent
from shared.days import IsoDay, IsoMoment
from shared.db import utcnow
from shared.regions import RegionCode, region_names

# Already in E.164 (as most bulk referrals are): parsing it gives exactly this number, so the
# parser (two thirds of the check's time) is skipped.
_E164_AZ = re.compile(r"\+994[1-9][0-9]{8}")


def _check_phone(value: str) -> str:
    """An Azerbaijani number in E.164: "050 123 45 67" and "+994 50 123 45 67" both work."""
    if _E164_AZ.fullmatch(value):
        number = phonenumbers.PhoneNumber(country_code=994, national_number=int(value[4:]))
        if not phonenumbers.is_valid_number(number):
            raise PydanticCustomError("phone_invalid", "Not a valid phone number")
        return value
    try:
        number = phonenumbers.parse(value, "AZ")
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("phone_invalid", "Not a valid phone number") from None
    if number.country_code != 994:
        raise PydanticCustomError("phone_not_azerbaijani", "Should be an Azerbaijani number")
    if not phonenumbers.is_valid_number(number):
        raise PydanticCustomError("phone_invalid", "Not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _not_in_future(value: date) -> date:
    if value > utcnow().date():
        raise PydanticCustomError("date_in_future", "The date cannot be in the future")
    return value


Fin = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-Za-z]{7}$"),
    Field(
        description="Personal identification number: 7 Latin letters and digits",
        examples=["5ABC7DE"],
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Phone = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(_check_phone),
    Field(
        description='Azerbaijani phone number, stored as E.164 ("050 123 45 67" -> +994501234567)',
        examples=["+994501234567"],
    ),
]
PastDate = Annotated[date, AfterValidator(_not_in_future)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Evidence(BaseModel):
    """The document that proves a category."""

    document_type: Code = Field(examples=["martyr_family_certificate"])
    number: Code = Field(examples=["ŞA-123456"])
    issued_on: PastDate


class CategoryIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "disability",
                    "disability_group": "II",
                    "evidence": {
                        "document_type": "disability_certificate",
                        "number": "ƏL-004512",
                        "issued_on": "2021-03-15",
                    },
                }
            ]
        }
    )

    category: Category
    disability_group: DisabilityGroup | None = Field(
        None,
        description="I, II or III: required for disability, refused for the others",
        validate_default=True,  # so that a missing group is checked too
    )
    evidence: Evidence

    @field_validator("disability_group", mode="after")
    @classmethod
    def _group_only_for_disability(
        cls, group: DisabilityGroup | None, info: ValidationInfo
    ) -> DisabilityGroup | None:
        category = info.data.get("category")
        if category == Category.disability and group is None:
            raise PydanticCustomError("disability_group_required", "A disability needs its group")
        if category is not None and category != Category.disability and group is not None:
            raise PydanticCustomError(
                "disability_group_not_allowed", "A group is only for the disability category"
            )
        return group


def _unique_categories(entries: list[CategoryIn]) -> list[CategoryIn]:
    if len({e.category for e in entries}) != len(entries):
        raise PydanticCustomError("category_repeated", "A category is given twice")
    return entries


Categories = Annotated[list[CategoryIn], Field(min_length=1), AfterValidator(_unique_categories)]

_CATEGORY_EXAMPLE: dict[str, Any] = {
    "category": "martyr_family",
    "evidence": {
        "document_type": "martyr_family_certificate",
        "number": "ŞA-123456",
        "issued_on": "2021-03-15",
    },
}


class ApplicantIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fin": "5ABC7DE",
                    "first_name": "Aygün",
                    "last_name": "Məmmədova",
                    "patronymic": "Elşən qızı",
                    "birth_date": "1988-04-12",
                    "sex": "female",
                    "phone": "050 123 45 67",
                    "address": "Gəncə, Nizami küç. 5",
                    "region": "AZ-GA",
                    "household_size": 4,
                    "categories": [_CATEGORY_EXAMPLE],
                    "consent": {
                        "processing": True,
                        "partner_sharing": True,
                        "how": "signed_form",
                        "text_version": "2026-1",
                    },
                }
            ]
        }
    )

    fin: Fin
    first_name: Name
    last_name: Name
    patronymic: Name | None = None
    birth_date: PastDate
    sex: Sex
    phone: Phone | None = None
    address: Text | None = None
    region: RegionCode
    household_size: int | None = Field(None, ge=1, le=30)
    categories: Categories
    consent: RegistrationConsent | None = Field(
        None,
        description="The person's consent, recorded with the registrant and the time. Without it "
        "processing consent is recorded as the registrant's word (how: partner_referral for a "
        "partner, application_form for staff; text_version: unstated), and a partner's referral "
        "as shared with it: see docs/privacy.md.",
    )


class ApplicantUpdate(BaseModel):
    """Only the fields sent are changed; region and categories cannot be cleared."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "+994 55 765 43 21", "region": "AZ-SA"}]}
    )

    phone: Phone | None = None
    address: Text | None = None
    region: RegionCode | None = None
    household_size: int | None = Field(None, ge=1, le=30)
    categories: Categories | None = None


_SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
    "region": "AZ-GA",
    "region_name": "Gəncə",
    "sex": "female",
    "categories": ["martyr_family"],
    "household_size": 4,
    "benefited_at": None,
    "excluded_at": None,
    "excluded_rule": None,
    "merged_into_id": None,
    "referred_by_partner_id": None,
    "created_at": "2026-01-10T09:30:00Z",
    "version": 1,
}


class ApplicantSummary(BaseModel):
    """What every staff role may see: no personal fields."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_SUMMARY_EXAMPLE]}
    )

    id: uuid.UUID
    region: str
    sex: Sex | None
    categories: list[Category]
    household_size: int | None
    benefited_at: IsoMoment | None = Field(description="When the person received assets, if ever")
    excluded_at: IsoMoment | None = Field(
        None,
        description="When a case officer excluded the person from the programme (on a "
        "monitoring flag's proposal), if in force; null again once an appeal lifted it",
    )
    excluded_rule: str | None = Field(
        None, description="The monitoring rule whose flag proposed the exclusion, e.g. asset_lost"
    )
    merged_into_id: uuid.UUID | None = Field(description="Set when merged into another applicant")
    referred_by_partner_id: uuid.UUID | None
    created_at: IsoMoment
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def region_name(self) -> str | None:
        return region_names().get(self.region)


class CategoryOut(BaseModel):
    category: Category
    disability_group: DisabilityGroup | None
    evidence: Evidence


class ApplicantOut(ApplicantSummary):
    """With personal fields, for the roles that need them; each read is audited."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_SUMMARY_EXAMPLE,
                    "fin": "5ABC7DE",
                    "first_name": "Aygün",
                    "last_name": "Məmmədova",
                    "patronymic": "Elşən qızı",
                    "birth_date": "1988-04-12",
                    "phone": "+994501234567",
                    "address": "Gəncə, Nizami küç. 5",
                    "category_details": [_CATEGORY_EXAMPLE],
                }
            ]
        }
    )

    fin: str
    first_name: str
    last_name: str
    patronymic: str | None
    birth_date: IsoDay
    phone: str | None
    address: str | None
    category_details: list[CategoryOut]


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "principal": "staff:officer-7",
                    "action": "read",
                    "purpose": "case_review",
                    "reason": None,
                    "at": "2026-01-10T09:31:00Z",
                }
            ]
        },
    )

    id: int
    principal: str
    action: str
    purpose: str | None
    reason: str | None
    at: IsoMoment


class DuplicateFlagOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6d0e3c9a-1f7b-4b2e-8c55-0e9f3a2b1c44",
                    "applicant_id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
                    "candidate_id": "9a1c4e2b-7d3f-4a8e-b6c0-5f2e1d0c9b88",
                    "score": "100.00",
                    "reason": "similar_name_same_birth_date",
                    "status": "open",
                    "note": None,
                    "kept_id": None,
                    "resolved_by": None,
                    "resolved_at": None,
                    "created_at": "2026-01-10T09:30:00Z",
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    applicant_id: uuid.UUID = Field(description="The applicant whose registration found the pair")
    candidate_id: uuid.UUID = Field(description="The applicant already registered")
    score: Decimal = Field(description="Name similarity, 0-100")
    reason: str
    status: DuplicateStatus
    note: str | None
    kept_id: uuid.UUID | None = Field(description="After a merge: the applicant kept")
    resolved_by: str | None
    resolved_at: IsoMoment | None
    created_at: IsoMoment
    version: int


NameWords = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ApplicantSearch(BaseModel):
    """Search criteria, in the body so that FINs and names stay out of URLs (and so out of
    access logs, proxies and browser histories). Every criterion given must match."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"fin": "5ABC7DE"},
                {"name": "memmedova aygun", "region": "AZ-GA", "category": "martyr_family"},
            ]
        },
    )

    fin: Fin | None = Field(None, description="Exact FIN (case and surrounding spaces ignored)")
    name: NameWords | None = Field(
        None,
        description="Words of the name, each matched against the start of a word of the name, "
        "folded: case-insensitive with İ/i and I/ı, and ə, ı, ö, ü, ş, ç, ğ typed as e, i, o, u, "
        's, c, g ("memmedova" finds "Məmmədova")',
        examples=["memmedova aygun"],
    )
    region: RegionCode | None = None
    category: Category | None = None
    benefited: bool | None = Field(None, description="Whether the person has received assets")


class DismissIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Sisters: different mothers' names"}]}
    )

    note: Text


class MergeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"keep_id": "9a1c4e2b-7d3f-4a8e-b6c0-5f2e1d0c9b88", "note": "Same FIN typo"}
            ]
        }
    )

    keep_id: uuid.UUID = Field(
        description="Which of the pair to keep: applicant_id or candidate_id"
    )
    note: Text | None = None


class ReferralClaimOut(BaseModel):
    """A partner's referral of a FIN registered outside its own referrals, for a case officer:
    ids only (read both records at /v1/applicants/{id} with purpose=duplicate_review)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2a9c1e-5b7d-4e8a-9c0b-1d2e3f4a5b6c",
                    "applicant_id": "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
                    "person_id": "9a1c4e2b-7d3f-4a8e-b6c0-5f2e1d0c9b88",
                    "partner_id": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
                    "status": "pending",
                    "consent": None,
                    "note": None,
                    "resolved_by": None,
                    "resolved_at": None,
                    "created_at": "2026-12-03T09:30:00Z",
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    applicant_id: uuid.UUID = Field(description="The partner's record, made by its registration")
    person_id: uuid.UUID = Field(description="The person registered with the same FIN")
    partner_id: uuid.UUID
    status: ClaimStatus
    consent: bool | None = Field(
        description="When linked: whether the person consented to share with the partner"
    )
    note: str | None = Field(description="Why it was linked or refused")
    resolved_by: str | None
    resolved_at: IsoMoment | None
    created_at: IsoMoment
    version: int


class LinkIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"consent": True, "note": "Same person; consent form signed 2026-12-02"}]
        }
    )

    consent: bool = Field(
        description="The person consented to share their record with the referring partner: "
        "only then does the partner see the outcome"
    )
    note: Text


class RefuseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "The partner has no memorandum for this area"}]}
    )

    note: Text
