"""The outbox relay: publishes committed outbox rows to JetStream and marks them sent.

Each row is published with `Nats-Msg-Id` = event id, so a relay that dies after publishing but
before marking the row publishes it again on restart and JetStream drops the copy (within its
duplicate window; past it, the consumers' inbox drops it). Woken by LISTEN/NOTIFY, with a poll as
the safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import asyncpg
from nats.js import JetStreamContext
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.messaging.cancel import raise_if_cancelling
from shared.messaging.jetstream import subject_for
from shared.metrics import EVENTS_PUBLISHED
from shared.tables import OUTBOX_NOTIFY_CHANNEL, SHARED_TABLES

log = logging.getLogger(__name__)
outbox = SHARED_TABLES.outbox
PUBLISH_TIMEOUT_SECONDS = 10.0


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        *,
        namespace: str = "",
        poll_seconds: float = 1.0,
        batch_size: int = 200,
    ) -> None:
        self._engine = engine
        self._sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self._js = js
        self._namespace = namespace
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()

    async def publish_batch(self, session: AsyncSession) -> int:
        """Publish up to one batch of unsent rows and mark them sent, in the caller's transaction.

        SKIP LOCKED lets several replicas of a service relay side by side without sending a row
        twice at the same moment.
        """
        rows = (
            await session.execute(
                select(outbox.c.id, outbox.c.event_id, outbox.c.subject, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
        # Pipelined: every publish is sent before any acknowledgement is awaited, so the batch
        # costs one round trip (and one disk sync) rather than one per event. One connection
        # keeps them in order.
        acks = [
            await self._js.publish_async(
                subject_for(self._namespace, row.subject),
                json.dumps(row.envelope, separators=(",", ":")).encode(),
                headers={"Nats-Msg-Id": str(row.event_id), "Content-Type": "application/json"},
            )
            for row in rows
        ]
        await asyncio.wait_for(asyncio.gather(*acks), timeout=PUBLISH_TIMEOUT_SECONDS)
        for row in rows:
            EVENTS_PUBLISHED.labels(type=row.subject).inc()
        if rows:
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=utcnow())
            )
        return len(rows)

    async def publish_pending(self) -> int:
        """Publish everything unsent now; returns how many rows were sent."""
        total = 0
        while True:
            async with self._sessionmaker() as session, session.begin():
                sent = await self.publish_batch(session)
            total += sent
            if sent < self._batch_size:
                return total

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen())
        try:
            backoff = self._poll_seconds
            while True:
                # Cleared before publishing: a NOTIFY heard while a batch is out wakes the next
                # round at once instead of being forgotten until the poll.
                self._wake.clear()
                try:
                    await self.publish_pending()
                    backoff = self._poll_seconds
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # Database or NATS away: keep the rows and try again, a little later each time.
                    log.warning("outbox relay failed: %s", exc.__class__.__name__)
                    backoff = min(backoff * 2, 10.0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=backoff)
                # Python 3.11's wait_for loses a cancellation that lands as the event is set.
                raise_if_cancelling()
        finally:
            listener.cancel()
            # Bounded: a stop must never hang on the listener's connection.
            await asyncio.wait([listener], timeout=5)

    async def _listen(self) -> None:
        """Keep a LISTEN connection open; the poll in run() covers the time it is down."""
        dsn = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                await connection.add_listener(OUTBOX_NOTIFY_CHANNEL, lambda *_: self._wake.set())
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("outbox listener reconnecting: %s", exc.__class__.__name__)
                await asyncio.sleep(self._poll_seconds)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=1)
