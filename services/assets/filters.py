"""The filters of a list route's query parameters."""

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute


def given(*pairs: tuple[InstrumentedAttribute[Any], object]) -> list[ColumnElement[bool]]:
    """`column == value` for each pair whose value was given (is not None)."""
    return [column == value for column, value in pairs if value is not None]
