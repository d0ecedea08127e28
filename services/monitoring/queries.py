"""Small pieces the domains' queries share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def equal(*pairs: tuple[Any, object | None]) -> list[ColumnElement[bool]]:
    """`column == value` for each (column, value) whose value is given: a list filter's optional
    query parameters, None meaning "any"."""
    return [column == value for column, value in pairs if value is not None]
