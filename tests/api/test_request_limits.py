"""Request limits before parsing (shared.limits): body sizes, credentials before the body, NUL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.test_intake import APPLICANT
from tests.service_fixtures import Auth, Service, StartService

MB = 1024 * 1024


class CountedBody:
    """A request body streamed in chunks (no Content-Length: chunked), counting what the
    server pulled from it."""

    def __init__(self, size: int, chunk: int = 64 * 1024) -> None:
        self.size, self.chunk, self.sent = size, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            piece = b" " * min(self.chunk, self.size - self.sent)
            self.sent += len(piece)
            yield piece


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    return problem


async def test_a_large_body_without_credentials_is_refused_before_it_is_read(
    intake: Service,
) -> None:
    body = CountedBody(30 * MB)
    response = await intake.client.post(
        "/v1/applicants", content=body, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 401)
    assert problem["type"].endswith("/unauthorized")
    assert body.sent == 0


@pytest.mark.parametrize(
    "forged",
    [{"Authorization": "Bearer not.a.token"}, {"X-API-Key": "dq_nonsense"}],
    ids=["token", "api-key"],
)
async def test_a_large_body_with_a_forged_token_is_refused_before_it_is_read(
    intake: Service, forged: dict[str, str]
) -> None:
    body = CountedBody(30 * MB)
    response = await intake.client.post(
        "/v1/applicants",
        content=body,
        headers={"Content-Type": "application/json", **forged},
    )
    assert_problem(response, 401)
    assert body.sent == 0


async def test_a_body_over_the_limit_is_413_from_its_length_or_as_it_streams(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    # Content-Length says too much: refused before a byte is read.
    declared = CountedBody(2 * MB)
    response = await intake.client.post(
        "/v1/applicants",
        content=declared,
        headers={**officer, "Content-Type": "application/json", "Content-Length": str(2 * MB)},
    )
    problem = assert_problem(response, 413)
    assert problem["limit"] == MB
    assert [e["field"] for e in problem["errors"]] == ["body"]
    assert declared.sent == 0
    # Chunked, no length: refused once the limit is passed, the rest never read.
    streamed = CountedBody(30 * MB)
    response = await intake.client.post(
        "/v1/applicants", content=streamed, headers={**officer, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert MB < streamed.sent <= MB + streamed.chunk
    # Under the limit all is as before.
    response = await intake.client.post("/v1/applicants", json=APPLICANT, headers=officer)
    assert response.status_code == 201, response.text


async def test_the_body_limit_is_a_setting(start_service: StartService, auth: Auth) -> None:
    intake = await start_service("intake", max_body_bytes=1000)
    response = await intake.client.post(
        "/v1/applicants",
        json={**APPLICANT, "address": "x" * 2000},
        headers=auth("case_officer"),
    )
    assert assert_problem(response, 413)["limit"] == 1000


async def test_an_upload_route_has_its_own_larger_limit(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake", import_max_file_bytes=3 * MB)
    officer = auth("case_officer")
    csv = b"fin,first_name\n" + b"x" * (2 * MB)  # over the 1 MB default, under the upload's
    response = await intake.client.post(
        "/v1/imports", files={"file": ("r.csv", csv, "text/csv")}, headers=officer
    )
    assert response.status_code == 422, response.text  # read and checked: it lacks columns
    too_big = b"x" * (4 * MB)
    response = await intake.client.post(
        "/v1/imports", files={"file": ("r.csv", too_big, "text/csv")}, headers=officer
    )
    assert_problem(response, 413)


async def test_nul_is_refused_naming_the_field_in_every_service(
    start_service: StartService, auth: Auth
) -> None:
    services = {name: await start_service(name) for name in ("intake", "plans", "assets")}
    services["monitoring"] = await start_service("monitoring")
    admin = auth("admin")
    category: dict[str, Any] = APPLICANT["categories"][0]  # type: ignore[assignment]
    cases: list[tuple[str, str, str, dict[str, Any] | None, str]] = [
        ("monitoring", "GET", "/v1/flags?rule=%00", None, "query.rule"),
        ("monitoring", "PUT", "/v1/flag-rules/not%00operating", None, "path"),
        ("intake", "GET", "/v1/applicants?region=AZ%00BA", None, "query.region"),
        (
            "intake",
            "POST",
            "/v1/applicants/search?purpose=case_review",
            {"name": "Ayg\u0000n"},
            "body.name",
        ),
        (
            "intake",
            "POST",
            "/v1/applicants",
            {**APPLICANT, "categories": [{**category, "x\u0000": 1}]},
            "body.categories.0",
        ),
        ("plans", "GET", "/v1/directions/bee%00keeping", None, "path"),
        ("plans", "GET", "/v1/trainings?direction=%00", None, "query.direction"),
        ("assets", "POST", "/v1/suppliers", {"name": "Ari\u0000 MMC"}, "body.name"),
        ("assets", "GET", "/v1/items?serial=HIVE%00", None, "query.serial"),
    ]
    for service, method, url, body, field in cases:
        response = await services[service].client.request(method, url, json=body, headers=admin)
        problem = assert_problem(response, 422)
        assert [e["field"] for e in problem["errors"]] == [field], (url, problem)
        assert problem["errors"][0]["code"] == "null_character"
    # Half a surrogate pair is no text PostgreSQL can store either; a whole pair is an emoji.
    lone = b'{"name": "Ari \\ud800 MMC", "tax_id": "1234567891"}'
    response = await services["assets"].client.post(
        "/v1/suppliers", content=lone, headers={**admin, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("body.name", "unpaired_surrogate")
    ]
    response = await services["assets"].client.post(
        "/v1/suppliers", json={"name": "Arı 🐝 MMC"}, headers=admin
    )
    assert all(e["code"] != "unpaired_surrogate" for e in response.json().get("errors", []))
    # An escaped backslash before "u0000" is text, not a NUL.
    response = await services["assets"].client.post(
        "/v1/suppliers", json={"name": "Ari \\u0000 MMC"}, headers=admin
    )
    assert response.status_code != 422 or all(
        e["code"] != "null_character" for e in response.json()["errors"]
    )
