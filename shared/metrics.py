"""Prometheus metrics every service exposes at /metrics, on a port of its own (`metrics_port`),
never on the API's: the API port is the one the ingress publishes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram, start_http_server

HTTP_REQUESTS = Counter("dayaq_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_SECONDS = Histogram("dayaq_http_request_seconds", "HTTP request duration", ["method", "route"])
EVENTS_PUBLISHED = Counter(
    "dayaq_events_published_total", "Events published by the relay", ["type"]
)
EVENTS_APPLIED = Counter(
    "dayaq_events_applied_total", "Events applied by a consumer", ["consumer", "type"]
)
EVENTS_DUPLICATE = Counter(
    "dayaq_events_duplicate_total", "Events already applied, skipped", ["consumer", "type"]
)
EVENTS_FAILED = Counter(
    "dayaq_events_failed_total", "Failed attempts to apply an event", ["consumer", "type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "dayaq_events_dead_lettered_total",
    "Events sent to the dead-letter stream",
    ["consumer", "type"],
)
EVENTS_REFUSED = Counter(
    "dayaq_events_refused_total",
    "Events refused because they did not come from the stream's producer (dead-lettered)",
    ["consumer", "reason"],
)


def install_metrics(app: FastAPI) -> None:
    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # The route template, not the path, so that ids do not explode the label set.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        HTTP_SECONDS.labels(request.method, route).observe(time.perf_counter() - started)
        return response


def serve_metrics(host: str, port: int) -> Callable[[], None]:
    """Serves /metrics on `host:port` from a thread of this process; returns what stops it."""
    server, thread = start_http_server(port, addr=host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
