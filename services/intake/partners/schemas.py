from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from intake.partners.models import CooperationArea, KeyStatus, PartnerType
from shared.auth import Scope
from shared.days import IsoDay, IsoMoment

DEFAULT_GRACE_SECONDS = 24 * 3600
MAX_GRACE_SECONDS = 7 * 24 * 3600

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _phone(value: str) -> str:
    """An organisation's phone in E.164; Azerbaijani numbers may be written without +994."""
    try:
        number = phonenumbers.parse(value, "AZ")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise PydanticCustomError("contact_phone_invalid", "Not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise PydanticCustomError("contact_email_invalid", "Not a valid e-mail address")
    return value.lower()


OrgName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(examples=["Azərbaycan Həmkarlar İttifaqları Konfederasiyası"]),
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254),
    AfterValidator(_email),
    Field(description="The organisation's address, not a person's", examples=["info@ahik.az"]),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32),
    AfterValidator(_phone),
    Field(description="The organisation's number; answered in E.164", examples=["+994124987654"]),
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]

_PARTNER_EXAMPLE: dict[str, Any] = {
    "name": "Azərbaycan Həmkarlar İttifaqları Konfederasiyası",
    "type": "trade_union",
    "email": "info@ahik.az",
    "phone": "+994124987654",
    "address": "Bakı, Nəsimi rayonu, Azadlıq prospekti 1",
}


class PartnerIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PARTNER_EXAMPLE]})

    name: OrgName
    type: PartnerType = PartnerType.other
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None


class PartnerUpdate(BaseModel):
    """Only the fields sent change; null clears a contact."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+994125551234"}]})

    name: OrgName | None = None
    type: PartnerType | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None


class PartnerOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0b5c8a52-3f55-4e0a-9d1e-1f0a5b7e2c11",
                    **_PARTNER_EXAMPLE,
                    "created_at": "2026-01-15T09:00:00Z",
                    "updated_at": "2026-01-15T09:00:00Z",
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    name: str
    type: PartnerType
    email: str | None
    phone: str | None
    address: str | None
    created_at: IsoMoment
    updated_at: IsoMoment
    version: int


class MemorandumIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "M-2026/14",
                    "signed_on": "2026-01-20",
                    "valid_from": "2026-02-01",
                    "valid_to": "2028-12-31",
                    "areas": ["choosing_direction", "trainings", "monitoring"],
                }
            ]
        }
    )

    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    signed_on: IsoDay
    valid_from: IsoDay
    valid_to: IsoDay | None = Field(None, description="Null for a memorandum without an end date")
    areas: list[CooperationArea] = Field(min_length=1, description="Areas of cooperation")


class MemorandumOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1d2b0e-8a7c-4d3e-9b5a-2c4e6f8a0b1d",
                    "partner_id": "0b5c8a52-3f55-4e0a-9d1e-1f0a5b7e2c11",
                    "number": "M-2026/14",
                    "signed_on": "2026-01-20",
                    "valid_from": "2026-02-01",
                    "valid_to": "2028-12-31",
                    "areas": ["choosing_direction", "trainings", "monitoring"],
                    "in_force": True,
                    "created_at": "2026-01-21T08:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    partner_id: uuid.UUID
    number: str
    signed_on: IsoDay
    valid_from: IsoDay
    valid_to: IsoDay | None
    areas: list[CooperationArea]
    in_force: bool = Field(description="Whether today falls within the memorandum's period")
    created_at: IsoMoment


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scopes": ["referrals:write", "referrals:read"],
                    "expires_at": "2027-01-01T00:00:00Z",
                    "label": "referral portal",
                }
            ]
        }
    )

    scopes: list[Scope] = Field(min_length=1)
    expires_at: AwareDatetime | None = Field(None, description="Null for a key without expiry")
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class RotateIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"grace_seconds": 86400}, {"grace_seconds": 0}]}
    )

    grace_seconds: int = Field(
        DEFAULT_GRACE_SECONDS,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="How long the old key is still accepted (it never gets longer than it had)",
    )
    expires_at: AwareDatetime | None = Field(
        None,
        description="The new key's expiry; by default it lives as long as the old key was given",
    )


_KEY_EXAMPLE: dict[str, Any] = {
    "id": "9a3f6c1e-2b4d-4e8f-a0c2-5d7e9f1b3a6c",
    "partner_id": "0b5c8a52-3f55-4e0a-9d1e-1f0a5b7e2c11",
    "label": "referral portal",
    "prefix": "Xk3_a9Qz",
    "scopes": ["referrals:read", "referrals:write"],
    "status": "active",
    "expires_at": "2027-01-01T00:00:00Z",
    "revoked_at": None,
    "replaced_by_id": None,
    "last_used_at": "2026-03-02T10:15:00Z",
    "created_at": "2026-01-21T08:30:00Z",
    "version": 1,
}


class ApiKeyOut(BaseModel):
    """A key as listed: its prefix, never the key or its hash."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_KEY_EXAMPLE]})

    id: uuid.UUID
    partner_id: uuid.UUID
    label: str | None
    prefix: str = Field(description='The key starts "dq_<prefix>_"')
    scopes: list[str]
    status: KeyStatus
    expires_at: IsoMoment | None
    revoked_at: IsoMoment | None
    replaced_by_id: uuid.UUID | None = Field(description="The key that replaced it by rotation")
    last_used_at: IsoMoment | None = Field(
        description="When the key last authenticated a request to intake (to the minute)"
    )
    created_at: IsoMoment
    version: int


class ApiKeyIssued(ApiKeyOut):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_KEY_EXAMPLE, "key": "dq_Xk3_a9Qz_" + "s" * 43}]}
    )

    key: str = Field(description="The key itself: shown in this response only, never stored")


class ApiKeyRotated(ApiKeyIssued):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_KEY_EXAMPLE,
                    "key": "dq_Pq7_m2Lw_" + "s" * 43,
                    "previous": {
                        **_KEY_EXAMPLE,
                        "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                        "prefix": "Ab1_c2D3",
                        "status": "rotated",
                        "expires_at": "2026-06-02T08:30:00Z",
                        "replaced_by_id": "9a3f6c1e-2b4d-4e8f-a0c2-5d7e9f1b3a6c",
                        "version": 2,
                    },
                }
            ]
        }
    )

    previous: ApiKeyOut = Field(description="The rotated key, accepted until its new expiry")
