"""Services in-process: each test gets the app (with its lifespan: relay and consumers running)
on a fresh database and its own NATS namespace, and an httpx client bound to it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from assets.main import create_app as create_assets
from assets.settings import AssetsSettings
from intake.main import create_app as create_intake
from intake.settings import IntakeSettings
from monitoring.main import create_app as create_monitoring
from monitoring.settings import MonitoringSettings
from plans.main import create_app as create_plans
from plans.settings import PlansSettings
from shared.app import Runtime
from shared.devkeys import ensure_dev_keys, mint_token
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import PRODUCERS, ensure_own_stream, ensure_streams
from shared.settings import ServiceSettings

FACTORIES: dict[str, tuple[type[ServiceSettings], Callable[[Any], FastAPI]]] = {
    "intake": (IntakeSettings, create_intake),
    "plans": (PlansSettings, create_plans),
    "assets": (AssetsSettings, create_assets),
    "monitoring": (MonitoringSettings, create_monitoring),
}


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    settings: ServiceSettings
    # A NATS client with another identity's credentials (see conftest's nats_connect).
    connect_as: Callable[[str], Awaitable[NATS]] | None = None

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def jetstream_as(self, identity: str) -> JetStreamContext:
        """To stand in for a producer: NATS lets only a service itself publish its events, so a
        test sending plans' events to this service sends them as plans."""
        assert self.connect_as is not None, "started without start_service"
        return (await self.connect_as(identity)).jetstream()


StartService = Callable[..., Awaitable[Service]]


@pytest.fixture
async def start_service(
    fresh_database: Callable[[str], Awaitable[str]],
    nats_server: Any,
    nats_namespace: str,
    nats_connect: Callable[..., Awaitable[NATS]],
    dev_keys: Path,
) -> AsyncIterator[StartService]:
    """`intake = await start_service("intake", outbox_poll_seconds=0.1)`."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []
    connections: dict[str, NATS] = {}

    async def connect_as(identity: str) -> NATS:
        if identity not in connections:
            connections[identity] = await nats_connect(identity)
            # The streams it may publish on, as their producers make them when they start.
            js = connections[identity].jetstream()
            if identity == OPERATOR:
                await ensure_streams(js, nats_namespace, *PRODUCERS)
            elif identity in PRODUCERS:
                await ensure_own_stream(js, nats_namespace, identity)
        return connections[identity]

    async def start(name: str, **overrides: Any) -> Service:
        settings_class, factory = FACTORIES[name]
        settings = settings_class(
            database_url=await fresh_database(name),
            nats_url=nats_server.url,
            nats_namespace=nats_namespace,
            nats_nkey_seed_file=nats_server.seed_file(name),
            jwks_file=ensure_dev_keys(dev_keys),
            log_json=False,
            consumer_retry_base_seconds=0.05,
            outbox_poll_seconds=0.2,
            **overrides,
        )
        app = factory(settings)
        manager = LifespanManager(app, startup_timeout=30, shutdown_timeout=30)
        await manager.__aenter__()
        managers.append(manager)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{name}"
        )
        clients.append(client)
        return Service(app=app, client=client, settings=settings, connect_as=connect_as)

    yield start
    for client in clients:
        await client.aclose()
    for manager in reversed(managers):
        await manager.__aexit__(None, None, None)


IntakeSettingsFactory = Callable[..., Awaitable[IntakeSettings]]


@pytest.fixture
def intake_settings(
    fresh_database: Callable[[str], Awaitable[str]],
    nats_server: Any,
    nats_namespace: str,
    dev_keys: Path,
) -> IntakeSettingsFactory:
    """`settings = await intake_settings(selection_max_attempts=2)`: settings on a fresh database,
    for a test that starts intake itself with `intake_instance`, e.g. twice to restart it."""

    async def make(**overrides: Any) -> IntakeSettings:
        return IntakeSettings(
            database_url=await fresh_database("intake"),
            nats_url=nats_server.url,
            nats_namespace=nats_namespace,
            nats_nkey_seed_file=nats_server.seed_file("intake"),
            jwks_file=ensure_dev_keys(dev_keys),
            log_json=False,
            outbox_poll_seconds=0.2,
            **overrides,
        )

    return make


@asynccontextmanager
async def intake_instance(settings: IntakeSettings) -> AsyncIterator[Service]:
    """One intake instance on these settings, stopped when the block ends."""
    app = create_intake(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield Service(app=app, client=client, settings=settings)


Auth = Callable[..., dict[str, str]]


@pytest.fixture
def auth(dev_keys: Path) -> Auth:
    """`headers=auth("case_officer")`: a bearer token for those roles, from a fresh subject unless
    one is given."""

    def headers(*roles: str, subject: str | None = None, **extra: str) -> dict[str, str]:
        token = mint_token(
            dev_keys, roles=list(roles), subject=subject or f"user-{uuid.uuid4().hex[:8]}"
        )
        return {"Authorization": f"Bearer {token}", **extra}

    return headers
