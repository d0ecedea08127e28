from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.applicants.models import Category

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
