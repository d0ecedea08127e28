"""The development stack itself: real PostgreSQL and nats-server as child processes."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.js.api import StorageType, StreamConfig
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.devstack import NatsServer, PortInUse, Postgres, free_port, port_in_use
from tests.conftest import ExternalNats, ExternalPostgres, FreshDatabase


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="dayaq-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def _scalar(url: str, sql: str) -> object:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql))).scalar()
    finally:
        await engine.dispose()


async def test_postgres_answers_over_loopback_only(pg: Postgres | ExternalPostgres) -> None:
    assert await _scalar(pg.url(), "SELECT 1") == 1
    if isinstance(pg, ExternalPostgres):
        return
    assert await _scalar(pg.url(), "SELECT host(inet_server_addr())") == "127.0.0.1"
    assert await _scalar(pg.url(), "SHOW unix_socket_directories") == ""
    assert await _scalar(pg.url(), "SHOW fsync") == "off"  # the tests' server is not durable


async def test_postgres_keeps_committed_rows_when_killed(scratch: Path) -> None:
    server = Postgres(scratch, free_port(), durable=False)
    server.start()
    try:
        await server.create_database("kept")
        await server.create_database("kept")  # idempotent
        engine = create_async_engine(server.url("kept"), poolclass=NullPool)
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (v int)"))
            await connection.execute(text("INSERT INTO t VALUES (42)"))
        await engine.dispose()
        server.kill()
        assert not port_in_use(server.port)
        server.start()  # crash recovery from the WAL
        assert await _scalar(server.url("kept"), "SELECT v FROM t") == 42
    finally:
        server.stop()
    assert server.process is None
    assert not port_in_use(server.port)


async def test_fresh_database_is_migrated_and_private(fresh_database: FreshDatabase) -> None:
    first = await fresh_database("intake")
    second = await fresh_database("intake")
    assert first != second
    version = await _scalar(first, "SELECT version_num FROM alembic_version")
    assert version
    assert await _scalar(second, "SELECT version_num FROM alembic_version") == version


async def test_jetstream_keeps_acknowledged_messages_across_kill(scratch: Path) -> None:
    server = NatsServer(scratch, free_port())
    server.start()
    try:
        assert "sync_interval: always" in server.config.read_text()
        client = await nats.connect(server.url)
        js = client.jetstream()
        await js.add_stream(
            StreamConfig(name="KEPT", subjects=["kept.>"], storage=StorageType.FILE)
        )
        ack = await js.publish("kept.one", b"hello")
        assert ack.seq == 1
        await client.close()

        server.kill()
        server.start()

        client = await nats.connect(server.url)
        message = await client.jetstream().get_msg("KEPT", 1)
        assert message.data == b"hello"
        await client.close()
    finally:
        server.stop()
    assert not port_in_use(server.port)


async def test_session_nats_server_restarts_on_the_same_url(
    nats_server: NatsServer | ExternalNats, nats_namespace: str
) -> None:
    url = nats_server.url
    nats_server.restart()  # skips when NATS_URL is set
    assert nats_server.url == url
    client = await nats.connect(url, **nats_server.identity("intake").connect_options())
    await client.publish(f"{nats_namespace}.intake.ping", b"")
    await client.flush()
    await client.close()


def test_port_in_use_is_refused_with_a_clear_message(scratch: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_in_use(port)
        with pytest.raises(PortInUse) as refused:
            NatsServer(scratch / "nats", port).start()
        assert str(refused.value) == (
            f"port {port} for nats-server is already in use; "
            "stop what uses it or set DAYAQ_NATS_PORT=..."
        )
        with pytest.raises(PortInUse, match=f"port {port} for PostgreSQL"):
            Postgres(scratch / "pg", port).start()
    assert str(PortInUse(8001, "intake", "INTAKE_PORT")) == (
        "port 8001 for intake is already in use; stop what uses it or set INTAKE_PORT=..."
    )
