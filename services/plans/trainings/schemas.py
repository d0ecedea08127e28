from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plans.trainings.models import EnrolmentStatus, SessionStatus
from shared.days import IsoDay, IsoMoment

DirectionCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$", examples=["beekeeping"])]
Threshold = Annotated[Decimal, Field(gt=0, le=1, max_digits=3, decimal_places=2)]
MAX_DAYS = 366

_COURSE: dict[str, Any] = {
    "direction": "beekeeping",
    "name": {
        "az": "Arıçılığın əsasları",
        "en": "Beekeeping basics",
        "ru": "Основы пчеловодства",
    },
    "days": 5,
    "hours": 30,
    "completion_threshold": "0.80",
    "active": True,
}
_SESSION: dict[str, Any] = {
    "course_id": "0b6f1d9e-8c1f-4a53-9d0e-6f6b2d7c1a01",
    "starts_on": "2027-04-05",
    "ends_on": "2027-04-09",
    "days": ["2027-04-05", "2027-04-06", "2027-04-07", "2027-04-08", "2027-04-09"],
    "place": "Lənkəran, Peşə Tədris Mərkəzi, otaq 12",
    "trainer": "Rauf Məmmədov",
    "capacity": 25,
    "run_by_partner_id": None,
}
_STAMPS: dict[str, Any] = {
    "created_at": "2027-03-01T09:00:00Z",
    "updated_at": "2027-03-01T09:00:00Z",
    "version": 1,
}
_ENROLMENT: dict[str, Any] = {
    "id": "5a7e0c3d-2b1f-4e8a-9c6d-3f2e1d0c9b8a",
    "session_id": "7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
    "participant_id": "2f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c",
    "status": "enrolled",
    "waitlist_position": None,
    "attended_days": 4,
    "total_days": 5,
    "attendance_rate": "0.800",
    "completed_on": None,
    **_STAMPS,
}


class LocalizedText(BaseModel):
    az: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)
    ru: str = Field(min_length=1, max_length=300)


class CourseIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_COURSE]})

    direction: DirectionCode = Field(description="The direction's code in the catalogue")
    name: LocalizedText
    days: int = Field(gt=0, le=MAX_DAYS, description="Number of training days")
    hours: int = Field(gt=0, le=10_000, description="Number of teaching hours")
    completion_threshold: Threshold = Field(
        description="Share of a session's days a participant must attend to complete the course"
    )
    active: bool = True


class CourseUpdate(BaseModel):
    """Any of the fields; the direction is fixed once the course exists."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"completion_threshold": "0.75", "active": False}]}
    )

    name: LocalizedText | None = None
    days: int | None = Field(None, gt=0, le=MAX_DAYS)
    hours: int | None = Field(None, gt=0, le=10_000)
    completion_threshold: Threshold | None = None
    active: bool | None = None


class CourseOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{**_COURSE, "id": "0b6f1d9e-8c1f-4a53-9d0e-6f6b2d7c1a01", **_STAMPS}]
        },
    )

    id: uuid.UUID
    direction: str
    name: LocalizedText
    days: int
    hours: int
    completion_threshold: Decimal
    active: bool
    created_at: IsoMoment
    updated_at: IsoMoment
    version: int


def check_days(starts_on: date, ends_on: date, days: list[date] | None) -> None:
    if ends_on < starts_on:
        raise ValueError("ends_on is before starts_on")
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise ValueError(f"a session lasts at most {MAX_DAYS} days")
    if days is not None and any(not starts_on <= day <= ends_on for day in days):
        raise ValueError("every training day must lie between starts_on and ends_on")


class SessionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SESSION]})

    course_id: uuid.UUID
    starts_on: IsoDay
    ends_on: IsoDay
    days: list[IsoDay] | None = Field(
        None,
        min_length=1,
        max_length=MAX_DAYS,
        description="The training days; every date from starts_on to ends_on when omitted",
    )
    place: str = Field(min_length=1, max_length=500)
    trainer: str = Field(min_length=1, max_length=200, description="The trainer's name (staff)")
    capacity: int = Field(gt=0, le=10_000)
    run_by_partner_id: uuid.UUID | None = Field(
        None,
        description="The partner organisation running the session; null: the ministry. "
        "A partner's session is always its own.",
    )

    @model_validator(mode="after")
    def _period(self) -> SessionIn:
        check_days(self.starts_on, self.ends_on, self.days)
        return self


class SessionUpdate(BaseModel):
    """Place, trainer and capacity change until the session ends; dates only while planned.
    A capacity below the places taken is refused; a larger one lets the waitlist in."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"place": "Lənkəran, otaq 14", "capacity": 30}]}
    )

    starts_on: IsoDay | None = None
    ends_on: IsoDay | None = None
    days: list[IsoDay] | None = Field(None, min_length=1, max_length=MAX_DAYS)
    place: str | None = Field(None, min_length=1, max_length=500)
    trainer: str | None = Field(None, min_length=1, max_length=200)
    capacity: int | None = Field(None, gt=0, le=10_000)
    run_by_partner_id: uuid.UUID | None = Field(None, description="Staff only; null: the ministry")


class SessionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_SESSION,
                    "id": "7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
                    "direction": "beekeeping",
                    "status": "planned",
                    **_STAMPS,
                }
            ]
        },
    )

    id: uuid.UUID
    course_id: uuid.UUID
    direction: str
    starts_on: IsoDay
    ends_on: IsoDay
    days: list[IsoDay]
    place: str
    trainer: str
    capacity: int
    run_by_partner_id: uuid.UUID | None
    status: SessionStatus
    created_at: IsoMoment
    updated_at: IsoMoment
    version: int


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"participant_id": "2f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c"}]}
    )

    participant_id: uuid.UUID


class EnrolmentOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                _ENROLMENT,
                {
                    **_ENROLMENT,
                    "status": "waitlisted",
                    "waitlist_position": 3,
                    "attended_days": 0,
                    "attendance_rate": "0.000",
                },
            ]
        },
    )

    id: uuid.UUID
    session_id: uuid.UUID
    participant_id: uuid.UUID
    status: EnrolmentStatus
    waitlist_position: int | None = Field(description="1 is next in line; null unless waitlisted")
    attended_days: int
    total_days: int
    attendance_rate: Decimal = Field(description="attended_days / total_days")
    completed_on: IsoDay | None
    created_at: IsoMoment
    updated_at: IsoMoment
    version: int


class CourseBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    direction: str
    name: LocalizedText


class SessionBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    starts_on: IsoDay
    ends_on: IsoDay
    place: str
    status: SessionStatus
    run_by_partner_id: uuid.UUID | None


class TrainingHistoryItem(EnrolmentOut):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_ENROLMENT,
                    "status": "completed",
                    "completed_on": "2027-04-08",
                    "course": {
                        "id": "0b6f1d9e-8c1f-4a53-9d0e-6f6b2d7c1a01",
                        "direction": "beekeeping",
                        "name": _COURSE["name"],
                    },
                    "session": {
                        "id": _ENROLMENT["session_id"],
                        "starts_on": "2027-04-05",
                        "ends_on": "2027-04-09",
                        "place": _SESSION["place"],
                        "status": "completed",
                        "run_by_partner_id": None,
                    },
                }
            ]
        },
    )

    course: CourseBrief
    session: SessionBrief


class AttendanceIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "participant_ids": [
                        "2f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c",
                        "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
                    ]
                }
            ]
        }
    )

    participant_ids: list[uuid.UUID] = Field(
        max_length=10_000, description="Everyone present that day (enrolled participants only)"
    )


class AttendanceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session_id": "7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
                    "day": "2027-04-06",
                    "participant_ids": ["2f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c"],
                    "version": 2,
                }
            ]
        },
    )

    session_id: uuid.UUID
    day: IsoDay
    participant_ids: list[uuid.UUID]
    version: int = Field(description="0 while nothing is recorded for the day")
