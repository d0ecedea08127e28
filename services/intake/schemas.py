from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.models import ApplicationStatus, Category

Fin = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-Za-z]{7}$"),
    Field(
        description="Personal identification number: 7 Latin letters and digits",
        examples=["5ABC7DE"],
    ),
]
Region = Annotated[
    str, Field(pattern=r"^AZ-[A-Z]{2,3}$", description="ISO 3166-2:AZ code", examples=["AZ-BA"])
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ApplicantIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fin": "5ABC7DE",
                    "first_name": "Aygün",
                    "last_name": "Məmmədova",
                    "birth_date": "1988-04-12",
                    "phone": "+994501234567",
                    "region": "AZ-BA",
                    "categories": ["martyr_family"],
                }
            ]
        }
    )

    fin: Fin
    first_name: Name
    last_name: Name
    birth_date: date
    phone: str | None = Field(None, pattern=r"^\+994\d{9}$")
    region: Region
    categories: list[Category] = Field(min_length=1)


class ApplicantUpdate(BaseModel):
    phone: str | None = Field(None, pattern=r"^\+994\d{9}$")
    region: Region | None = None
    categories: list[Category] | None = Field(None, min_length=1)


class ApplicantSummary(BaseModel):
    """What every staff role may see: no personal fields."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    region: str
    categories: list[Category]
    created_at: datetime
    version: int


class ApplicantOut(ApplicantSummary):
    """With personal fields, for the roles that need them; each read is audited."""

    fin: str
    first_name: str
    last_name: str
    birth_date: date
    phone: str | None


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"applicant_id": "0b8f...", "direction": "beekeeping"}]}
    )

    applicant_id: uuid.UUID
    direction: str = Field(min_length=2, max_length=64, examples=["beekeeping"])


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    applicant_id: uuid.UUID
    partner_id: uuid.UUID | None
    direction: str
    status: ApplicationStatus
    submitted_at: datetime
    enrolled_at: datetime | None
    version: int


class PartnerIn(BaseModel):
    name: Name = Field(examples=["Azerbaijan Trade Unions Confederation"])
    memorandum_number: str | None = None
    memorandum_signed_on: date | None = None


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    memorandum_number: str | None
    memorandum_signed_on: date | None


class ApiKeyIn(BaseModel):
    scopes: list[str] = Field(min_length=1, examples=[["referrals:write", "referrals:read"]])
    expires_at: datetime | None = None


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    partner_id: uuid.UUID
    prefix: str
    scopes: list[str]
    expires_at: datetime | None


class ApiKeyIssued(ApiKeyOut):
    key: str = Field(description="The key itself: shown once, never stored")
