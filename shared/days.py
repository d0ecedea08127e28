"""Days and moments as the OpenAPI document says: ISO 8601 text. pydantic alone also takes a
number of seconds since 1970 (`?to=0` or `{"on": 0}` is 1970-01-01), which `format: date` and
`format: date-time` do not allow."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _iso_day(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_DAY.fullmatch(value)):
        raise PydanticCustomError("date_parsing", "Input should be a date as YYYY-MM-DD")
    return value


def _iso_moment(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise PydanticCustomError("datetime_parsing", "Input should be a date and time")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
"""A day: `2026-03-31`, never `0`."""

IsoMoment = Annotated[datetime, BeforeValidator(_iso_moment)]
"""A moment: `2026-03-31T09:00:00Z`, never `0`."""
