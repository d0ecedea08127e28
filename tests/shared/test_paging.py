"""Cursor paging: the opaque cursor, and the page parameters as a dependency."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from shared.paging import Page, PageParamsDep, decode_cursor, encode_cursor
from shared.problems import install_problem_handlers


def test_cursor_round_trip_with_datetime_and_uuid():
    created_at = datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    row_id = uuid.uuid4()
    cursor = encode_cursor((created_at, row_id))
    assert "=" not in cursor
    assert "+" not in cursor
    assert "/" not in cursor
    assert decode_cursor(cursor) == (created_at.isoformat(), str(row_id))
    assert datetime.fromisoformat(decode_cursor(cursor)[0]) == created_at


def test_cursor_round_trip_with_numbers():
    assert decode_cursor(encode_cursor([42, "x"])) == (42, "x")


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(b"[]").decode(),
        base64.urlsafe_b64encode(b"[[1]]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_foreign_cursors_are_refused(cursor):
    with pytest.raises(ValueError, match="cursor"):
        decode_cursor(cursor)


def test_page_model():
    page = Page[int](items=[1, 2], next_cursor=None)
    assert page.model_dump() == {"items": [1, 2], "next_cursor": None}


@pytest.fixture
async def client():
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/items")
    async def items(page: PageParamsDep) -> dict[str, object]:
        return {"limit": page.limit, "cursor": page.cursor, "after": page.after}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_page_params_defaults(client):
    assert (await client.get("/v1/items")).json() == {"limit": 50, "cursor": None, "after": None}


async def test_page_params_decode_the_cursor(client):
    cursor = encode_cursor(["2025-03-01T10:00:00+00:00", "abc"])
    response = await client.get("/v1/items", params={"cursor": cursor, "limit": 200})
    assert response.json() == {
        "limit": 200,
        "cursor": cursor,
        "after": ["2025-03-01T10:00:00+00:00", "abc"],
    }


async def test_bad_cursor_is_a_422_problem(client):
    response = await client.get(
        "/v1/items", params={"cursor": "garbage!"}, headers={"Accept-Language": "az"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("query.cursor", "value_error")]
    assert errors[0]["message"].startswith("Kursor")


@pytest.mark.parametrize("limit", ["0", "201", "ten"])
async def test_limit_out_of_range_is_a_422_problem(client, limit):
    response = await client.get("/v1/items", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.limit"
