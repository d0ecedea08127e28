"""Cancellation that client libraries may swallow."""

from __future__ import annotations

import asyncio


def raise_if_cancelling() -> None:
    """nats-py can turn a cancellation into a timeout or a closed-connection error, and Python
    3.11's asyncio.wait_for loses one that lands as its awaitable completes; a loop that carries on
    after those must not lose the request to stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
