"""The day type of query strings: YYYY-MM-DD only. pydantic alone also takes a number of seconds
since 1970 ("0" is 1970-01-01), which the OpenAPI `format: date` does not allow."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_parsing", "Input should be a date as YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
"""A day as the OpenAPI document says: `?to=2026-03-31`, never `?to=0`."""
