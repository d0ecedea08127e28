from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from intake.privacy import messages as _messages  # noqa: F401 - registers the message keys
from intake.privacy.models import ConsentHow, ConsentPurpose, ExportStatus
from shared.days import IsoMoment

# How a person gives consent through the API (the other ways are defaults, see ConsentHow).
GivenHow = Literal["signed_form", "verbal_recorded", "online"]
TextVersion = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="The version of the consent text the person was shown", examples=["2026-1"]),
]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RegistrationConsent(BaseModel):
    """The person's consent given at registration."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "processing": True,
                    "partner_sharing": True,
                    "how": "signed_form",
                    "text_version": "2026-1",
                }
            ]
        },
    )

    processing: Literal[True] = Field(
        description="Consent to processing for the programme: without it nobody is registered"
    )
    partner_sharing: bool = Field(
        description="A partner's referral: whether the person agrees to share their record with "
        "the referring partner (false hides it from the partner at once)"
    )
    how: GivenHow
    text_version: TextVersion


class ConsentChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "purpose": "partner_sharing",
                    "partner_id": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
                    "granted": False,
                    "how": "signed_form",
                    "text_version": "2026-1",
                }
            ]
        },
    )

    purpose: ConsentPurpose
    partner_id: uuid.UUID | None = Field(
        None,
        description="For partner_sharing (required): the partner; refused for processing",
        validate_default=True,
    )
    granted: bool
    how: GivenHow
    text_version: TextVersion

    @field_validator("partner_id")
    @classmethod
    def _partner_only_for_sharing(
        cls, partner_id: uuid.UUID | None, info: ValidationInfo
    ) -> uuid.UUID | None:
        # Reported on partner_id itself, so that the caller sees which field to fix.
        purpose = info.data.get("purpose")
        if purpose == ConsentPurpose.partner_sharing and partner_id is None:
            raise PydanticCustomError("partner_required", "Sharing consent names its partner")
        if purpose == ConsentPurpose.processing and partner_id is not None:
            raise PydanticCustomError("partner_not_allowed", "Processing consent has no partner")
        return partner_id


class ConsentOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
                    "applicant_id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
                    "purpose": "partner_sharing",
                    "partner_id": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
                    "granted": False,
                    "how": "signed_form",
                    "text_version": "2026-1",
                    "recorded_by": "staff:officer-7",
                    "recorded_at": "2026-12-04T09:30:00Z",
                    "superseded_at": None,
                }
            ]
        },
    )

    id: uuid.UUID
    applicant_id: uuid.UUID
    purpose: ConsentPurpose
    partner_id: uuid.UUID | None
    granted: bool
    how: ConsentHow
    text_version: str
    recorded_by: str
    recorded_at: IsoMoment
    superseded_at: IsoMoment | None = Field(description="None: the consent in force")


class ErasureIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"basis": "lawful_request", "reference": "ŞM-2026/1187", "note": None}]
        },
    )

    basis: Literal["lawful_request"]
    reference: Reference = Field(description="The registration number of the person's request")
    note: Note | None = None


class ErasureOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "applicant_id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
                    "application_ids": ["3c9e0f4a-1b2d-4e6f-8a0b-2c4d6e8f0a1b"],
                    "basis": "lawful_request",
                    "erased_at": "2026-12-04T09:30:00Z",
                }
            ]
        }
    )

    applicant_id: uuid.UUID
    application_ids: list[uuid.UUID]
    basis: str
    erased_at: IsoMoment


class AccessExportOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b",
                    "applicant_id": "0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11",
                    "requested_by": "staff:admin-1",
                    "requested_at": "2026-12-04T09:30:00Z",
                    "status": "incomplete",
                    "missing": ["assets"],
                    "content": {
                        "intake": {"applicant": [{"fin": "5ABC7DE", "first_name": "Aygün"}]},
                        "plans": {"business_plans": [], "adverse_decisions": []},
                        "assets": None,
                        "monitoring": {"visits": [], "adverse_decisions": []},
                    },
                }
            ]
        },
    )

    id: uuid.UUID
    applicant_id: uuid.UUID
    requested_by: str
    requested_at: IsoMoment
    status: ExportStatus = Field(
        description="complete; incomplete: a service did not answer (see `missing`); purged: "
        "the person was erased since and the content is gone"
    )
    missing: list[str] = Field(description="The services whose part was not received")
    content: dict[str, Any] | None = Field(
        description='By service: {"intake": {...}, "plans": {...}}; a missing part is null'
    )
