"""Runs queued selections in the background: a loop in each intake process, woken when a job is
requested and polling as a fallback, so any replica can take a job (SKIP LOCKED) and a job
requested on one replica is picked up even if another is idle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import cast

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.selection.models import Selection, SelectionStatus
from intake.selection.service import run_selection
from shared.db import utcnow

log = logging.getLogger(__name__)
S = cast(sa.Table, Selection.__table__)


class SelectionRunner:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], poll_seconds: float = 1.0
    ) -> None:
        self.sessionmaker = sessionmaker
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def claim(self) -> uuid.UUID | None:
        """The oldest queued job, now running; None when there is none."""
        oldest = (
            sa.select(S.c.id)
            .where(S.c.status == SelectionStatus.queued)
            .order_by(S.c.created_at, S.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self.sessionmaker() as session, session.begin():
            claimed: uuid.UUID | None = await session.scalar(
                S.update()
                .where(S.c.id == oldest)
                .values(
                    status=SelectionStatus.running, started_at=utcnow(), version=S.c.version + 1
                )
                .returning(S.c.id)
            )
        return claimed

    async def run(self) -> None:
        while True:
            try:
                while (selection_id := await self.claim()) is not None:
                    await run_selection(self.sessionmaker, selection_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("selection runner: claiming a job failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Nested in the service's lifespan (FastAPI merges a router's lifespan into the app's), so
    the sessionmaker exists and the task stops before the engine is disposed."""
    runner = SelectionRunner(app.state.sessionmaker)
    app.state.selection_runner = runner
    task = asyncio.create_task(runner.run(), name="intake-selection-runner")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
