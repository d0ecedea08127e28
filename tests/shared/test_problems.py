"""problem+json: field errors, localization, framework errors and the 500 that leaks nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy.orm.exc import StaleDataError

from shared.i18n import negotiate_language
from shared.problems import (
    PROBLEM_MEDIA_TYPE,
    FieldError,
    InvalidState,
    NotFound,
    Problem,
    ValidationProblem,
    install_problem_handlers,
    problem_responses,
)


class ApplicantIn(BaseModel):
    fin: str = Field(pattern=r"^[0-9A-Z]{7}$")
    name: str = Field(min_length=1, max_length=100)


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/applicants", status_code=201, responses=problem_responses(409, 422))
    async def create(body: ApplicantIn) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/v1/applicants/{applicant_id}", responses=problem_responses(404))
    async def read(applicant_id: int) -> dict[str, int]:
        raise NotFound("applicant", applicant_id)

    @app.post("/v1/applications/{application_id}/approve")
    async def approve(application_id: int) -> None:
        raise InvalidState("withdrawn", extras={"status": 200, "allowed": ["submitted"]})

    @app.post("/v1/duplicate")
    async def duplicate() -> None:
        raise ValidationProblem(
            [FieldError(field="body.fin", code="duplicate", message="detail.not-found")]
        )

    @app.get("/v1/boom")
    async def boom() -> None:
        person = {"fin": "5ABCDEF", "name": "Aysel Mammadova"}
        raise RuntimeError(f"cannot insert {person}")

    @app.get("/v1/stale")
    async def stale() -> None:
        raise StaleDataError("UPDATE statement on table 'applications' expected 1 row")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises after answering a 500, as a server sees it.
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://dayaq.az/problems/{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["instance"] == response.request.url.path
    return body


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("az", "az"),
        ("az-Latn-AZ", "az"),
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("ru;q=0.5, en;q=0.9", "en"),
        ("de, fr;q=0.9, ru;q=0.1", "ru"),
        ("fr", "en"),
        ("*", "en"),
        ("az;q=0, ru", "ru"),
        ("en;q=abc, az;q=0.5", "az"),
    ],
)
def test_language_negotiation(header, language):
    assert negotiate_language(header) == language


async def test_missing_field_is_localized_in_three_languages(client):
    titles, messages = {}, {}
    for language in ("az", "en", "ru"):
        response = await client.post(
            "/v1/applicants", json={"name": "x"}, headers={"Accept-Language": language}
        )
        body = assert_problem(response, 422, "validation-error")
        assert response.headers["content-language"] == language
        assert body["errors"] == [
            {"field": "body.fin", "code": "missing", "message": body["errors"][0]["message"]}
        ]
        titles[language] = body["title"]
        messages[language] = body["errors"][0]["message"]
    assert len(set(titles.values())) == 3
    assert len(set(messages.values())) == 3
    assert messages["en"] == "Field required"
    assert titles["az"] == "Sorğu yanlışdır"
    assert messages["ru"] == "Обязательное поле"


async def test_bad_pattern_names_the_field_and_keeps_the_input_out(client):
    messages = set()
    for language in ("az-Latn-AZ", "en-GB", "ru"):
        response = await client.post(
            "/v1/applicants",
            json={"fin": "secret!", "name": ""},
            headers={"Accept-Language": language},
        )
        body = assert_problem(response, 422, "validation-error")
        by_field = {e["field"]: e for e in body["errors"]}
        assert by_field["body.fin"]["code"] == "string_pattern_mismatch"
        assert by_field["body.name"]["code"] == "string_too_short"
        assert "1" in by_field["body.name"]["message"]  # min_length formatted in
        messages.add(by_field["body.fin"]["message"])
        assert "secret!" not in response.text
    assert len(messages) == 3


async def test_invalid_json_is_a_problem(client):
    response = await client.post(
        "/v1/applicants", content=b'{"fin": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["code"] == "json_invalid"
    assert body["errors"][0]["field"].startswith("body")


async def test_unknown_type_falls_back_to_pydantic_message(client):
    response = await client.get("/v1/applicants/abc", headers={"Accept-Language": "az"})
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "path.applicant_id"
    assert body["errors"][0]["message"] == "Tam ədəd olmalıdır"


async def test_not_found_detail_is_localized(client):
    en = assert_problem(await client.get("/v1/applicants/7"), 404, "not-found")
    assert en["detail"] == "applicant 7 was not found."
    ru = await client.get("/v1/applicants/7", headers={"Accept-Language": "ru"})
    assert assert_problem(ru, 404, "not-found")["detail"] == "applicant 7 не найден(а)."


async def test_invalid_state_carries_current_state_and_extras_do_not_override(client):
    body = assert_problem(await client.post("/v1/applications/1/approve"), 409, "invalid-state")
    assert body["current_state"] == "withdrawn"
    assert body["allowed"] == ["submitted"]
    assert body["status"] == 409


async def test_service_field_errors_are_translated_by_key(client):
    body = assert_problem(
        await client.post("/v1/duplicate", headers={"Accept-Language": "az"}),
        422,
        "validation-error",
    )
    assert body["errors"][0]["field"] == "body.fin"
    assert body["errors"][0]["code"] == "duplicate"


async def test_unknown_route_is_a_404_problem(client):
    response = await client.get("/v1/nowhere", headers={"Accept-Language": "ru"})
    body = assert_problem(response, 404, "not-found")
    assert body["title"] == "Не найдено"
    assert body["detail"] == "Такого адреса нет."


async def test_wrong_method_is_a_405_problem_with_allow(client):
    response = await client.delete("/v1/applicants")
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]


async def test_stale_data_is_412(client):
    assert_problem(await client.get("/v1/stale"), 412, "precondition-failed")


async def test_unexpected_error_is_a_500_without_internals(client, caplog):
    caplog.set_level(logging.ERROR, logger="shared.problems")
    response = await client.get(
        "/v1/boom?fin=5ABCDEF", headers={"X-Request-ID": "req-42", "Accept-Language": "az"}
    )
    body = assert_problem(response, 500, "internal-error")
    assert "req-42" in body["detail"]
    for leak in ("5ABCDEF", "Aysel", "RuntimeError", "Traceback", "test_problems"):
        assert leak not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "req-42" in logged
    assert "RuntimeError" in logged
    assert "5ABCDEF" not in logged
    assert "Aysel" not in logged


def test_problem_defaults():
    problem = Problem(409, "conflict", detail="x")
    assert problem.title_key == "title.conflict"
    assert repr(problem) == "Problem(status=409, type='conflict')"


async def test_openapi_documents_problems(client):
    schema = (await client.get("/openapi.json")).json()
    assert "ProblemDetails" in schema["components"]["schemas"]
    assert "FieldError" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    responses = schema["paths"]["/v1/applicants/{applicant_id}"]["get"]["responses"]
    for status in ("404", "422"):
        content = responses[status]["content"]
        assert content == {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        }
