"""`make bench [BENCH="name ..."] [BENCH_ARGS=--quick]`: each benchmark reports its figure as a
ratio to a floor measured in the same run on the same machine, since absolute figures vary from
machine to machine; the suite writes bench/results.json and bench/results.md.

The batch benchmarks (a module here with `async def run(pg_url, nats_url, quick)`) get their own
PostgreSQL and nats-server; the request-path and event ones (`async def run(stack, quick)`, named
in ON_SERVICES) get the four services as processes, as `make run` serves them, on a PostgreSQL
and nats-server of their own. `--quick` runs every benchmark at a small size (CI).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from shared.devstack import NatsServer, Postgres, free_port, normalise_database_url
from tests.bench import profile, results
from tests.bench.results import Result
from tests.bench.stack import BenchStack

ON_SERVICES = ["request_path", "events"]
Run = Callable[[ModuleType], Coroutine[Any, Any, list[Result]]]
BENCHMARKS = [*ON_SERVICES, "relay", "selection", "imports", "reports"]


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str]]:
    """(PostgreSQL server URL, NATS URL): from the environment, or started here."""
    stack = contextlib.ExitStack()
    with stack:
        if os.environ.get("DATABASE_URL"):
            pg_url = normalise_database_url(os.environ["DATABASE_URL"])
        else:
            folder = Path(tempfile.mkdtemp(prefix="dayaq-bench-pg-"))
            stack.callback(shutil.rmtree, folder, True)
            pg = Postgres(folder, free_port(), durable=True)
            pg.start()
            stack.callback(pg.stop)
            pg_url = pg.url()
        if os.environ.get("NATS_URL"):
            nats_url = os.environ["NATS_URL"]
        else:
            folder = Path(tempfile.mkdtemp(prefix="dayaq-bench-nats-"))
            stack.callback(shutil.rmtree, folder, True)
            server = NatsServer(folder, free_port())
            server.start()
            stack.callback(server.stop)
            nats_url = server.url
        yield pg_url, nats_url


def _run_on_services(names: list[str], quick: bool) -> tuple[list[Result], list[str]]:
    found: list[Result] = []
    failed: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="dayaq-bench-stack-"))
    stack = BenchStack(folder)
    try:
        # Servers start from the main thread: their children die with the thread that started them.
        asyncio.run(stack.start())
        for name in names:
            found_here, failed_here = _one(name, lambda m: m.run(stack, quick))
            found += found_here
            failed += failed_here
    finally:
        stack.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return found, failed


def _one(name: str, call: Run) -> tuple[list[Result], list[str]]:
    """One benchmark module's results, or its name among the failed (with its traceback)."""
    module = importlib.import_module(f"tests.bench.{name}")
    print(f"== {name}", flush=True)
    started = time.perf_counter()
    try:
        found: list[Result] = asyncio.run(call(module))
    except Exception:
        traceback.print_exc()
        print(f"== {name} FAILED after {time.perf_counter() - started:.0f} s", flush=True)
        return [], [name]
    for result in found:
        item = result.as_json()
        print(
            f"  {item['name']}: {item['figure']} {item['unit']}, floor {item['floor']}, "
            f"ratio {item['ratio']} (goal {item['goal']}: {item['meets_goal']})",
            flush=True,
        )
    print(f"== {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    return found, []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=f"of {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, to prove it works")
    parser.add_argument(
        "--out",
        type=Path,
        help="results folder (default: bench/ for the whole suite at full size, the one kept in "
        "the repository; else .dayaq/bench/, so that a partial or quick run overwrites nothing)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="one more run of each HTTP load under py-spy, summarised in OUT/profiles",
    )
    args = parser.parse_args(argv)
    chosen = args.names or BENCHMARKS
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}: choose among {', '.join(BENCHMARKS)}")
    if args.out is None:
        whole = set(chosen) == set(BENCHMARKS) and not args.quick
        args.out = results.RESULTS_DIR if whole else results.SCRATCH_DIR
    if args.profile:
        profile.py_spy()  # fails early when py-spy is missing
        os.environ["BENCH_PROFILE"] = str((args.out / "profiles").absolute())
    started = time.perf_counter()
    load_before = os.getloadavg()
    found: list[Result] = []
    failed: list[str] = []
    on_services = [name for name in chosen if name in ON_SERVICES]
    if on_services:
        found_here, failed_here = _run_on_services(on_services, args.quick)
        found += found_here
        failed += failed_here
    batch = [name for name in chosen if name not in ON_SERVICES]
    if batch:
        with servers() as (pg_url, nats_url):

            def on_servers(module: ModuleType) -> Coroutine[Any, Any, list[Result]]:
                ran: Coroutine[Any, Any, list[Result]] = module.run(pg_url, nats_url, args.quick)
                return ran

            for name in batch:
                found_here, failed_here = _one(name, on_servers)
                found += found_here
                failed += failed_here
    minutes = (time.perf_counter() - started) / 60
    results.write(
        found,
        args.out,
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        size="quick" if args.quick else "full",
        benchmarks=" ".join(chosen),
        failed=" ".join(failed) or "none",
        minutes=round(minutes, 1),
        services=f"as `make run` serves them (worker processes: {BenchStack.workers_note()}), "
        f"but {BenchStack.lifted()}",
        machine=f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load average before {load_before[0]:.2f}, "
        f"after {os.getloadavg()[0]:.2f}",
    )
    print(
        f"bench: {len(found)} results in {args.out}, {minutes:.1f} min, failed: {failed or 'none'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
