"""The `dayaq` command: `run` the whole system locally, mint a development `token`, `migrate`.

Services are named here by string only: the shared package never imports a service.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from secrets import token_urlsafe
from types import FrameType
from typing import NoReturn
from uuid import UUID

import httpx
from sqlalchemy.engine import make_url

from shared import migrations
from shared.devkeys import ensure_dev_keys, mark_development_folder, mint_token
from shared.devstack import (
    NatsServer,
    PortInUse,
    Postgres,
    StartError,
    create_database,
    log_tail,
    normalise_database_url,
    port_in_use,
    spawn,
    with_database,
)
from shared.events.docs import events_markdown
from shared.messaging.deadletters import deadletter_command
from shared.messaging.identities import (
    OPERATOR,
    NatsIdentity,
    OperatorNatsSettings,
    authorization_block,
    ensure_seeds,
    public_keys,
)
from shared.messaging.jetstream import provision_streams

SERVICES: tuple[tuple[str, int], ...] = (
    ("intake", 8001),
    ("plans", 8002),
    ("assets", 8003),
    ("monitoring", 8004),
)
SERVICE_NAMES = tuple(name for name, _ in SERVICES)
# Each service's /metrics, on a port of its own: 9101-9104 unless <SERVICE>_METRICS_PORT says.
METRICS_PORT_OFFSET = 1100
DEFAULT_PG_PORT = 5433
DEFAULT_NATS_PORT = 4222
DEFAULT_DATA_DIR = ".dayaq"
READY_TIMEOUT = 120.0
SERVICE_STOP_TIMEOUT = 10.0
# Generated once per data folder; the settings refuse anything marked dev-only in production.
DEV_SECRETS = (
    "INTAKE_FIN_HASH_KEY",
    "INTAKE_FIN_ENCRYPTION_KEY",
    *(f"{service.upper()}_IDEMPOTENCY_HASH_KEY" for service, _ in SERVICES),
)


class UsageError(Exception):
    """Wrong configuration: a one-line message and exit code 2, no traceback."""


def database_name(service: str) -> str:
    return f"dayaq_{service}"


def env_port(variable: str, default: int) -> int:
    raw = os.environ.get(variable)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise UsageError(f"{variable}={raw!r} is not a port number")
    return int(raw)


def env_count(variable: str, default: int) -> int:
    """A positive whole number from the environment (worker processes), else `default`."""
    raw = os.environ.get(variable)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 0 < int(raw) <= 64:
        raise UsageError(f"{variable}={raw!r} is not a number of processes (1-64)")
    return int(raw)


def dev_secrets(path: Path) -> dict[str, str]:
    """Development secrets, generated on first use and kept in `path` (KEY=value lines)."""
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    missing = [key for key in DEV_SECRETS if key not in values]
    if missing:
        for key in missing:
            values[key] = f"dev-only-{token_urlsafe(32)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return values


def peer_urls(ports: Mapping[str, int], host: str = "127.0.0.1") -> dict[str, str]:
    """Where intake reaches the other services (a person's access request gathers each one's
    part): `INTAKE_<SERVICE>_URL` for each of them in `ports`."""
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (not a bind)
    return {
        f"INTAKE_{name.upper()}_URL": f"http://{reach}:{port}"
        for name, port in ports.items()
        if name != "intake"
    }


def service_env(
    service: str,
    *,
    database_url: str,
    nats_url: str,
    jwks_file: Path,
    secrets: Mapping[str, str],
    nats_namespace: str = "",
    nats_seed_file: Path | None = None,
    base: Mapping[str, str] | None = None,
    metrics_port: int | None = None,
    host: str = "127.0.0.1",
) -> dict[str, str]:
    """The environment of one service process: `base` (default os.environ), secrets where the
    environment does not set them, and the service's own `<SERVICE>_*` settings. Without a
    `nats_seed_file` (NATS_URL given), its NATS credentials come from that environment."""
    env = dict(os.environ if base is None else base)
    for key, value in secrets.items():
        env.setdefault(key, value)
    prefix = service.upper()
    env[f"{prefix}_DATABASE_URL"] = database_url
    env[f"{prefix}_NATS_URL"] = nats_url
    env[f"{prefix}_JWKS_FILE"] = str(jwks_file)
    env[f"{prefix}_ENVIRONMENT"] = "development"
    if nats_namespace:
        env[f"{prefix}_NATS_NAMESPACE"] = nats_namespace
    if metrics_port is not None:
        env[f"{prefix}_METRICS_PORT"] = str(metrics_port)
        env[f"{prefix}_METRICS_HOST"] = host
    if nats_seed_file is not None:
        env[f"{prefix}_NATS_NKEY_SEED_FILE"] = str(nats_seed_file)
    env["PYTHONUNBUFFERED"] = "1"  # logs reach the file as they happen
    return env


@dataclass
class RunningService:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104


def default_workers() -> int:
    """Worker processes per service unless told: one per core, at most four."""
    return max(1, min(os.cpu_count() or 1, 4))


def service_workers(name: str) -> int:
    """The service's worker processes: `<SERVICE>_WORKERS`, else `DAYAQ_WORKERS`, else
    `default_workers()`."""
    return env_count(f"{name.upper()}_WORKERS", env_count("DAYAQ_WORKERS", default_workers()))


def start_service(
    name: str,
    port: int,
    *,
    env: dict[str, str],
    log_dir: Path,
    host: str = "127.0.0.1",
    workers: int = 1,
) -> RunningService:
    """Start one service as `python -m uvicorn <name>.main:create_app`; returns at once.

    `workers` > 1: that many processes serve the port (uvicorn --workers), each with its own
    pool, relay and consumers, as replicas would; their metrics are counted in a folder of
    their own beside the logs (emptied first), and served summed by one of them."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    args = [sys.executable, "-m", "uvicorn", f"{name}.main:create_app", "--factory"]
    # lifespan on: a failing start-up is a crash, not a warning; the graceful timeout stays
    # within the time we give a service to stop.
    args += ["--host", host, "--port", str(port), "--lifespan", "on"]
    args += ["--timeout-graceful-shutdown", "5"]
    if workers > 1:
        args += ["--workers", str(workers)]
        metrics = log_dir.parent / "metrics" / name
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    # SIGKILL if we die: a service keeps nothing in memory that the outbox would not redo.
    process = spawn(args, log, death_signal=signal.SIGKILL, env=env)
    return RunningService(name, f"http://{_url_host(host)}:{port}", process, log)


def _not_ready(service: RunningService, last: str, waited: float | None = None) -> StartError:
    if waited is None:
        what = f"{service.name} exited with code {service.process.returncode}"
    else:
        what = (
            f"{service.name} was not ready after {waited:.0f}s (GET {service.url}/readyz: {last})"
        )
    return StartError(f"{what}; its log {service.log}:\n{log_tail(service.log)}")


def wait_ready(services: Sequence[RunningService], timeout: float = READY_TIMEOUT) -> None:
    """Until every service's GET /readyz answers 200; StartError names the one that did not."""
    deadline = time.monotonic() + timeout
    waiting = list(services)
    last = {service.name: "no answer" for service in services}
    with httpx.Client(timeout=2) as client:
        while waiting:
            for service in list(waiting):
                if service.process.poll() is not None:
                    raise _not_ready(service, last[service.name])
                try:
                    response = client.get(f"{service.url}/readyz")
                    if response.status_code == 200:
                        waiting.remove(service)
                    last[service.name] = str(response.status_code)
                except httpx.HTTPError as error:
                    last[service.name] = type(error).__name__
            if waiting and time.monotonic() > deadline:
                raise _not_ready(waiting[0], last[waiting[0].name], timeout)
            if waiting:
                time.sleep(0.2)


async def wait_ready_async(
    services: Sequence[RunningService], within: float = READY_TIMEOUT
) -> None:
    """wait_ready for code inside an event loop: the polling runs in a thread."""
    await asyncio.to_thread(wait_ready, services, within)


def stop_services(
    services: Sequence[RunningService], timeout: float = SERVICE_STOP_TIMEOUT
) -> None:
    """SIGTERM to all at once, then SIGKILL to whoever is still there after `timeout`."""
    for service in services:
        if service.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                service.process.terminate()
    deadline = time.monotonic() + timeout
    for service in services:
        try:
            service.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()


@contextlib.contextmanager
def running_services(
    *,
    database_urls: Mapping[str, str],
    nats_url: str,
    jwks_file: Path,
    secrets: Mapping[str, str],
    log_dir: Path,
    ports: Mapping[str, int],
    host: str = "127.0.0.1",
    nats_namespace: str = "",
    nats_seed_files: Mapping[str, Path] | None = None,
    timeout: float = READY_TIMEOUT,
    metrics_ports: Mapping[str, int] | None = None,
    workers: Mapping[str, int] | None = None,
) -> Iterator[dict[str, RunningService]]:
    """Start the services named in `ports` (a database URL for each), wait until they are ready,
    and stop them on exit. `nats_seed_files` gives each its NATS identity's seed; `workers`
    each one's processes (one unless told)."""
    started: list[RunningService] = []
    try:
        for name, port in ports.items():
            env = service_env(
                name,
                database_url=database_urls[name],
                nats_url=nats_url,
                jwks_file=jwks_file,
                secrets=secrets,
                nats_namespace=nats_namespace,
                metrics_port=(metrics_ports or {}).get(name),
                host=host,
                nats_seed_file=(nats_seed_files or {}).get(name),
            )
            if name == "intake":
                env.update(peer_urls(ports, host))
            started.append(
                start_service(
                    name,
                    port,
                    env=env,
                    log_dir=log_dir,
                    host=host,
                    workers=(workers or {}).get(name, 1),
                )
            )
        wait_ready(started, timeout)
        yield {service.name: service for service in started}
    finally:
        stop_services(started)


# --- dayaq run ---


@dataclass(frozen=True)
class _Config:
    host: str
    data_dir: Path
    ports: dict[str, int]
    metrics_ports: dict[str, int]
    workers: dict[str, int]
    pg_port: int
    nats_port: int
    database_url: str | None
    nats_url: str | None


def _config(args: argparse.Namespace) -> _Config:
    database_url = os.environ.get("DATABASE_URL") or None
    if database_url is not None:
        try:
            database_url = normalise_database_url(database_url)
        except Exception as error:
            raise UsageError(f"DATABASE_URL: {error}") from None
    return _Config(
        host=args.host,
        data_dir=Path(args.data_dir).absolute(),
        ports={name: env_port(f"{name.upper()}_PORT", port) for name, port in SERVICES},
        metrics_ports={
            name: env_port(f"{name.upper()}_METRICS_PORT", port + METRICS_PORT_OFFSET)
            for name, port in SERVICES
        },
        workers={name: service_workers(name) for name, _ in SERVICES},
        pg_port=env_port("DAYAQ_PG_PORT", DEFAULT_PG_PORT),
        nats_port=env_port("DAYAQ_NATS_PORT", DEFAULT_NATS_PORT),
        database_url=database_url,
        nats_url=os.environ.get("NATS_URL") or None,
    )


def _check_ports(config: _Config) -> list[str]:
    """Every port we would listen on, checked before anything starts."""
    wanted = [
        (port, name, f"{name.upper()}_PORT", config.host) for name, port in config.ports.items()
    ]
    wanted += [
        (port, f"{name} metrics", f"{name.upper()}_METRICS_PORT", config.host)
        for name, port in config.metrics_ports.items()
    ]
    if config.database_url is None:
        wanted.append((config.pg_port, "PostgreSQL", "DAYAQ_PG_PORT", "127.0.0.1"))
    if config.nats_url is None:
        wanted.append((config.nats_port, "nats-server", "DAYAQ_NATS_PORT", "127.0.0.1"))
    problems: list[str] = []
    seen: dict[int, str] = {}
    for port, what, variable, host in wanted:
        if port in seen:
            problems.append(f"port {port} is set for both {seen[port]} and {what}; set {variable}")
        elif port_in_use(port, host):
            problems.append(str(PortInUse(port, what, variable)))
        seen[port] = what
    return problems


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    # Once: a second Ctrl-C (make forwards it too) must not break the orderly stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _migrate(database_urls: Mapping[str, str], server_url: str) -> None:
    for name, url in database_urls.items():
        try:
            asyncio.run(create_database(server_url, database_name(name)))
        except Exception as error:
            where = make_url(server_url).render_as_string(hide_password=True)
            message = f"cannot create database {database_name(name)} on {where}: {error}"
            raise StartError(message) from error
        print(f"dayaq: migrating {name}", flush=True)
        try:
            migrations.upgrade(name, url)
        except Exception as error:
            raise StartError(
                f"migrating {name} failed: {error}\n{traceback.format_exc()}"
            ) from error


def _print_table(config: _Config, services: Sequence[RunningService], args: list[str]) -> None:
    log_dir = config.data_dir / "logs"
    token = " ".join([".venv/bin/dayaq token", *args, "--role case_officer"])
    rows = [("service", "URL", "API docs")]
    rows += [(s.name, s.url, f"{s.url}/docs") for s in services]
    print("\nDayaq is running. Ctrl-C stops everything.\n")
    for name, url, docs in rows:
        print(f"  {name:<12}{url:<26}{docs}")
    print(f"\nService logs: {log_dir}/<service>.log (e.g. tail -f {log_dir}/intake.log)")
    print(f"Data: {config.data_dir} (kept between runs)")
    processes = ", ".join(f"{name} {count}" for name, count in config.workers.items())
    print(f"Processes: {processes} (DAYAQ_WORKERS, or <SERVICE>_WORKERS for one)")
    print(f"Token: make token ROLE=case_officer   or   {token}")
    print(
        f'Try:   curl -H "Authorization: Bearer $({token})" {services[0].url}/v1/applicants\n',
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    config = _config(args)
    problems = _check_ports(config)
    if problems:
        for problem in problems:
            print(f"dayaq: {problem}", file=sys.stderr)
        return 2
    # Ctrl-C and SIGTERM both end in the same orderly stop. Our children run in their own
    # sessions, so a Ctrl-C reaches only us (and make): we stop them in order.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    with contextlib.ExitStack() as stack:
        try:
            _run(config, stack, _data_dir_args(args))
        except KeyboardInterrupt:
            print("\ndayaq: stopping", flush=True)
        except StartError as error:
            print(f"dayaq: {error}", file=sys.stderr)
            return 1
    return 0


def _data_dir_args(args: argparse.Namespace) -> list[str]:
    return [] if args.data_dir == DEFAULT_DATA_DIR else ["--data-dir", str(args.data_dir)]


def _run(config: _Config, stack: contextlib.ExitStack, data_dir_args: list[str]) -> NoReturn:
    # Whatever is made under it (keys, secrets, credentials) is refused in production.
    mark_development_folder(config.data_dir)
    # The ExitStack stops in reverse: services, then NATS, then PostgreSQL.
    if config.database_url is None:
        postgres = Postgres(config.data_dir / "postgres", config.pg_port)
        stack.callback(postgres.stop)
        print(f"dayaq: starting PostgreSQL on 127.0.0.1:{config.pg_port}", flush=True)
        postgres.start()
        server_url = postgres.url()
    else:
        server_url = config.database_url
    seed_files: dict[str, Path] = {}
    if config.nats_url is None:
        # Every client proves who it is: one nkey per service (and the operator's) in the data
        # folder, and nats.conf lets each publish only its own subjects.
        nats = NatsServer(
            config.data_dir / "nats",
            config.nats_port,
            credentials_dir=nats_credentials_dir(config.data_dir),
        )
        stack.callback(nats.stop)
        print(f"dayaq: starting nats-server on 127.0.0.1:{config.nats_port}", flush=True)
        nats.start()
        nats_url = nats.url
        seed_files = ensure_seeds(nats_credentials_dir(config.data_dir))
    else:
        nats_url = config.nats_url  # its credentials come from the environment

    database_urls = {name: with_database(server_url, database_name(name)) for name in config.ports}
    _migrate(database_urls, server_url)
    jwks_file = ensure_dev_keys(config.data_dir / "keys")
    secret_values = dev_secrets(config.data_dir / "secrets.env")

    services = stack.enter_context(
        running_services(
            database_urls=database_urls,
            nats_url=nats_url,
            jwks_file=jwks_file,
            secrets=secret_values,
            log_dir=config.data_dir / "logs",
            ports=config.ports,
            host=config.host,
            metrics_ports=config.metrics_ports,
            nats_seed_files=seed_files,
            workers=config.workers,
        )
    )
    _print_table(config, list(services.values()), data_dir_args)
    while True:
        for service in services.values():
            if service.process.poll() is not None:
                raise StartError(
                    f"{service.name} stopped with code {service.process.returncode}; "
                    f"its log {service.log}:\n{log_tail(service.log)}"
                )
        time.sleep(0.5)


# --- dayaq token, dayaq migrate ---


def token(args: argparse.Namespace) -> int:
    # The keys `dayaq run` gives the services; mint_token creates them if this comes first.
    keys = Path(args.data_dir).absolute() / "keys"
    print(mint_token(keys, roles=args.role, subject=args.subject, partner_id=args.partner_id))
    return 0


def migrate(args: argparse.Namespace) -> int:
    raw = os.environ.get("DATABASE_URL")
    if raw:
        server_url = normalise_database_url(raw)
    else:  # the PostgreSQL of a `dayaq run` that is running
        port = env_port("DAYAQ_PG_PORT", DEFAULT_PG_PORT)
        server_url = Postgres(Path(args.data_dir) / "postgres", port).url()
    urls = {name: with_database(server_url, database_name(name)) for name in SERVICE_NAMES}
    try:
        _migrate(urls, server_url)
    except StartError as error:
        hint = "" if raw else " (is `dayaq run` running?)"
        print(f"dayaq: {error}{hint}", file=sys.stderr)
        return 1
    return 0


def deadletters(args: argparse.Namespace) -> int:
    return asyncio.run(
        deadletter_command(
            _nats_url(),
            args.namespace,
            args.action,
            identity=operator_identity(Path(args.data_dir).absolute()),
            sequences=args.sequence,
            replay_all=args.all,
        )
    )


def streams(args: argparse.Namespace) -> int:
    """`dayaq streams`: as the operator, create every stream or bring it to the configuration
    of this release (the services only create missing ones)."""
    return asyncio.run(
        provision_streams(
            _nats_url(),
            args.namespace,
            identity=operator_identity(Path(args.data_dir).absolute()),
            replicas=args.replicas,
        )
    )


def _nats_url() -> str:
    return os.environ.get("NATS_URL") or (
        f"nats://127.0.0.1:{env_port('DAYAQ_NATS_PORT', DEFAULT_NATS_PORT)}"
    )


def operator_identity(data_dir: Path) -> NatsIdentity:
    """The operator's NATS identity: DAYAQ_NATS_NKEY_SEED(_FILE) and DAYAQ_NATS_TLS_* when set
    (a NATS_URL of your own), else the seed `dayaq run` made in the data folder."""
    settings = OperatorNatsSettings()
    identity = settings.identity()
    if settings.nats_nkey_seed is None and settings.nats_nkey_seed_file is None:
        seed_file = nats_credentials_dir(data_dir) / f"{OPERATOR}.nk"
        identity = replace(identity, seed_file=seed_file if seed_file.exists() else None)
    return identity


def nats_credentials_dir(data_dir: Path) -> Path:
    """Where `dayaq run` keeps the NATS identities' seeds (0600 files in a 0700 folder)."""
    return data_dir / "nats-identities"


def nats_identities(args: argparse.Namespace) -> int:
    """`dayaq nats-identities`: the identities' nkey seeds (made where missing), and what
    nats-server needs to know of them: their public keys, or its whole `authorization` block."""
    seeds = ensure_seeds(Path(args.seeds).absolute())
    keys = public_keys(seeds)
    namespaces = args.namespace or [""]
    try:
        block = authorization_block(keys, namespaces)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.server_config:
        Path(args.server_config).write_text(block)
    for identity, key in keys.items():
        print(f"{identity}\t{key}")
    return 0


def docs(args: argparse.Namespace) -> int:
    """`dayaq docs events`: write docs/events.md from the event catalogue."""
    Path(args.output).write_text(events_markdown())
    print(f"dayaq: wrote {args.output}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dayaq", description="Run Dayaq locally, mint development tokens, migrate."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run_parser = commands.add_parser(
        "run",
        help="start PostgreSQL and nats-server (unless DATABASE_URL / NATS_URL are set), "
        "migrate, and serve the four services",
        description="Ports come from INTAKE_PORT, PLANS_PORT, ASSETS_PORT, MONITORING_PORT "
        "(8001-8004), <SERVICE>_METRICS_PORT (/metrics: 9101-9104), "
        f"DAYAQ_PG_PORT ({DEFAULT_PG_PORT}) and DAYAQ_NATS_PORT "
        f"({DEFAULT_NATS_PORT}).",
    )
    run_parser.add_argument("--host", default="127.0.0.1", help="where the services listen")
    run_parser.set_defaults(handler=run)

    token_parser = commands.add_parser("token", help="print a development bearer token")
    token_parser.add_argument("--role", action="append", required=True, help="repeatable")
    token_parser.add_argument("--subject", default="dev-user")
    token_parser.add_argument("--partner-id", type=UUID, default=None)
    token_parser.set_defaults(handler=token)

    migrate_parser = commands.add_parser(
        "migrate", help="migrate every service's database (DATABASE_URL, or `dayaq run`'s)"
    )
    migrate_parser.set_defaults(handler=migrate)

    dead_parser = commands.add_parser(
        "deadletters",
        help="list the events consumers could not apply, or replay them after a fix",
        description="Talks to NATS_URL, or to `dayaq run`'s nats-server.",
    )
    dead_parser.add_argument("action", choices=("list", "replay"))
    dead_parser.add_argument("sequence", nargs="*", type=int, help="dead letters to replay")
    dead_parser.add_argument("--all", action="store_true", help="replay every dead letter")
    dead_parser.add_argument("--namespace", default="", help="the services' NATS namespace")
    dead_parser.set_defaults(handler=deadletters)

    streams_parser = commands.add_parser(
        "streams",
        help="as the operator, create the streams or bring them to this release's configuration",
        description="Talks to NATS_URL, or to `dayaq run`'s nats-server; services only create "
        "streams that are missing, never change them.",
    )
    streams_parser.add_argument("--namespace", default="", help="the services' NATS namespace")
    streams_parser.add_argument("--replicas", type=int, default=1, help="default: %(default)s")
    streams_parser.set_defaults(handler=streams)

    identities_parser = commands.add_parser(
        "nats-identities",
        help="make the NATS identities' nkey seeds and print their public keys",
        description="One seed per service and the operator in --seeds (kept if there); with "
        "--server-config, also writes nats-server's users and permissions there.",
    )
    identities_parser.add_argument("--seeds", required=True, help="folder of <identity>.nk")
    identities_parser.add_argument("--server-config", help="the authorization block to write")
    identities_parser.add_argument(
        "--namespace", action="append", help="a NATS namespace to serve (repeatable; default none)"
    )
    identities_parser.set_defaults(handler=nats_identities)

    docs_parser = commands.add_parser(
        "docs", help="write the generated documentation (docs/events.md from the event catalogue)"
    )
    docs_parser.add_argument("page", choices=("events",))
    docs_parser.add_argument("--output", default="docs/events.md", help="default: %(default)s")
    docs_parser.set_defaults(handler=docs)

    for sub in (run_parser, token_parser, migrate_parser, dead_parser, streams_parser):
        sub.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="default: %(default)s")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except UsageError as error:
        print(f"dayaq: {error}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
