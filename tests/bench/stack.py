"""The four services as processes for the request-path and event benchmarks: tests/faults' Stack
(PostgreSQL, nats-server and the services as `dayaq run` starts them), but served exactly as
`make run` serves them: a durable PostgreSQL, as many worker processes per service, the services'
default settings (no test-quick outbox polling), except the rate limits, which would refuse a
load generator and are lifted."""

from __future__ import annotations

import os
from pathlib import Path

from shared.cli import SERVICE_NAMES, RunningService, service_workers, start_service
from shared.devstack import Postgres, free_port
from tests.faults.stack import FAST, Stack

# Every rate-limited operation (shared/ratelimit.py), per service: far above any benchmark's rate.
LIFTED = "1000000/second"
RATE_LIMITS = {
    "intake": ("rate_limit_imports", "rate_limit_selections", "rate_limit_searches"),
    "monitoring": ("rate_limit_reports",),
}
BARE = "tests.bench.bare"


class BenchStack(Stack):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        # As `dayaq run`: fsync on (the tests' Stack turns it off).
        self.postgres = Postgres(self.folder / "postgres", free_port(), durable=True)

    def env(self, service: str) -> dict[str, str]:
        env = super().env(service)
        for key in FAST:  # back to the defaults `make run` serves with
            env.pop(key)
            if key in os.environ:
                env[key] = os.environ[key]
        for setting in RATE_LIMITS.get(service, ()):
            env[f"{service.upper()}_{setting.upper()}"] = LIFTED
        return env

    def _spawn(self, name: str) -> RunningService:
        service = start_service(
            name,
            self.ports[name],
            env=self.env(name),
            log_dir=self.logs,
            workers=service_workers(name),
        )
        self.services[name] = service
        return service

    @staticmethod
    def lifted() -> str:
        """For the results' notes."""
        settings = [f"{s.upper()}_{n.upper()}" for s, names in RATE_LIMITS.items() for n in names]
        return f"{', '.join(settings)} = {LIFTED} (the rate limits would refuse a load generator)"

    def start_bare(self) -> RunningService:
        """The bare ASGI app (tests/bench/bare), started as the services are: with as many
        worker processes as intake."""
        return start_service(
            BARE,
            free_port(),
            env=dict(os.environ),
            log_dir=self.logs,
            workers=service_workers("intake"),
        )

    @staticmethod
    def workers_note() -> str:
        """For the results' notes."""
        return ", ".join(f"{name} {service_workers(name)}" for name in SERVICE_NAMES)
