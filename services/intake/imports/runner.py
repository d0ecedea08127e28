"""The import job in the background: a worker that picks queued (or interrupted) imports and
works through each file in chunks, one transaction per chunk.

A chunk's rows, its errors and the job's progress commit together, so a job stopped at any point
resumes after the last committed chunk and never imports a row twice. A PostgreSQL advisory lock,
held for the job's duration, keeps two instances off the same import and is released by the
server when an instance dies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake.applications.reassessment import reassess_round
from intake.imports import writes
from intake.imports.chunks import (
    CHUNK_ROWS,
    POLL_SECONDS,
    VALIDATORS,
    JobFacts,
    load_chunk,
    rules_stamp,
    start_validator,
    validate,
    validator_context,
)
from intake.imports.models import Import, ImportFile, ImportStatus
from intake.imports.parser import FileProblem, Row, count_rows, read_rows, take
from intake.imports.service import FileCipher
from intake.rounds.models import Round
from intake.selection.service import lock_round
from intake.settings import IntakeSettings
from shared.db import utcnow
from shared.messaging.cancel import raise_if_cancelling

log = logging.getLogger(__name__)

MAX_FAILURES = 3  # consecutive unexpected failures of one job before it is marked failed
_LOCK_CLASS = 0x1A7F  # advisory lock namespace of imports (two-key form: class, object)


def _lock_key(import_id: uuid.UUID) -> int:
    return int.from_bytes(import_id.bytes[:4], "big", signed=True)


async def _round_now(session: AsyncSession, round_id: uuid.UUID | None) -> Round | None:
    """The round as it is now, its row shared-locked like any change to its applications, so
    that a change of its rules waits for this chunk or is seen by it."""
    if round_id is None:
        return None
    await lock_round(session, round_id)
    return await session.get(Round, round_id, populate_existing=True)


class ImportWorker:
    """Runs imports one at a time in this instance: a worker of the app, run until shutdown."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: IntakeSettings,
        cipher: FileCipher,
        *,
        chunk_rows: int = CHUNK_ROWS,
        validators: int = VALIDATORS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.settings = settings
        self._validators: ProcessPoolExecutor | None = None
        self.cipher = cipher
        self.chunk_rows = chunk_rows
        self.validators = validators
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopped = False
        self._failures: dict[uuid.UUID, int] = {}

    def wake(self) -> None:
        """A new import was committed: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Takes no more jobs (an instance going away); a job it was running stays resumable."""
        self._stopped = True
        await self._close_validators()

    async def _close_validators(self) -> None:
        if self._validators is not None:
            await asyncio.to_thread(self._validators.shutdown, wait=True, cancel_futures=True)
            self._validators = None

    def _validator_pool(self) -> ProcessPoolExecutor:
        """Rows are validated in other processes, in parallel with this one's database writes
        (in a thread, validation and writes would share one interpreter lock)."""
        if self._validators is None:
            self._validators = ProcessPoolExecutor(
                max_workers=self.validators,
                mp_context=validator_context(),
                initializer=start_validator,
                initargs=(self.settings,),
            )
        return self._validators

    async def run(self) -> None:
        try:
            while True:
                try:
                    busy = not self._stopped and await self.run_pending()
                except Exception as exc:
                    log.warning("import worker: %s", type(exc).__name__)
                    busy = False
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                    raise_if_cancelling()
                    self._wake.clear()
        finally:
            await self._close_validators()

    async def run_pending(self) -> bool:
        """Runs the oldest import not finished and not taken by another instance; False if none."""
        async with self.sessionmaker() as session:
            waiting = list(
                await session.scalars(
                    select(Import.id)
                    .where(Import.status.in_([ImportStatus.queued, ImportStatus.running]))
                    .order_by(Import.created_at)
                    .limit(20)
                )
            )
        for import_id in waiting:
            async with self._claim(import_id) as claimed:
                if claimed:
                    await self._run_guarded(import_id)
                    return True
        return False

    @contextlib.asynccontextmanager
    async def _claim(self, import_id: uuid.UUID) -> AsyncIterator[bool]:
        async with self.engine.connect() as connection:
            key = (_LOCK_CLASS, _lock_key(import_id))
            claimed = bool(await connection.scalar(select(func.pg_try_advisory_lock(*key))))
            await connection.commit()
            try:
                yield claimed
            finally:
                if claimed:
                    await connection.scalar(select(func.pg_advisory_unlock(*key)))
                    await connection.commit()

    async def _run_guarded(self, import_id: uuid.UUID) -> None:
        try:
            await self.run_import(import_id)
            self._failures.pop(import_id, None)
        except Exception as exc:
            if isinstance(exc, BrokenProcessPool):
                self._validators = None  # a validator died: the next attempt starts another
            failures = self._failures.get(import_id, 0) + 1
            self._failures[import_id] = failures
            # The type only: a message may quote a row's values.
            log.error("import %s failed (%s, attempt %s)", import_id, type(exc).__name__, failures)
            if failures >= MAX_FAILURES:
                await self._finish(import_id, ImportStatus.failed, "internal-error")
                self._failures.pop(import_id, None)

    async def run_import(self, import_id: uuid.UUID, *, max_chunks: int | None = None) -> None:
        """Works through the import from where it stopped; `max_chunks` stops early (tests)."""
        started = await self._start(import_id)
        if started is None:
            return
        job, content, round_ = started
        rows = read_rows(content, job.format)
        # Rows committed before an interruption are skipped, not imported again.
        await asyncio.to_thread(_skip, rows, job.rows_processed)
        appeal_days = self.settings.appeal_days
        facts = JobFacts(job.id, round_, job.language, job.partner_id, job.created_by, appeal_days)
        loop = asyncio.get_running_loop()
        pool = self._validator_pool()

        # Chunks are read and validated ahead, one per validator and one more, while the
        # oldest is written; they are written in file order, as progress counts rows.
        ahead: deque[asyncio.Future[bytes]] = deque()
        end_of_file = False

        async def read_ahead() -> None:
            nonlocal end_of_file
            while not end_of_file and len(ahead) <= self.validators:
                batch = await asyncio.to_thread(take, rows, self.chunk_rows)
                if batch:
                    ahead.append(loop.run_in_executor(pool, validate, batch, facts))
                else:
                    end_of_file = True

        reading = asyncio.ensure_future(read_ahead())
        try:
            done = 0
            while max_chunks is None or done < max_chunks:
                await reading
                if not ahead:
                    break
                chunk = load_chunk(await ahead.popleft())
                reading = asyncio.ensure_future(read_ahead())
                async with self.sessionmaker() as session, session.begin():
                    job = await session.get_one(Import, import_id, with_for_update=True)
                    await writes.apply_chunk(session, job, chunk, round_, appeal_days=appeal_days)
                    current = await _round_now(session, job.round_id)
                    if current is not None and rules_stamp(current) != chunk.rules_changed_at:
                        # The round's rules changed while the import ran: this chunk was
                        # assessed with the old ones. Assess again (only changed results emit
                        # events) and validate the rest of the file with the new rules.
                        await reassess_round(session, current, appeal_days=appeal_days)
                        round_ = current
                        facts = JobFacts(
                            job.id,
                            current,
                            job.language,
                            job.partner_id,
                            job.created_by,
                            appeal_days,
                        )
                done += 1
        finally:
            # Chunks read ahead but not written are dropped: progress is what the database says.
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
            for future in ahead:
                future.cancel()

    async def _start(self, import_id: uuid.UUID) -> tuple[Import, bytes, Round | None] | None:
        """The job, its file and its round, counting the rows on the first run; None when there
        is nothing (left) to do, the job then marked failed or completed."""
        async with self.sessionmaker() as session, session.begin():
            job = await session.get(Import, import_id)
            if job is None or job.status not in (ImportStatus.queued, ImportStatus.running):
                return None
            stored = await session.get(ImportFile, import_id)
            assert stored is not None
            content = self.cipher.decrypt(import_id, stored.content)
            if job.total_rows is None:
                try:
                    job.total_rows = await asyncio.to_thread(count_rows, content, job.format)
                except FileProblem as problem:
                    job.status, job.failure, job.finished_at = (
                        ImportStatus.failed,
                        problem.code,
                        utcnow(),
                    )
                    return None
                job.status, job.started_at = ImportStatus.running, utcnow()
            if job.rows_processed >= job.total_rows:
                job.status, job.finished_at = ImportStatus.completed, utcnow()
                return None
            round_ = await session.get(Round, job.round_id) if job.round_id else None
        return job, content, round_

    async def _finish(
        self, import_id: uuid.UUID, status: ImportStatus, failure: str | None
    ) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Import)
                .where(Import.id == import_id)
                .values(status=status, failure=failure, finished_at=utcnow())
            )


def _skip(rows: Iterator[Row], count: int) -> None:
    for _ in islice(rows, count):
        pass
