"""Rate limits per principal on the expensive operations, and the reports' statement timeout."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from pydantic import ValidationError

from intake.settings import IntakeSettings
from shared.devstack import normalise_database_url
from tests.service_fixtures import Auth, StartService


async def test_the_call_past_the_limit_gets_429_with_retry_after_and_others_are_not_affected(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake", rate_limit_searches="3/minute")
    officer = auth("case_officer", subject="officer-1")
    url = "/v1/applicants/search?purpose=case_review"
    for _ in range(3):
        response = await intake.client.post(url, json={"region": "AZ-BA"}, headers=officer)
        assert response.status_code == 200, response.text
    refused = await intake.client.post(url, json={"region": "AZ-BA"}, headers=officer)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/too-many-requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another staff user has a window of its own.
    other = auth("case_officer", subject="officer-2")
    assert (await intake.client.post(url, json={}, headers=other)).status_code == 200


async def test_reports_are_rate_limited_per_principal(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring", rate_limit_reports="2/minute")
    analyst = auth("analyst", subject="analyst-1")
    for _ in range(2):
        response = await monitoring.client.get("/v1/reports/funnel", headers=analyst)
        assert response.status_code == 200, response.text
    refused = await monitoring.client.get("/v1/reports/participants", headers=analyst)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    another = auth("analyst", subject="analyst-2")
    assert (await monitoring.client.get("/v1/reports/funnel", headers=another)).status_code == 200


async def test_a_report_query_past_the_statement_timeout_is_a_503_problem(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring", report_statement_timeout_ms=300)
    analyst = auth("analyst")
    assert (await monitoring.client.get("/v1/reports/funnel", headers=analyst)).status_code == 200
    # Another session holds the facts locked: the report's query waits until its timeout.
    url = normalise_database_url(monitoring.settings.database_url)
    blocker = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE application_facts IN ACCESS EXCLUSIVE MODE")
            started = asyncio.get_running_loop().time()
            response = await monitoring.client.get("/v1/reports/funnel", headers=analyst)
            waited = asyncio.get_running_loop().time() - started
    finally:
        await blocker.close()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/service-unavailable")
    assert waited < 5
    # The timeout was the report's transaction's only.
    assert (await monitoring.client.get("/v1/reports/funnel", headers=analyst)).status_code == 200


def test_a_limit_the_library_cannot_read_is_refused_at_start() -> None:
    with pytest.raises(ValidationError):
        IntakeSettings(rate_limit_searches="lots")
    assert IntakeSettings(rate_limit_searches="100 per hour").rate_limit_searches == "100 per hour"
