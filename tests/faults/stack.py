"""PostgreSQL, nats-server and the four services as processes of their own, as `dayaq run` starts
them, each of which the harness can kill or stop and start again on the same port and data.

Servers are started from the main thread: their children die with the thread that started them.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from shared.cli import (
    SERVICE_NAMES,
    RunningService,
    _migrate,
    database_name,
    dev_secrets,
    nats_credentials_dir,
    peer_urls,
    service_env,
    start_service,
    stop_services,
    wait_ready_async,
)
from shared.devkeys import ensure_dev_keys, mark_development_folder
from shared.devstack import NatsServer, Postgres, free_port, with_database
from shared.messaging.identities import ensure_seeds

# Quick outboxes and retries, as the tests set them: the run waits less for each hop.
FAST = {
    **{f"{name.upper()}_OUTBOX_POLL_SECONDS": "0.2" for name in SERVICE_NAMES},
    **{f"{name.upper()}_CONSUMER_RETRY_BASE_SECONDS": "0.2" for name in SERVICE_NAMES},
}


class Stack:
    """Everything lives in `folder`: the cluster, the JetStream store, keys, secrets and logs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.absolute()
        mark_development_folder(self.folder)
        self.postgres = Postgres(self.folder / "postgres", free_port(), durable=False)
        # The credentials folder `dayaq deadletters --data-dir` looks in for the operator's seed.
        self.nats = NatsServer(
            self.folder / "nats", free_port(), credentials_dir=nats_credentials_dir(self.folder)
        )
        self.ports = {name: free_port() for name in SERVICE_NAMES}
        self.logs = self.folder / "logs"
        self.services: dict[str, RunningService] = {}

    def database_url(self, service: str) -> str:
        return with_database(self.postgres.url(), database_name(service))

    def env(self, service: str) -> dict[str, str]:
        env = service_env(
            service,
            database_url=self.database_url(service),
            nats_url=self.nats.url,
            jwks_file=ensure_dev_keys(self.folder / "keys"),
            secrets=dev_secrets(self.folder / "secrets.env"),
            nats_seed_file=ensure_seeds(nats_credentials_dir(self.folder))[service],
        )
        if service == "intake":
            env.update(peer_urls(self.ports))
        return env | FAST

    @property
    def keys(self) -> Path:
        return self.folder / "keys"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    async def start(self) -> None:
        self.postgres.start()
        self.nats.start()
        urls = {name: self.database_url(name) for name in SERVICE_NAMES}
        await asyncio.to_thread(_migrate, urls, self.postgres.url())
        for name in SERVICE_NAMES:
            self._spawn(name)
        await wait_ready_async(list(self.services.values()))

    def _spawn(self, name: str) -> RunningService:
        service = start_service(name, self.ports[name], env=self.env(name), log_dir=self.logs)
        self.services[name] = service
        return service

    async def kill_and_restart(self, name: str) -> None:
        """SIGKILL mid-flow: nothing it held in memory is saved; the new process carries on."""
        process = self.services[name].process
        process.kill()
        await asyncio.to_thread(process.wait)
        await wait_ready_async([self._spawn(name)])

    async def stop_service(self, name: str) -> None:
        await asyncio.to_thread(stop_services, [self.services.pop(name)])

    async def start_service(self, name: str) -> None:
        await wait_ready_async([self._spawn(name)])

    def kill_and_restart_nats(self) -> None:
        self.nats.kill()
        self.nats.start()

    def stop_and_restart_postgres(self) -> None:
        """`pg_ctl stop -m fast`: SIGINT to the postmaster, which ends every session at once."""
        self.postgres.stop()
        self.postgres.start()

    def run_python(
        self, service: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A command of the project's with `service`'s settings, as an operator runs it."""
        return subprocess.run(
            [sys.executable, *args],
            env=self.env(service) | (env or {}),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    def stop(self) -> None:
        stop_services(list(self.services.values()))
        self.services.clear()
        self.nats.stop()
        self.postgres.stop()
