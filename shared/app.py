"""Assembles a service: settings, lifespan (engine, NATS, relay, consumers), middleware, error
handlers, probes and metrics. Each service's main.py is a call to `create_service_app`."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import inspect
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from limits.aio.strategies import MovingWindowRateLimiter
from nats.aio.client import Client as NATS
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import ApiKeyStore
from shared.context import RequestIds
from shared.db import create_engine, create_sessionmaker, engine_options
from shared.events.asyncapi import asyncapi_document
from shared.headers import SecurityHeaders
from shared.idempotency import idempotency_purge
from shared.limits import install_request_limits
from shared.logs import configure_logging
from shared.messaging.consumer import Consumer, Handler
from shared.messaging.deadletters import ensure_deadletter_stream
from shared.messaging.identities import nats_identity
from shared.messaging.jetstream import connect, ensure_own_stream
from shared.messaging.relay import OutboxRelay
from shared.metrics import install_metrics, serve_metrics
from shared.partner_keys import PartnerKeyStore
from shared.problems import install_problem_handlers
from shared.ratelimit import rate_limiter
from shared.routes import document_error_responses
from shared.settings import ServiceSettings
from shared.workers import Worker

log = logging.getLogger(__name__)

T = TypeVar("T")

PartFactory = Callable[["Runtime"], object]
"""Builds one long-lived object a service's routes reach through `Runtime.get` (e.g. a runner)."""

WorkerFactory = Callable[["Runtime"], Worker | Awaitable[Worker]]
"""Builds one piece of background work; an async factory may do a first round before serving."""


@dataclass
class Runtime:
    """Everything a running service holds, typed: the one object on `app.state` besides its
    settings. Routes reach it with `RuntimeDep`; tests through `app.state.runtime`."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    nc: NATS
    relay: OutboxRelay
    consumers: list[Consumer]
    api_key_store: ApiKeyStore
    rate_limiter: MovingWindowRateLimiter
    parts: dict[type[Any], object] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stop_metrics: Callable[[], None] = lambda: None

    def get(self, kind: type[T]) -> T:
        """The service's part of that type (a KeyError is a service that did not declare it)."""
        return cast(T, self.parts[kind])

    def start(self, name: str, worker: Worker) -> None:
        self.tasks.append(asyncio.create_task(worker.run(), name=name))


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


# Dependencies are async, as every one in the request path: FastAPI runs a plain `def` one in
# its thread pool, a hand-off to another thread for each request.
RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    handlers: Mapping[str, Mapping[str, Handler]] | None = None,
    api_key_store: Callable[[async_sessionmaker[AsyncSession]], ApiKeyStore] = PartnerKeyStore,
    parts: Mapping[type[Any], PartFactory] | None = None,
    workers: Mapping[str, WorkerFactory] | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """`handlers` maps a producing service to {event type: handler}; one durable consumer each.

    At start, after the engine and NATS are up: `parts` are built in order and kept on the
    runtime by their type; then every worker (by its task's name) is built and run until
    shutdown, after the relay, the consumers and the idempotency purge every service has."""
    service = settings.service_name
    configure_logging(service, settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _die_with_supervisor()
        runtime = await _open_runtime(settings, handlers or {}, api_key_store)
        app.state.runtime = runtime
        try:
            await _start(runtime, parts or {}, workers or {})
            log.info("%s started", service)
            yield
        finally:
            await _close(runtime)
            log.info("%s stopped", service)

    app = FastAPIOffline(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=openapi_tags,
    )
    app.state.settings = settings
    # Outside Starlette's outermost middleware, so that the 500s it answers carry them too; the
    # request ids outermost, so that they exist before anything else runs.
    build_middleware_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: RequestIds(  # type: ignore[method-assign]
        SecurityHeaders(Liveness(build_middleware_stack()), hsts_seconds=settings.hsts_seconds)
    )

    install_problem_handlers(app)
    # Inside the metrics middleware: refusals are measured. Every middleware is pure ASGI.
    install_request_limits(app, settings)
    install_metrics(app)
    app.include_router(_probes())
    received = [event_type for by_type in (handlers or {}).values() for event_type in by_type]
    catalogue = asyncapi_document(service, received)

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> dict[str, Any]:
        return catalogue

    for router in routers:
        app.include_router(router)
    document_error_responses(app)
    return app


def _die_with_supervisor() -> None:
    """A worker of `uvicorn --workers` (a multiprocessing child) is sent SIGTERM, and so shuts
    down, when the process supervising it dies, even by SIGKILL: it never serves on alone,
    holding the service's port against the next start."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent.pid:  # the supervisor died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


async def _open_runtime(
    settings: ServiceSettings,
    handlers: Mapping[str, Mapping[str, Handler]],
    api_key_store: Callable[[async_sessionmaker[AsyncSession]], ApiKeyStore],
) -> Runtime:
    """The engine, NATS with the service's own streams, its consumers and relay: none running."""
    service = settings.service_name
    engine = create_engine(settings.database_url, **engine_options(settings))
    sessionmaker = create_sessionmaker(engine)
    consumers: list[Consumer] = []

    async def reconnected() -> None:
        for consumer in consumers:
            consumer.reconnected()

    nc = await connect(
        settings.nats_url,
        name=service,
        on_reconnect=reconnected,
        **nats_identity(settings).connect_options(),
    )
    js = nc.jetstream()
    # Only its own stream: the streams it consumes are their producers' to make, and its
    # consumers wait for them (NATS permissions allow nothing else).
    replicas = settings.nats_stream_replicas
    await ensure_own_stream(js, settings.nats_namespace, service, replicas=replicas)
    await ensure_deadletter_stream(js, settings.nats_namespace, replicas)
    for producer, by_type in handlers.items():
        consumers.append(
            Consumer(
                name=f"{service}-from-{producer}",
                producer=producer,
                handlers=by_type,
                sessionmaker=sessionmaker,
                nc=nc,
                namespace=settings.nats_namespace,
                max_attempts=settings.consumer_max_attempts,
                retry_base_seconds=settings.consumer_retry_base_seconds,
            )
        )
    relay = OutboxRelay(
        engine, js, namespace=settings.nats_namespace, poll_seconds=settings.outbox_poll_seconds
    )
    return Runtime(
        settings,
        engine,
        sessionmaker,
        nc,
        relay,
        consumers,
        api_key_store(sessionmaker),
        rate_limiter(settings),
    )


async def _start(
    runtime: Runtime, parts: Mapping[type[Any], PartFactory], workers: Mapping[str, WorkerFactory]
) -> None:
    """Builds the parts, then runs the relay, the consumers, the purge and the workers."""
    settings = runtime.settings
    service = settings.service_name
    for kind, build in parts.items():
        runtime.parts[kind] = build(runtime)
    runtime.start(f"{service}-relay", runtime.relay)
    for consumer in runtime.consumers:
        runtime.start(consumer.name, consumer)
    runtime.start(f"{service}-idempotency-purge", idempotency_purge(runtime.engine, settings))
    for name, build_worker in workers.items():
        worker = build_worker(runtime)
        runtime.start(name, await worker if inspect.isawaitable(worker) else worker)
    if settings.metrics_port is not None:
        runtime.stop_metrics = serve_metrics(settings.metrics_host, settings.metrics_port)


async def _close(runtime: Runtime) -> None:
    runtime.stop_metrics()
    for task in runtime.tasks:
        task.cancel()
    await asyncio.gather(*runtime.tasks, return_exceptions=True)
    with contextlib.suppress(Exception):
        await runtime.nc.drain()
    await runtime.engine.dispose()


_ALIVE = b'{"status":"ok"}'


class Liveness:
    """Answers `GET /healthz` with `{"status": "ok"}` before the routing, the dependencies, the
    request limits and the metrics (a probe is not the API's traffic), inside the request ids and
    the security headers. The route of the same path stays, for the OpenAPI document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/healthz" and scope["method"] == "GET":
            # A new list each time: the middleware outside adds its headers to it.
            headers = [(b"content-length", b"15"), (b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": _ALIVE})
            return
        await self.app(scope, receive, send)


def _probes() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}  # answered by Liveness first; the same, for the document

    @router.get("/readyz", summary="The database and NATS are reachable")
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime | None = getattr(request.app.state, "runtime", None)
        checks = {"database": False, "nats": False}
        if runtime is not None:
            with contextlib.suppress(Exception):
                async with runtime.engine.connect() as connection:
                    await asyncio.wait_for(connection.execute(text("SELECT 1")), timeout=2)
                checks["database"] = True
            checks["nats"] = runtime.nc.is_connected
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return router
