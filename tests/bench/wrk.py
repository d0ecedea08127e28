"""The load generator: wrk (Debian's package), driven with a Lua script per benchmark.

wrk is found on PATH; else the bench fetches Debian's package and its LuaJIT with
`apt-get download` (no root needed) and unpacks them with `dpkg -x` into .dayaq/bench-tools.
Every run ends with the script's `done`, which prints one JSON line: requests, the answers that
were not 2xx/3xx and socket errors, latency percentiles and the load generator's own CPU time
(so that the report can show it is not the bottleneck).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".dayaq" / "bench-tools"
PACKAGES = ("wrk", "libluajit-5.1-2", "libluajit-5.1-common")
LIB_DIR = "usr/lib/x86_64-linux-gnu"
THREADS = 2
CONNECTIONS = 32
MARK = "WRK-RESULT "

# Appended to every script: the first failed answer of each thread, and the figures as one JSON
# line, read back by `run`.
REPORT = """
local shown = false
function response(status, headers, body)
  if status >= 300 and not shown then
    shown = true
    io.write("WRK-FAILED " .. status .. " " .. string.sub(body or "", 1, 500) .. "\\n")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "seconds": %f, "non_2xx": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_ms": %f, "p99_ms": %f, "mean_ms": %f}\\n',
    "WRK-RESULT ", summary.requests, summary.duration / 1e6, e.status, e.connect, e.read,
    e.write, e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000))
end
"""


class WrkMissing(RuntimeError):
    pass


def command() -> tuple[list[str], dict[str, str]]:
    """wrk's command and the environment it needs."""
    found = shutil.which("wrk")
    if found:
        return [found], dict(os.environ)
    binary = TOOLS / "usr" / "bin" / "wrk"
    if not binary.exists():
        _fetch()
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = ":".join(
        filter(None, [str(TOOLS / LIB_DIR), os.environ.get("LD_LIBRARY_PATH")])
    )
    return [str(binary)], env


def _fetch() -> None:
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        raise WrkMissing("wrk is not installed, and there is no apt-get to fetch it: install wrk")
    downloads = TOOLS / "debs"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=downloads, check=True)
    for deb in downloads.glob("*.deb"):
        subprocess.run(["dpkg", "-x", str(deb), str(TOOLS)], check=True)


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    failures: int  # answers that were not 2xx or 3xx, and socket errors
    p50_ms: float
    p99_ms: float
    cpu_seconds: float  # the load generator's own user + system time

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run(
    url: str,
    *,
    seconds: float,
    script: str = "",
    headers: dict[str, str] | None = None,
    args: list[str] | None = None,
    folder: Path,
    connections: int = CONNECTIONS,
) -> Load:
    """wrk against `url` for `seconds`, `script` (Lua) plus the report; raises if it fails."""
    folder.mkdir(parents=True, exist_ok=True)
    script_file = folder / f"wrk-{abs(hash(script))}.lua"
    script_file.write_text(script + REPORT)
    wrk, env = command()
    argv = [*wrk, "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds:g}s"]
    argv += ["--timeout", "30s", "-s", str(script_file)]
    for key, value in (headers or {}).items():
        argv += ["-H", f"{key}: {value}"]
    argv.append(url)
    if args:
        argv += ["--", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    for line in done.stdout.splitlines():
        if line.startswith("WRK-FAILED "):
            print(f"  {url}: {line}", flush=True)
    figures = json.loads(lines[-1].removeprefix(MARK))
    failures = sum(figures[key] for key in ("non_2xx", "connect", "read", "write", "timeout"))
    return Load(
        requests=figures["requests"],
        seconds=figures["seconds"],
        failures=failures,
        p50_ms=figures["p50_ms"],
        p99_ms=figures["p99_ms"],
        cpu_seconds=cpu,
    )
