"""What operators and front-end teams rely on in every service: probes, metrics, JSON logs, the
OpenAPI and AsyncAPI documents, and docs pages that need no CDN."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest

from shared.context import traced
from shared.db import create_engine
from shared.devstack import free_port
from shared.events import EVENT_TYPES
from shared.logs import configure_logging
from tests.service_fixtures import StartService

PREFIXES = {
    "intake": ["/v1/applicants", "/v1/applications", "/v1/partners"],
    "plans": ["/v1/business-plans"],
    "assets": ["/v1/orders", "/v1/deliveries"],
    "monitoring": ["/v1/visits", "/v1/cases"],
}


@pytest.mark.parametrize("name", list(PREFIXES))
async def test_probes_metrics_and_documents(start_service: StartService, name: str) -> None:
    metrics_port = free_port()
    service = await start_service(name, metrics_port=metrics_port, metrics_host="127.0.0.1")
    client = service.client
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "nats": True}

    # /metrics on a port of its own, never on the API's (the one the ingress publishes).
    assert (await client.get("/metrics")).status_code == 404
    async with httpx.AsyncClient(timeout=5) as scraper:
        metrics = await scraper.get(f"http://127.0.0.1:{metrics_port}/metrics")
    assert metrics.status_code == 200
    assert "dayaq_http_requests_total" in metrics.text
    assert 'route="/readyz"' in metrics.text

    paths = (await client.get("/openapi.json")).json()["paths"]
    for prefix in PREFIXES[name]:
        assert any(path.startswith(prefix) for path in paths), prefix
    # Every other service's prefixes are absent: one ingress can route them all.
    for other, prefixes in PREFIXES.items():
        if other != name:
            assert not any(path.startswith(p) for p in prefixes for path in paths)

    docs = (await client.get("/docs")).text
    assert "cdn" not in docs.lower()
    assert "swagger" in docs.lower()

    catalogue = (await client.get("/asyncapi.json")).json()
    assert catalogue["asyncapi"].startswith("3.")
    sent = {
        op["channel"]["$ref"].split("/")[-1].replace("-", ".")
        for op in catalogue["operations"].values()
        if op["action"] == "send"
    }
    assert sent == {t for t, m in EVENT_TYPES.items() if m.source_service == name}


async def test_readyz_says_503_when_the_database_is_gone(start_service: StartService) -> None:
    service = await start_service("plans")
    await service.runtime.engine.dispose()
    # Point the engine at a database that does not exist: the probe must fail, not hang.
    service.runtime.engine = create_engine(
        service.settings.database_url.rsplit("/", 1)[0] + "/no_such_database"
    )
    ready = await service.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] is False
    await service.runtime.engine.dispose()


async def test_responses_carry_request_and_correlation_ids(start_service: StartService) -> None:
    service = await start_service("intake")
    response = await service.client.get("/healthz", headers={"X-Correlation-ID": "journey-42"})
    assert response.headers["x-correlation-id"] == "journey-42"
    assert response.headers["x-request-id"]


def test_json_log_lines_name_the_service_and_trace(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("assets", "INFO", json=True)
        with traced(request_id="r-1", correlation_id="c-1", principal="staff:u-1"):
            logging.getLogger("assets.orders").info("order %s opened", "o-1")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["message"] == "order o-1 opened"
    assert line["level"] == "INFO"
    assert line["service"] == "assets"
    assert line["request_id"] == "r-1"
    assert line["correlation_id"] == "c-1"
    assert line["principal"] == "staff:u-1"


async def test_security_headers_on_api_problem_docs_and_500(start_service: StartService) -> None:
    service = await start_service("intake")
    client = service.client
    api = await client.get("/v1/applicants")  # 401: a problem, answered inside the app
    docs = await client.get("/docs")
    probe = await client.get("/healthz")
    for response in (api, docs, probe):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers  # not behind TLS here
    assert api.status_code == 401
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    # The docs page keeps its own scripts and styles, served by the service itself.
    assert docs.status_code == 200
    assert "default-src" not in docs.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', docs.text)
    assert assets
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset


async def test_security_headers_on_a_500_and_hsts_behind_tls(start_service: StartService) -> None:
    service = await start_service("plans", hsts_seconds=31536000)

    @service.app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=service.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://plans") as client:
        response = await client.get("/v1/boom")
    assert response.status_code == 500
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
