"""Cursor (keyset) paging: stable under inserts and as fast on page 1000 as on page 1.

The cursor is opaque to clients: base64url JSON of the sort key of the page's last row, e.g.
["2025-03-01T10:00:00+00:00", "5b0c..."]. The key columns must be NOT NULL and end in a unique
column (usually `(created_at, id)`), with an index in the same order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import sqlalchemy as sa
from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from shared.problems import FieldError, ValidationProblem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MAX_CURSOR_LENGTH = 1024


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_jsonable(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    """The JSON values in a cursor; ValueError when it is not one of ours."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        values = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("undecodable cursor") from exc
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str | int | float) for v in values)
    ):
        raise ValueError("cursor is not a list of key values")
    return tuple(values)


def _invalid_cursor() -> ValidationProblem:
    return ValidationProblem(
        [FieldError(field="query.cursor", code="value_error", message="field.cursor-invalid")]
    )


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    after: tuple[Any, ...] | None = None  # the cursor's decoded key values


async def _page_params(
    cursor: Annotated[
        str | None,
        Query(
            max_length=_MAX_CURSOR_LENGTH,
            description="`next_cursor` of the previous page; omit for the first page.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
) -> PageParams:
    if cursor is None:
        return PageParams(limit=limit)
    try:
        return PageParams(limit=limit, cursor=cursor, after=decode_cursor(cursor))
    except ValueError:
        raise _invalid_cursor() from None


PageParamsDep = Annotated[PageParams, Depends(_page_params)]

KeyColumn = sa.ColumnElement[Any] | QueryableAttribute[Any]


def _as_column(column: KeyColumn) -> sa.ColumnElement[Any]:
    return column.expression if isinstance(column, QueryableAttribute) else column


def _coerce(value: Any, column: sa.ColumnElement[Any]) -> Any:
    """A cursor's JSON value back to the column's Python type (asyncpg binds by type)."""
    column_type = column.type
    if isinstance(column_type, sa.TypeDecorator):  # e.g. UTCDateTime: its impl knows the type
        column_type = column_type.impl_instance
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return value
    if isinstance(value, str):
        if python_type is datetime:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive datetime in cursor")
            return parsed
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is UUID:
            return UUID(value)
        if python_type is Decimal:
            return Decimal(value)
    if isinstance(value, python_type) and not isinstance(value, bool):
        return value
    raise ValueError(f"cursor value does not fit {python_type.__name__}")


async def paginate(
    session: AsyncSession,
    stmt: sa.Select[*tuple[Any, ...]],
    *,
    key_columns: Sequence[KeyColumn],
    params: PageParams,
    to_item: Callable[[Any], T],
    descending: bool = False,
) -> Page[T]:
    """One page of `stmt`, ordered by `key_columns` (the statement's own ORDER BY is replaced).

    `to_item` gets the entity when `stmt` selects one entity or column, else the whole row
    (which then ends with the key columns, labelled `_cursor_0`, `_cursor_1`, ...).
    """
    columns = [_as_column(c) for c in key_columns]
    if params.after is not None:
        if len(params.after) != len(columns):
            raise _invalid_cursor()
        try:
            after = [
                sa.literal(_coerce(v, c), c.type)
                for v, c in zip(params.after, columns, strict=True)
            ]
        except (ValueError, TypeError, ArithmeticError):
            raise _invalid_cursor() from None
        # A row-value comparison, so PostgreSQL can walk a composite index from the cursor on.
        keys, bound = sa.tuple_(*columns), sa.tuple_(*after)
        stmt = stmt.where(keys < bound if descending else keys > bound)
    selected = len(stmt.column_descriptions)
    paged = (
        stmt.order_by(None)
        .order_by(*(c.desc() if descending else c.asc() for c in columns))
        .limit(params.limit + 1)  # one more row tells whether there is a next page
        .add_columns(*(c.label(f"_cursor_{i}") for i, c in enumerate(columns)))
    )
    rows = (await session.execute(paged)).all()
    page = rows[: params.limit]
    next_cursor = None
    if len(rows) > params.limit:
        next_cursor = encode_cursor(tuple(page[-1])[selected:])
    items = [to_item(row[0] if selected == 1 else row) for row in page]
    return Page(items=items, next_cursor=next_cursor)
