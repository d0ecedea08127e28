"""The filters every report takes, validated, and how they narrow the facts.

A partner is held to its own participants: its partner filter is forced, and naming another
partner answers 404 like any object of another partner.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, Date, and_, literal

from monitoring.queries import equal
from monitoring.readmodels.models import ApplicationFact
from monitoring.reports import messages as _messages  # noqa: F401 - registers the message keys
from shared.auth import Principal, Role
from shared.days import IsoDay
from shared.problems import FieldError, NotFound, ValidationProblem
from shared.regions import region_codes
from shared.repository import partner_in_scope, partner_of


class Category(StrEnum):
    """intake's applicant categories."""

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


# The memorandum's headline: persons from martyr families or war participants.
PRIORITY_CATEGORIES = (Category.martyr_family.value, Category.war_participant.value)

_AGE_BAND = re.compile(r"^(\d{1,2})0-(\d{1,2})9$")
_DIRECTION = r"^[a-z][a-z0-9_-]{1,63}$"


@dataclass(frozen=True)
class Filters:
    """Who is counted. `start`/`end` are inclusive days; each report says which date they bound."""

    start: date | None = None
    end: date | None = None
    round_id: uuid.UUID | None = None
    region: str | None = None
    category: str | None = None
    direction: str | None = None
    partner_id: uuid.UUID | None = None
    sex: str | None = None
    age_band: str | None = None

    def applications(self, period_on: Any | None = None) -> list[ColumnElement[bool]]:
        """Conditions on application_facts; `period_on` is the column the period bounds."""
        a = ApplicationFact
        conditions = equal(
            (a.round_id, self.round_id),
            (a.region, self.region),
            (a.direction, self.direction),
            (a.partner_id, self.partner_id),
            (a.sex, self.sex),
            (a.age_band, self.age_band),
        )
        if self.category is not None:
            conditions.append(a.categories.contains([self.category]))
        if period_on is not None:
            conditions.extend(self.period(period_on))
        return conditions

    def enrolments(self) -> list[ColumnElement[bool]]:
        """Participants: applications enrolled and not cancelled, the period bounding the
        enrolment."""
        a = ApplicationFact
        return [
            a.enrolled_at.is_not(None),
            a.enrollment_cancelled_at.is_(None),
            *self.applications(a.enrolled_at),
        ]

    def period(self, column: Any) -> list[ColumnElement[bool]]:
        """`column` within the period: a date column by day, a timestamp column by UTC day."""
        is_timestamp = not isinstance(column.type, Date)
        conditions: list[ColumnElement[bool]] = []
        if self.start is not None:
            low: date | datetime = (
                datetime.combine(self.start, time(), UTC) if is_timestamp else self.start
            )
            conditions.append(column >= low)
        if self.end is not None:
            if is_timestamp:
                conditions.append(
                    column < datetime.combine(self.end + timedelta(days=1), time(), UTC)
                )
            else:
                conditions.append(column <= self.end)
        return conditions

    def where(self, period_on: Any | None = None) -> ColumnElement[bool]:
        return and_(literal(True), *self.applications(period_on))


def _check(
    start: date | None, end: date | None, region: str | None, age_band: str | None
) -> str | None:
    errors: list[FieldError] = []
    if start is not None and end is not None and end < start:
        errors.append(
            FieldError(field="query.to", code="period_order", message="field.period-order")
        )
    if region is not None:
        region = region.strip().upper()
        if region not in region_codes():
            errors.append(
                FieldError(
                    field="query.region", code="region_unknown", message="field.region-unknown"
                )
            )
    if age_band is not None:
        match = _AGE_BAND.match(age_band)
        if match is None or match.group(1) != match.group(2):
            errors.append(
                FieldError(
                    field="query.age_band", code="age_band_invalid", message="field.age-band"
                )
            )
    if errors:
        raise ValidationProblem(errors)
    return region


PeriodStart = Annotated[
    IsoDay | None, Query(alias="from", description="First day of the period (inclusive)")
]
PeriodEnd = Annotated[
    IsoDay | None, Query(alias="to", description="Last day of the period (inclusive)")
]


def people_filters(
    start: PeriodStart = None,
    end: PeriodEnd = None,
    round_id: Annotated[uuid.UUID | None, Query(description="intake's programme round")] = None,
    region: Annotated[str | None, Query(description="ISO 3166-2:AZ code, e.g. AZ-GA")] = None,
    category: Annotated[Category | None, Query(description="Applicant category")] = None,
    direction: Annotated[
        str | None, Query(pattern=_DIRECTION, description="Self-employment direction's code")
    ] = None,
    sex: Annotated[Sex | None, Query()] = None,
    age_band: Annotated[str | None, Query(description='A decade, e.g. "30-39"')] = None,
) -> Filters:
    """The period and who the participants are."""
    region = _check(start, end, region, age_band)
    return Filters(
        start=start,
        end=end,
        round_id=round_id,
        region=region,
        category=category.value if category else None,
        direction=direction,
        sex=sex.value if sex else None,
        age_band=age_band,
    )


PeopleFiltersDep = Annotated[Filters, Depends(people_filters)]


def report_filters(
    people: PeopleFiltersDep,
    partner_id: Annotated[
        uuid.UUID | None, Query(description="Referring partner (a partner: its own only)")
    ] = None,
) -> Filters:
    return replace(people, partner_id=partner_id)


FiltersDep = Annotated[Filters, Depends(report_filters)]


def fund_filters(
    start: PeriodStart = None,
    end: PeriodEnd = None,
    partner_id: Annotated[
        uuid.UUID | None, Query(description="The partner whose fund (a partner: its own only)")
    ] = None,
) -> Filters:
    """The filters that make sense for money: the period and the fund's partner."""
    _check(start, end, None, None)
    return Filters(start=start, end=end, partner_id=partner_id)


FundFiltersDep = Annotated[Filters, Depends(fund_filters)]


def period_filters(start: PeriodStart = None, end: PeriodEnd = None) -> Filters:
    """The period alone, for figures that are not about participants' facts."""
    _check(start, end, None, None)
    return Filters(start=start, end=end)


PeriodFiltersDep = Annotated[Filters, Depends(period_filters)]


def report_partner(partner_id: uuid.UUID | None, principal: Principal) -> uuid.UUID | None:
    """The partner a report is about: naming another partner's is not found, like any object."""
    return partner_in_scope(partner_id, principal, lambda: NotFound("partner", partner_id))


def scoped(filters: Filters, principal: Principal) -> Filters:
    """A partner's filters: its own participants only."""
    return replace(filters, partner_id=report_partner(filters.partner_id, principal))


Audience = Literal["public"]


def suppressing(principal: Principal, audience: Audience | None) -> bool:
    """Exact figures for analysts and admins, unless they ask for the public version."""
    if audience == "public" or partner_of(principal) is not None:
        return True
    return not (principal.kind == "staff" and principal.has_any_role(Role.analyst))
