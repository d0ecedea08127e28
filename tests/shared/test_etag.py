"""Request preconditions: ETag/If-Match (412, 428), and the Idempotency-Key header's own checks."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import create_async_engine

from shared.auth import Principal, get_principal
from shared.db import SessionDep, create_sessionmaker
from shared.etag import IfMatch, IfMatchDep, check_if_match, etag_for, parse_if_match, set_etag
from shared.idempotency import IdempotencyDep
from shared.problems import PreconditionFailed, install_problem_handlers


def test_etag_for():
    assert etag_for(3) == '"3"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("*", IfMatch(any=True)),
        ('"3"', IfMatch(tags=frozenset({"3"}))),
        ('"1", "3" ,"7"', IfMatch(tags=frozenset({"1", "3", "7"}))),
        ('W/"3"', IfMatch()),
        ('W/"3", "4"', IfMatch(tags=frozenset({"4"}))),
        ("3", IfMatch(tags=frozenset({"3"}))),
    ],
)
def test_parse_if_match(header, expected):
    assert parse_if_match(header) == expected


@pytest.mark.parametrize("header", ['"3', '3"', '"a"b"'])
def test_malformed_if_match(header):
    with pytest.raises(ValueError, match="entity tag"):
        parse_if_match(header)


def test_check_if_match():
    check_if_match(parse_if_match('"2", "3"'), 3)
    check_if_match(parse_if_match("*"), 99)
    with pytest.raises(PreconditionFailed) as raised:
        check_if_match(parse_if_match('"2"'), 3)
    assert raised.value.status == 412
    with pytest.raises(PreconditionFailed):
        check_if_match(parse_if_match('W/"3"'), 3)  # weak tags never match


class ThingOut(BaseModel):
    id: int
    version: int


@pytest.fixture
async def client():
    app = FastAPI()
    install_problem_handlers(app)
    # An engine that is never connected: these requests must not reach the database.
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    app.state.runtime = SimpleNamespace(sessionmaker=create_sessionmaker(engine))
    app.dependency_overrides[get_principal] = lambda: Principal(kind="staff", subject="u-1")

    @app.patch("/v1/things/1")
    async def change(if_match: IfMatchDep, response: Response) -> dict[str, int]:
        current = 3
        check_if_match(if_match, current)
        set_etag(response, current + 1)
        return {"version": current + 1}

    @app.post("/v1/things", status_code=201, response_model=ThingOut)
    async def create(session: SessionDep, idem: IdempotencyDep) -> Response:
        async def action() -> ThingOut:
            return ThingOut(id=1, version=1)

        async def read(ref: str) -> ThingOut:
            return ThingOut(id=int(ref), version=1)

        return await idem.respond(
            action,
            read=read,
            response_model=ThingOut,
            headers=lambda out: {"Location": f"/v1/things/{out.id}", "ETag": etag_for(out.version)},
        )

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    await engine.dispose()


async def test_missing_if_match_is_428(client):
    response = await client.patch("/v1/things/1", headers={"Accept-Language": "ru"})
    assert response.status_code == 428
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://dayaq.az/problems/precondition-required"
    assert response.json()["title"] == "Требуется заголовок If-Match"


async def test_stale_if_match_is_412(client):
    response = await client.patch("/v1/things/1", headers={"If-Match": '"2"'})
    assert response.status_code == 412
    assert response.json()["type"] == "https://dayaq.az/problems/precondition-failed"


@pytest.mark.parametrize("header", ['"3"', "*", '"1", "3"'])
async def test_matching_if_match_passes_and_sets_the_new_etag(client, header):
    response = await client.patch("/v1/things/1", headers={"If-Match": header})
    assert response.status_code == 200
    assert response.headers["etag"] == '"4"'


async def test_malformed_if_match_is_422_on_the_header(client):
    response = await client.patch("/v1/things/1", headers={"If-Match": '"3'})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.If-Match"


async def test_without_idempotency_key_the_action_just_runs(client):
    response = await client.post("/v1/things", json={})
    assert response.status_code == 201
    assert response.json() == {"id": 1, "version": 1}
    assert response.headers["location"] == "/v1/things/1"
    assert response.headers["etag"] == '"1"'
    assert "idempotent-replayed" not in response.headers


async def test_too_long_idempotency_key_is_422_on_the_header(client):
    response = await client.post("/v1/things", json={}, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("header.Idempotency-Key", "string_too_long")
    ]
