"""`dayaq run` as a developer uses it: everything starts on its own, Ctrl-C stops everything."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest

from shared.cli import SERVICE_NAMES
from shared.devstack import free_port, port_in_use
from shared.messaging.identities import IDENTITIES

pytestmark = pytest.mark.e2e

READY_WITHIN = 180.0
STOP_WITHIN = 60.0


@pytest.fixture
def scratch() -> Iterator[Path]:
    # Outside pytest's tmp_path, whose base folder pytest keeps at mode 0700.
    folder = Path(tempfile.mkdtemp(prefix="dayaq-test-run-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _environment(ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")}
    env.update({variable: str(port) for variable, port in ports.items()})
    return env


def _free_ports() -> dict[str, int]:
    variables = [f"{name.upper()}_PORT" for name in SERVICE_NAMES]
    variables += [f"{name.upper()}_METRICS_PORT" for name in SERVICE_NAMES]
    variables += ["DAYAQ_PG_PORT", "DAYAQ_NATS_PORT"]
    ports: dict[str, int] = {}
    while len(ports) < len(variables):
        port = free_port()
        if port not in ports.values():
            ports[variables[len(ports)]] = port
    return ports


def _dayaq_run(data_dir: Path, env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    with output.open("ab") as out:
        # Its own process group, as a terminal's foreground job: Ctrl-C goes to the whole group.
        return subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "run", "--data-dir", str(data_dir)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_ready(process: subprocess.Popen[bytes], urls: list[str], output: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    waiting = list(urls)
    with httpx.Client(timeout=2) as client:
        while waiting:
            assert process.poll() is None, f"dayaq run exited early:\n{output.read_text()}"
            assert time.monotonic() < deadline, f"not ready: {waiting}\n{output.read_text()}"
            for url in list(waiting):
                try:
                    if client.get(f"{url}/readyz").status_code == 200:
                        waiting.remove(url)
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)


def _leftovers(data_dir: Path, ports: dict[str, int]) -> list[str]:
    """Processes that mention the data folder or a port on their command line, or work in the
    data folder (PostgreSQL's backends rename themselves but stay in their data folder)."""
    marks = [str(data_dir), *(f" {port}" for port in ports.values())]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue  # gone, or not ours to read
        if any(mark in f" {command}" for mark in marks) or cwd.startswith(str(data_dir)):
            found.append(f"{entry.name}: {command}")
    return found


def test_run_serves_all_four_and_ctrl_c_stops_everything(scratch: Path) -> None:
    data_dir = scratch / "data"
    output = scratch / "dayaq-run.out"
    ports = _free_ports()
    env = _environment(ports)
    urls = [f"http://127.0.0.1:{ports[f'{name.upper()}_PORT']}" for name in SERVICE_NAMES]

    secrets_seen = []
    for _round in ("first run", "second run, same data folder"):
        process = _dayaq_run(data_dir, env, output)
        try:
            _wait_ready(process, urls, output)
            for url in urls:
                paths = httpx.get(f"{url}/openapi.json", timeout=10).json()["paths"]
                assert any(path.startswith("/v1/") for path in paths), (url, list(paths))
            assert asyncio.run(_nats_refuses_anonymous(ports["DAYAQ_NATS_PORT"]))
            os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
            assert process.wait(STOP_WITHIN) == 0, output.read_text()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        assert _leftovers(data_dir, ports) == []
        assert not [port for port in ports.values() if port_in_use(port)]
        identities = sorted((data_dir / "nats-identities").glob("*.nk"))
        assert [path.stem for path in identities] == sorted(IDENTITIES)
        assert all(path.stat().st_mode & 0o077 == 0 for path in identities)
        secrets_seen.append(
            (data_dir / "secrets.env").read_text() + "".join(p.read_text() for p in identities)
        )

    assert secrets_seen[0] == secrets_seen[1]  # kept, not regenerated
    assert (data_dir / "postgres" / "pgdata" / "PG_VERSION").exists()
    assert "Traceback" not in output.read_text()


async def _nats_refuses_anonymous(port: int) -> bool:
    try:
        client = await nats.connect(
            f"nats://127.0.0.1:{port}", allow_reconnect=False, max_reconnect_attempts=0
        )
    except nats.errors.Error as error:
        return "Authorization Violation" in str(error)
    await client.close()
    return False


def test_run_refuses_a_taken_port_in_one_line(scratch: Path) -> None:
    ports = _free_ports()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports["INTAKE_PORT"]))
        listener.listen()
        done = subprocess.run(
            [sys.executable, "-m", "shared.cli", "run", "--data-dir", str(scratch / "data")],
            env=_environment(ports),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"dayaq: port {ports['INTAKE_PORT']} for intake is already in use; "
        "stop what uses it or set INTAKE_PORT=...\n"
    )
    assert not (scratch / "data").exists()  # nothing was started
