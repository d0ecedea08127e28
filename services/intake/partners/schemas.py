from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from intake.applicants.schemas import Name


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
