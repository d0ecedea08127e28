"""`make bench [BENCH=name]`: each benchmark reports its time as a ratio to a floor measured in
the same run on the same servers, since absolute times vary from machine to machine.

Each benchmark is a module here with `async def run(pg_url, nats_url)`; list it in BENCHMARKS.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shared.devstack import NatsServer, Postgres, free_port, normalise_database_url

BENCHMARKS = ["relay", "selection", "imports", "reports"]


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


def main() -> None:
    chosen = sys.argv[1:] or BENCHMARKS
    with servers() as (pg_url, nats_url):
        for name in chosen:
            module = importlib.import_module(f"tests.bench.{name}")
            print(f"== {name}", flush=True)
            asyncio.run(module.run(pg_url, nats_url))


if __name__ == "__main__":
    main()
