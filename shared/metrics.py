"""Prometheus metrics every service exposes at /metrics, on a port of its own (`metrics_port`),
never on the API's: the API port is the one the ingress publishes."""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

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


class RequestMetrics:
    """Counts and times every HTTP request by method, route template and status: a pure ASGI
    middleware, inside the app's routing so that the matched route is known when it answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before it answers

        async def send_measured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_measured)
        finally:
            # The route template, not the path, so that ids do not explode the label set.
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(time.perf_counter() - started)


def install_metrics(app: FastAPI) -> None:
    app.add_middleware(RequestMetrics)


def serve_metrics(host: str, port: int) -> Callable[[], None]:
    """Serves /metrics on `host:port` from a thread of this process; returns what stops it.

    Several worker processes of one service (uvicorn --workers) count in the folder named by
    PROMETHEUS_MULTIPROC_DIR, which the process starting them empties first: the one worker
    that binds the port serves every worker's sum, the others serve nothing."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        if registry is REGISTRY or error.errno != errno.EADDRINUSE:
            raise
        log.info("metrics served by another worker of this service")
        return lambda: None

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
