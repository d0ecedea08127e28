"""Background work of a running service: what the app factory starts after its runtime is up and
cancels at shutdown (the outbox relay, the consumers, a service's runners and periodic checks)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)


@runtime_checkable
class Worker(Protocol):
    async def run(self) -> None:
        """Works until cancelled; failures are handled inside, so the task never ends early."""
        ...


@dataclass
class Periodic:
    """Runs `action` every `every_seconds` until cancelled.

    A failed round is logged by the exception's type only (its message may quote the values it was
    writing) and the next round tries again. `at_start`: the first round runs at once.
    """

    name: str
    every_seconds: float
    action: Callable[[], Awaitable[object]]
    at_start: bool = False

    async def run(self) -> None:
        if not self.at_start:
            await asyncio.sleep(self.every_seconds)
        while True:
            try:
                await self.action()
            except Exception as exc:
                log.warning("%s failed: %s", self.name, type(exc).__name__)
            await asyncio.sleep(self.every_seconds)
