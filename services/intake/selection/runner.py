"""Runs selections in the background: a loop in each intake process, woken when a job is
requested and polling as a fallback, so any replica can take a job.

A job belongs to whoever holds its PostgreSQL advisory lock, taken on a connection kept for the
job's duration; the proposed results are written on that same connection. The server drops the
lock when that connection dies, so a job left `running` by a crashed process is free again and
the next poll of any instance takes it over; while its owner lives, nobody else can. (Session
advisory locks need a direct connection or session pooling, not transaction pooling.)

Each take-up counts as an attempt in the job's row; a job taken up `max_attempts` times without
finishing (its runs keep dying, e.g. out of memory) is failed with `attempts_exhausted` instead of
being run again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from intake.selection.models import Selection, SelectionStatus
from intake.selection.service import run_selection
from shared.db import utcnow
from shared.messaging.cancel import raise_if_cancelling

log = logging.getLogger(__name__)
S = cast(sa.Table, Selection.__table__)
_LOCK_CLASS = 0x5E1C  # advisory lock namespace of selections (two-key form: class, object)
ATTEMPTS_EXHAUSTED = "attempts_exhausted"


def lock_key(selection_id: uuid.UUID) -> tuple[int, int]:
    return _LOCK_CLASS, int.from_bytes(selection_id.bytes[:4], "big", signed=True)


class SelectionRunner:
    def __init__(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        poll_seconds: float = 1.0,
        max_attempts: int = 3,
    ) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    @contextlib.asynccontextmanager
    async def _lock(self, selection_id: uuid.UUID) -> AsyncIterator[AsyncConnection | None]:
        """The job's lock on a connection of its own; None when another instance holds it."""
        async with self.engine.connect() as connection:
            key = lock_key(selection_id)
            taken = bool(await connection.scalar(sa.select(sa.func.pg_try_advisory_lock(*key))))
            await connection.commit()
            if not taken:
                yield None
                return
            try:
                yield connection
            except BaseException:
                # Cancelled or broken mid-job: closing the connection is the sure way to end
                # its transaction and drop the lock.
                await connection.invalidate()
                raise
            await connection.scalar(sa.select(sa.func.pg_advisory_unlock(*key)))
            await connection.commit()

    async def run_pending(self) -> bool:
        """Runs the oldest queued job, or a running one whose owner is gone; False if none."""
        async with self.sessionmaker() as session:
            waiting = list(
                await session.scalars(
                    sa.select(S.c.id)
                    .where(S.c.status.in_([SelectionStatus.queued, SelectionStatus.running]))
                    .order_by(S.c.created_at, S.c.id)
                    .limit(20)
                )
            )
        for selection_id in waiting:
            async with self._lock(selection_id) as connection:
                if connection is None:
                    continue
                # Under the lock: it may have finished between the listing and the lock.
                attempts = await connection.scalar(
                    sa.select(S.c.attempts)
                    .where(
                        S.c.id == selection_id,
                        S.c.status.in_([SelectionStatus.queued, SelectionStatus.running]),
                    )
                    .with_for_update()
                )
                if attempts is None:
                    await connection.commit()
                    continue
                if attempts >= self.max_attempts:
                    await self._give_up(connection, selection_id, attempts)
                    continue
                await connection.execute(
                    S.update()
                    .where(S.c.id == selection_id)
                    .values(
                        status=SelectionStatus.running,
                        started_at=utcnow(),
                        attempts=S.c.attempts + 1,
                        version=S.c.version + 1,
                    )
                )
                await connection.commit()
                await run_selection(self.sessionmaker, selection_id, connection=connection)
                return True
        return False

    async def _give_up(
        self, connection: AsyncConnection, selection_id: uuid.UUID, attempts: int
    ) -> None:
        log.error("selection %s failed: %s attempts did not finish", selection_id, attempts)
        await connection.execute(
            S.update()
            .where(S.c.id == selection_id)
            .values(
                status=SelectionStatus.failed,
                error=ATTEMPTS_EXHAUSTED,
                finished_at=utcnow(),
                version=S.c.version + 1,
            )
        )
        await connection.commit()

    async def run(self) -> None:
        while True:
            try:
                while await self.run_pending():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("selection runner: taking a job failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            raise_if_cancelling()
