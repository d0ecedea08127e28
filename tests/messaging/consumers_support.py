"""Helpers for the tests that run a consumer directly, without its service around it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from nats.aio.client import Client as NATS
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.messaging.consumer import Consumer, Handler


@contextlib.asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[Consumer]:
    """The consumer runs in the background inside the block and is cancelled when it ends."""
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def plans_from_intake(
    nc: NATS,
    namespace: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    **options: Any,
) -> Consumer:
    """Plans' consumer of intake's stream, with these handlers."""
    return Consumer(
        name="plans-from-intake",
        producer="intake",
        handlers=handlers,
        sessionmaker=sessionmaker,
        nc=nc,
        namespace=namespace,
        **options,
    )
