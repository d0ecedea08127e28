"""The optional filters of plans' list routes."""

from typing import Any

from sqlalchemy import ColumnElement


def given(*pairs: tuple[Any, object]) -> list[ColumnElement[bool]]:
    """`column == value` for each (column, value) whose value was given, i.e. is not None."""
    return [column == value for column, value in pairs if value is not None]
