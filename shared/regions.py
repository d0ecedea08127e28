"""The region type of every service: an ISO 3166-2:AZ code (e.g. AZ-BA for Baku), checked
against the standard's list, not only its shape."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import pycountry
from fastapi import Query
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

PATTERN = r"^AZ-[A-Z]{2,3}$"


@cache
def region_names() -> dict[str, str]:
    """Code -> name, from pycountry (e.g. "AZ-BA" -> "Bakı")."""
    subdivisions: Any = pycountry.subdivisions  # pycountry has no type hints
    return {s.code: s.name for s in subdivisions.get(country_code="AZ")}


@cache
def region_codes() -> frozenset[str]:
    return frozenset(region_names())


def known_region(value: str) -> str:
    """The code in capitals, or the field's error `region_unknown`."""
    code = value.strip().upper()
    if code not in region_codes():
        raise PydanticCustomError("region_unknown", "Not a region code of ISO 3166-2:AZ")
    return code


RegionCode = Annotated[
    str,
    StringConstraints(max_length=8),
    AfterValidator(known_region),
    Field(description="ISO 3166-2:AZ code", examples=["AZ-BA"]),
]
"""A region in a body: "az-ba" is taken as AZ-BA; a code the standard does not list is refused."""

RegionFilter = Annotated[
    str | None,
    Query(pattern=PATTERN, description="ISO 3166-2:AZ code", examples=["AZ-BA"]),
]
"""A region in a query string, to filter by."""
