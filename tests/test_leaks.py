"""What a service writes when things go wrong or a caller is hostile, on the service as a real
process (uvicorn as `dayaq run` starts it): its log file, its tables and its events."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.devkeys import mint_token
from tests.conftest import FreshDatabase, LaunchServices
from tests.journey_support import APPLICANT

pytestmark = pytest.mark.e2e


async def _execute(url: str, *statements: str) -> list[str]:
    """Runs the statements; returns the rows of the last as text."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
            return [str(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def _every_row(url: str) -> str:
    """Every row of every table of the database, as JSON text."""
    tables = await _execute(
        url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    )
    names = [row.strip("(),'") for row in tables]
    rows = await _execute(
        url,
        # The names come from the catalogue, not from a caller.
        " UNION ALL ".join(f"SELECT row_to_json(t)::text FROM {name} t" for name in names),  # noqa: S608
    )
    return "\n".join(rows)


async def _logged(log: Path, marker: str) -> str:
    for _ in range(100):
        content = await asyncio.to_thread(log.read_text)
        if marker in content:
            return content
        await asyncio.sleep(0.1)
    raise AssertionError(f"{marker!r} never logged:\n{content}")


async def test_a_failed_commit_logs_and_stores_no_personal_data(
    launch_services: LaunchServices, fresh_database: FreshDatabase, dev_keys: Path
) -> None:
    """A constraint checked at commit (a deferred unique key on names and phone, added by the
    test) fails the second registration with a message that quotes the row: "Key (first_name,
    phone)=(...) already exists". The 500 says nothing; the log names the error's class,
    SQLSTATE and constraint, once, with the request id; the message is nowhere."""
    database = await fresh_database("intake")
    await _execute(
        database,
        "ALTER TABLE applicants ADD CONSTRAINT uq_applicants_test_name_phone "
        "UNIQUE (first_name, phone) DEFERRABLE INITIALLY DEFERRED",
    )
    intake = (await launch_services("intake", env={"INTAKE_DATABASE_URL": database}))["intake"]
    officer = {"Authorization": f"Bearer {mint_token(dev_keys, roles=['case_officer'])}"}
    twin = {**APPLICANT, "fin": "7XYZ2QW", "birth_date": "1990-02-03"}
    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as client:
        first = await client.post("/v1/applicants", json=APPLICANT, headers=officer)
        assert first.status_code == 201, first.text
        failed = await client.post(
            "/v1/applicants", json=twin, headers={**officer, "Idempotency-Key": "twin-1"}
        )
    assert failed.status_code == 500, failed.text
    # Answered by Starlette's outermost middleware: the request id is in the detail only.
    (request_id,) = re.findall(r"[0-9a-f]{32}", failed.json()["detail"])

    log = await _logged(intake.log, "uq_applicants_test_name_phone")
    personal = [str(twin[k]) for k in ("fin", "first_name", "last_name", "birth_date", "phone")]
    for value in [*personal, str(APPLICANT["fin"])]:
        assert value not in failed.text
        assert value not in log, value
    assert "Exception in ASGI application" not in log  # not a second time, by uvicorn
    (line,) = [json.loads(line) for line in log.splitlines() if '"unhandled' in line]
    assert line["request_id"] == request_id
    assert "UniqueViolationError (sqlstate=23505" in line["exc_info"]

    stored = await _every_row(database)
    assert str(twin["fin"]) not in stored
    assert str(APPLICANT["fin"]) not in stored
    assert str(twin["birth_date"]) not in stored  # the twin was never stored, nor its answer


# Each is refused: longer than 64, or a character outside [A-Za-z0-9._-].
HOSTILE_CORRELATION_IDS = ["x" * 65, "9" * 4000, "journey 42", "a;DROP", "<script>", "../etc"]


async def test_a_hostile_correlation_id_is_replaced(
    launch_services: LaunchServices, fresh_database: FreshDatabase, dev_keys: Path
) -> None:
    """Neither the response, nor a log line, nor an event carries what the caller sent."""
    database = await fresh_database("intake")
    intake = (await launch_services("intake", env={"INTAKE_DATABASE_URL": database}))["intake"]
    officer = {"Authorization": f"Bearer {mint_token(dev_keys, roles=['case_officer'])}"}
    answered: list[str] = []
    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as client:
        for number, sent in enumerate(HOSTILE_CORRELATION_IDS):
            headers = {**officer, "X-Correlation-ID": sent}
            body = {**APPLICANT, "fin": f"{number}ABC7DE"}
            applicant = await client.post("/v1/applicants", json=body, headers=headers)
            assert applicant.status_code == 201, applicant.text
            application = await client.post(
                "/v1/applications",
                json={"applicant_id": applicant.json()["id"], "direction": "beekeeping"},
                headers=headers,
            )
            assert application.status_code == 201, application.text
            replaced = application.headers["x-correlation-id"]
            assert replaced == application.headers["x-request-id"]
            answered.append(replaced)
        kept = await client.get("/healthz", headers={"X-Correlation-ID": "journey-42.a_b"})
    assert kept.headers["x-correlation-id"] == "journey-42.a_b"  # a safe token is kept

    correlations = await _execute(
        database,
        "SELECT envelope->>'correlationid' FROM outbox"
        " WHERE envelope->>'type' <> 'intake.partner_keys.snapshot'",  # sent by intake itself
    )
    assert len(correlations) >= len(HOSTILE_CORRELATION_IDS)
    assert all(any(id in row for id in answered) for row in correlations)
    log = intake.log.read_text()
    for sent in HOSTILE_CORRELATION_IDS:
        assert sent not in log
        assert not any(sent in row for row in correlations)
