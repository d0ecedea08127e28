"""Test infrastructure, started once per run: a real PostgreSQL and a real nats-server (or the ones
in DATABASE_URL and NATS_URL), migrated template databases, and a fresh database per test.

Fixtures:
    pg               session   Postgres, or ExternalPostgres for DATABASE_URL; `.url(database)`
    nats_server      session   NatsServer, or ExternalNats for NATS_URL; `.url`, `.restart()` ...
    dev_keys         session   folder with the development signing key and jwks.json
    fresh_database   function  async (service) -> URL of a new database migrated to head
    plans_db         function  sessions on a fresh plans database (handlers without the service)
    nats_namespace   function  a prefix for streams and subjects that no other test uses
    nats_connect     function  async (identity) -> a NATS client with that identity's credentials
    launch_services  function  async (*services, env=...) -> the services as real processes
    start_service    function  async (service, **settings) -> Service in-process (service_fixtures)
    auth             function  (*roles) -> headers with a bearer token for those roles
    intake_settings  function  async (**settings) -> IntakeSettings, to start `intake_instance`
    intake           function  intake in-process; each folder's conftest.py has its own services
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing.forkserver
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar

import nats
import pytest
from nats.aio.client import Client as NATS
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import migrations
from shared.cli import (
    SERVICE_NAMES,
    RunningService,
    dev_secrets,
    peer_urls,
    service_env,
    stop_services,
    wait_ready_async,
)
from shared.cli import (
    start_service as start_service_process,
)
from shared.db import create_engine, create_sessionmaker
from shared.devkeys import ensure_dev_keys
from shared.devstack import (
    NatsServer,
    Postgres,
    create_database,
    drop_database,
    free_port,
    normalise_database_url,
    with_database,
)
from shared.messaging.identities import NatsIdentity

# The services in-process, start_service and auth, for every test folder.
pytest_plugins = ["tests.service_fixtures"]

if TYPE_CHECKING:  # imported by pytest_plugins, so that pytest rewrites its asserts
    from tests.service_fixtures import Service, StartService

FreshDatabase = Callable[[str], Awaitable[str]]
LaunchServices = Callable[..., Awaitable[dict[str, RunningService]]]


class ExternalPostgres:
    """The server in DATABASE_URL: tests use it, but it is not theirs to stop."""

    def __init__(self, url: str) -> None:
        self._url = normalise_database_url(url)

    def url(self, database: str = "postgres") -> str:
        return with_database(self._url, database)

    def start(self) -> NoReturn:
        pytest.skip("DATABASE_URL is set: this test stops PostgreSQL, and only does so to its own")

    stop = kill = start


class ExternalNats:
    """The server in NATS_URL: tests use it, but cannot kill or restart it, nor change its
    permissions. The identities' seeds are `<identity>.nk` in NATS_CREDENTIALS_DIR, if set; the
    server must then grant them the tests' namespaces (or any)."""

    def __init__(self, url: str) -> None:
        self.url = url
        folder = os.environ.get("NATS_CREDENTIALS_DIR")
        self.credentials_dir = Path(folder) if folder else None

    def seed_file(self, identity: str) -> Path | None:
        return self.credentials_dir / f"{identity}.nk" if self.credentials_dir else None

    def identity(self, name: str) -> NatsIdentity:
        return NatsIdentity(name=name, seed_file=self.seed_file(name))

    def allow_namespace(self, namespace: str) -> None:
        pass

    forget_namespace = allow_namespace

    def start(self) -> NoReturn:
        pytest.skip("NATS_URL is set: this test restarts nats-server, and only does so to its own")

    stop = kill = restart = start


def _scratch(prefix: str) -> Path:
    # Not pytest's tmp_path: the PostgreSQL user must be able to traverse it, and pytest resets the
    # permissions of its own base folder whenever a run starts.
    return Path(tempfile.mkdtemp(prefix=prefix))


class _Server(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


_S = TypeVar("_S", bound=_Server)


def _started(server: _S, folder: Path) -> Iterator[_S]:
    """The server running for the session; stopped and its folder removed after it."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def stop_fork_server() -> Iterator[None]:
    """The import validators' fork server (intake.imports.runner) would outlive the run by a
    moment: stop it with the run, like every other process the tests start."""
    yield
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pg() -> Iterator[Postgres | ExternalPostgres]:
    if os.environ.get("DATABASE_URL"):
        yield ExternalPostgres(os.environ["DATABASE_URL"])
        return
    folder = _scratch("dayaq-test-pg-")
    # Started from the main thread: the server dies with the thread that started it.
    yield from _started(Postgres(folder, free_port(), durable=False), folder)


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer | ExternalNats]:
    if os.environ.get("NATS_URL"):
        yield ExternalNats(os.environ["NATS_URL"])
        return
    folder = _scratch("dayaq-test-nats-")
    # With authentication and permissions, as `dayaq run` starts it; each test's namespace is
    # added to the permissions by `nats_namespace`.
    server = NatsServer(
        folder / "server", free_port(), credentials_dir=folder / "identities", namespaces=()
    )
    yield from _started(server, folder)


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Mint tokens with `shared.devkeys.mint_token(dev_keys, roles=[...])`."""
    folder = tmp_path_factory.mktemp("keys")
    ensure_dev_keys(folder)
    return folder


class _Templates:
    """One migrated template database per service, made the first time a test asks for it."""

    def __init__(self, server: Postgres | ExternalPostgres) -> None:
        self.server = server
        self.made: list[str] = []
        self._lock = asyncio.Lock()

    async def get(self, service: str) -> str:
        name = f"test_tpl_{service}"
        async with self._lock:
            if name not in self.made:
                # Dropped first: one left by an earlier run may predate a migration.
                await drop_database(self.server.url(), name)
                await create_database(self.server.url(), name)
                # Alembic's env.py runs its own event loop, so not in this one.
                await asyncio.to_thread(migrations.upgrade, service, self.server.url(name))
                self.made.append(name)
        return name


@pytest.fixture(scope="session")
async def _templates(pg: Postgres | ExternalPostgres) -> AsyncIterator[_Templates]:
    templates = _Templates(pg)
    yield templates
    for name in templates.made:
        await drop_database(pg.url(), name)


@pytest.fixture
async def fresh_database(
    pg: Postgres | ExternalPostgres, _templates: _Templates
) -> AsyncIterator[FreshDatabase]:
    """`url = await fresh_database("intake")`: a database of its own, dropped after the test."""
    created: list[str] = []

    async def make(service: str) -> str:
        template = await _templates.get(service)
        name = f"t_{uuid.uuid4().hex}_{service}"
        await create_database(pg.url(), name, template=template)
        created.append(name)
        return pg.url(name)

    yield make
    for name in created:
        await drop_database(pg.url(), name)


@pytest.fixture
async def plans_db(
    fresh_database: FreshDatabase,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh plans database, for handlers tested without the plans service."""
    engine = create_engine(await fresh_database("plans"))
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def nats_namespace(nats_server: NatsServer | ExternalNats) -> Iterator[str]:
    """Pass as the `nats_namespace` setting: streams and subjects of one test never meet
    another's. The identities may work in it for the length of the test."""
    namespace = f"t{uuid.uuid4().hex[:8]}"
    nats_server.allow_namespace(namespace)
    yield namespace
    nats_server.forget_namespace(namespace)


NatsConnect = Callable[..., Awaitable[NATS]]


@pytest.fixture
async def nats_connect(nats_server: NatsServer | ExternalNats) -> AsyncIterator[NatsConnect]:
    """`nc = await nats_connect("plans")`: a client with that identity's credentials (and any
    `nats.connect` options), closed after the test."""
    clients: list[NATS] = []

    async def connect(identity: str, **options: Any) -> NATS:
        client = await nats.connect(
            nats_server.url, **nats_server.identity(identity).connect_options(), **options
        )
        clients.append(client)
        return client

    yield connect
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


@pytest.fixture
async def launch_services(
    fresh_database: FreshDatabase,
    nats_server: NatsServer | ExternalNats,
    nats_namespace: str,
    dev_keys: Path,
    tmp_path: Path,
) -> AsyncIterator[LaunchServices]:
    """`services = await launch_services("intake", "plans")` (all four when none are named):
    `python -m uvicorn` processes on free ports, each with a fresh database, the test's NATS
    namespace and the development keys; ready when it returns, stopped after the test.
    `env={...}` adds or overrides environment variables, e.g. INTAKE_OUTBOX_POLL_SECONDS."""
    started: list[RunningService] = []
    jwks_file = ensure_dev_keys(dev_keys)
    secrets = dev_secrets(tmp_path / "secrets.env")

    async def launch(
        *names: str, env: Mapping[str, str] | None = None
    ) -> dict[str, RunningService]:
        batch = []
        ports = {name: free_port() for name in names or SERVICE_NAMES}
        for name, port in ports.items():
            service_environment = service_env(
                name,
                database_url=await fresh_database(name),
                nats_url=nats_server.url,
                jwks_file=jwks_file,
                secrets=secrets,
                nats_namespace=nats_namespace,
                nats_seed_file=nats_server.seed_file(name),
            )
            if name == "intake":
                service_environment.update(peer_urls(ports))
            service_environment.update(env or {})
            service = start_service_process(
                name, port, env=service_environment, log_dir=tmp_path / "logs"
            )
            started.append(service)
            batch.append(service)
        await wait_ready_async(batch)
        return {service.name: service for service in batch}

    yield launch
    await asyncio.to_thread(stop_services, started)


@pytest.fixture
async def intake(start_service: StartService) -> Service:
    """Intake in-process with start_service's settings (tests/intake and tests/api use it)."""
    return await start_service("intake")
