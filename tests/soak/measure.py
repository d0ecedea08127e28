"""What a service holds while it idles between two soak phases: memory, file descriptors, sockets
and PostgreSQL connections, and whether any of them grew past an honest tolerance.

The tolerance, per service, from the sample after the warm-up to the sample after the soak (both
taken with every journey finished and the driver's clients closed):
- memory: RSS (the process and its children) may grow by RSS_FACTOR plus RSS_SLACK_MIB: CPython
  and the drivers keep growing caches (compiled SQL, statement caches, pydantic validators) for a
  while after the first requests; a leak grows with every journey and passes any fixed bound;
- PostgreSQL: the connections PostgreSQL serves the service stay within its pool (POOL_LIMIT);
- other sockets (NATS, the listener, peers) by at most SOCKET_SLACK;
- file descriptors other than PostgreSQL's by at most FD_SLACK.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.cli import RunningService
from shared.devstack import with_database

MIB = 1024 * 1024
RSS_FACTOR = 1.25
RSS_SLACK_MIB = 16
# Each process's pool: <SERVICE>_DB_POOL_SIZE (10) + <SERVICE>_DB_MAX_OVERFLOW (5).
POOL_LIMIT = 15
SOCKET_SLACK = 2
FD_SLACK = 8


@dataclass(frozen=True)
class Sample:
    rss_mib: float
    fds: int
    sockets: int  # every inet socket of the process, PostgreSQL's included
    postgres: int  # connections PostgreSQL serves this process (pg_stat_activity)
    databases: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "databases": list(self.databases)}


def _rss(process: psutil.Process) -> int:
    total = int(process.memory_info().rss)
    for child in process.children(recursive=True):
        # One may end between the listing and the reading.
        with contextlib.suppress(psutil.NoSuchProcess):
            total += int(child.memory_info().rss)
    return total


async def _backends(server_url: str) -> dict[int, str]:
    """{client port: database} of every client connection PostgreSQL serves."""
    engine = create_async_engine(with_database(server_url, "postgres"), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT client_port, datname FROM pg_stat_activity "
                    "WHERE backend_type = 'client backend' AND client_port IS NOT NULL"
                )
            )
            return {int(port): str(database) for port, database in rows}
    finally:
        await engine.dispose()


async def sample(services: Mapping[str, RunningService], server_url: str) -> dict[str, Sample]:
    """Each service's figures now. Its PostgreSQL connections are the backends whose client
    port is one of its sockets to PostgreSQL's port."""
    backends = await _backends(server_url)
    pg_port = make_url(server_url).port
    samples = {}
    for name, service in services.items():
        process = psutil.Process(service.process.pid)
        sockets = await asyncio.to_thread(process.net_connections, "inet")
        to_postgres = [
            backends[s.laddr.port]
            for s in sockets
            if s.raddr and s.raddr.port == pg_port and s.laddr.port in backends
        ]
        samples[name] = Sample(
            rss_mib=round(_rss(process) / MIB, 1),
            fds=process.num_fds(),
            sockets=len(sockets),
            postgres=len(to_postgres),
            databases=tuple(sorted(set(to_postgres))),
        )
    return samples


def growth(start: Sample, end: Sample) -> list[str]:
    """What grew past the tolerance (module docstring); empty when nothing did."""
    found = []
    rss_bound = start.rss_mib * RSS_FACTOR + RSS_SLACK_MIB
    if end.rss_mib > rss_bound:
        found.append(f"rss {start.rss_mib} -> {end.rss_mib} MiB (bound {rss_bound:.1f})")
    if end.postgres > POOL_LIMIT:
        found.append(f"postgres connections {end.postgres} > pool {POOL_LIMIT}")
    others_start, others_end = start.sockets - start.postgres, end.sockets - end.postgres
    if others_end > others_start + SOCKET_SLACK:
        found.append(f"other sockets {others_start} -> {others_end}")
    fds_start, fds_end = start.fds - start.postgres, end.fds - end.postgres
    if fds_end > fds_start + FD_SLACK:
        found.append(f"file descriptors besides PostgreSQL's {fds_start} -> {fds_end}")
    return found
