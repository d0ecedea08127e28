"""The import job in the background: a worker that picks queued (or interrupted) imports and
works through each file in chunks, one transaction per chunk.

A chunk's rows, its errors and the job's progress commit together, so a job stopped at any point
resumes after the last committed chunk and never imports a row twice. A PostgreSQL advisory lock,
held for the job's duration, keeps two instances off the same import and is released by the
server when an instance dies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake.applicants.duplicates import NAME_MATCH_THRESHOLD, flag_values, key_score, name_key
from intake.applicants.pii import FinProtector
from intake.applicants.service import NewApplicant, new_applicant
from intake.applications.models import Source
from intake.applications.service import build_application
from intake.imports.models import Import, ImportFile, ImportStatus
from intake.imports.parser import FileProblem, Row, count_rows, read_rows, take
from intake.imports.rows import Referral, RowError, check_row, fin_hash_of
from intake.imports.service import FileCipher, already_referred_message, duplicate_message
from intake.rounds.models import Round
from intake.settings import IntakeSettings
from shared.context import traced
from shared.db import utcnow
from shared.events import Event
from shared.messaging.cancel import raise_if_cancelling
from shared.messaging.outbox import add_events, driver_connection

log = logging.getLogger(__name__)

CHUNK_ROWS = 1000
POLL_SECONDS = 1.0
MAX_FAILURES = 3  # consecutive unexpected failures of one job before it is marked failed
_LOCK_CLASS = 0x1A7F  # advisory lock namespace of imports (two-key form: class, object)


def _lock_key(import_id: uuid.UUID) -> int:
    return int.from_bytes(import_id.bytes[:4], "big", signed=True)


@dataclass(frozen=True)
class Ready:
    """A valid row: the person's rows, should they be new, and what they are referred for."""

    row: int
    fin_hash: str
    person: NewApplicant
    direction: str


@dataclass
class Chunk:
    """A chunk's rows after validation (done in a worker process: it is CPU work)."""

    rows: int
    referrals: list[Ready] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    first_rows: dict[str, int] = field(default_factory=dict)  # fin hash -> first row here


def prepare_chunk(
    rows: Sequence[Row],
    fins: FinProtector,
    round_id: uuid.UUID | None,
    language: str,
    partner_id: uuid.UUID | None = None,
) -> Chunk:
    chunk = Chunk(rows=len(rows))
    now = utcnow()
    for number, values in rows:
        fin_hash = fin_hash_of(values, fins)
        duplicate_of = chunk.first_rows.get(fin_hash) if fin_hash else None
        result = check_row(number, values, fins, round_id, language)
        errors = result if isinstance(result, list) else []
        if duplicate_of is not None:
            errors.append(
                RowError(
                    number, "fin", "duplicate_in_file", duplicate_message(duplicate_of, language)
                )
            )
        elif fin_hash is not None:
            chunk.first_rows[fin_hash] = number
        if errors:
            chunk.errors += errors
        elif isinstance(result, Referral):
            person = new_applicant(
                result.applicant,
                fin_hash=result.fin_hash,
                fin_ciphertext=result.fin_ciphertext,
                referred_by_partner_id=partner_id,
                now=now,
            )
            chunk.referrals.append(Ready(number, result.fin_hash, person, result.direction))
    return chunk


# In each validating process: the FIN keys, set once when the process starts.
_fins: FinProtector | None = None


def _forkserver() -> multiprocessing.context.BaseContext:
    # A fork server with this module loaded starts validators fast; plain fork is unsafe in a
    # process with threads and an event loop.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _start_validator(settings: IntakeSettings) -> None:
    global _fins
    _fins = FinProtector(settings)


def _validate(
    rows: Sequence[Row], round_id: uuid.UUID | None, language: str, partner_id: uuid.UUID | None
) -> Chunk:
    assert _fins is not None
    return prepare_chunk(rows, _fins, round_id, language, partner_id)


async def apply_chunk(
    session: AsyncSession, job: Import, chunk: Chunk, round_: Round | None
) -> None:
    """Writes a prepared chunk in the caller's transaction and advances the job."""
    errors = list(chunk.errors)
    referrals = chunk.referrals
    connection = await driver_connection(session)
    if chunk.first_rows:
        # FINs met in earlier chunks (or earlier runs of this job) make later rows duplicates.
        recorded = {
            record[0]
            for record in await connection.fetch(
                "INSERT INTO import_fins (import_id, fin_hash, row_number)"
                " SELECT $1, unnest($2::text[]), unnest($3::int[])"
                " ON CONFLICT DO NOTHING RETURNING fin_hash",
                job.id,
                list(chunk.first_rows),
                list(chunk.first_rows.values()),
            )
        }
        seen_before = set(chunk.first_rows) - recorded
        if seen_before:
            first = dict(
                await connection.fetch(
                    "SELECT fin_hash, row_number FROM import_fins"
                    " WHERE import_id = $1 AND fin_hash = ANY($2::text[])",
                    job.id,
                    list(seen_before),
                )
            )
            for referral in [r for r in referrals if r.fin_hash in first]:
                message = duplicate_message(first[referral.fin_hash], job.language)
                errors.append(RowError(referral.row, "fin", "duplicate_in_file", message))
            referrals = [r for r in referrals if r.fin_hash not in first]

    try:
        async with session.begin_nested():
            refused = await _create(session, job, referrals, round_)
    except DBAPIError:
        # Something in the chunk broke a constraint: find the rows, each in a savepoint of its own.
        refused = []
        for referral in referrals:
            try:
                async with session.begin_nested():
                    refused += await _create(session, job, [referral], round_)
            except DBAPIError as exc:
                log.warning("import %s row %s not saved: %s", job.id, referral.row, type(exc.orig))
                refused.append(RowError(referral.row, None, "not_saved", "The row was not saved"))
    errors += refused
    if errors:
        await connection.copy_records_to_table(
            "import_row_errors",
            records=[(job.id, e.row, e.field, e.code, e.message) for e in errors],
            columns=["import_id", "row_number", "field", "code", "message"],
        )
    rejected = len({e.row for e in errors})
    job.rows_processed += chunk.rows
    job.rejected += rejected
    job.imported += chunk.rows - rejected
    if job.total_rows is not None and job.rows_processed >= job.total_rows:
        job.status = ImportStatus.completed
        job.finished_at = utcnow()
    await session.flush()


@dataclass(frozen=True)
class _Person:
    """The applicant's facts an application is built from (see ApplicantFacts)."""

    id: uuid.UUID
    birth_date: date
    sex: str | None
    household_size: int | None
    categories: list[str]
    region: str
    benefited_at: datetime | None
    excluded_rule: str | None


_FACTS = "id, birth_date, sex, household_size, categories, region, benefited_at, excluded_rule"
_PERSON = [f.strip() for f in _FACTS.split(",")]


async def _copy(connection: Any, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    records = [tuple(row[c] for c in columns) for row in rows]
    await connection.copy_records_to_table(table, records=records, columns=columns)


async def _create(
    session: AsyncSession, job: Import, referrals: list[Ready], round_: Round | None
) -> list[RowError]:
    """Each referral's applicant (unless registered already) and application, with its events;
    the rows refused as already referred come back as errors. Bulk statements throughout: one
    look-up, one COPY or INSERT ... SELECT per table for the whole chunk."""
    if not referrals:
        return []
    connection = await driver_connection(session)
    now = utcnow()
    known = {
        record[0]
        for record in await connection.fetch(
            "SELECT fin_hash FROM applicants WHERE fin_hash = ANY($1::text[])",
            [r.fin_hash for r in referrals],
        )
    }
    people: dict[str, _Person] = {}
    fresh = [r.person for r in referrals if r.fin_hash not in known]
    for new_person in fresh:
        new_person.values["created_at"] = new_person.values["updated_at"] = now
    inserted: list[NewApplicant] = []
    if fresh:
        # Through a staging table: COPY is the fast way in, and INSERT ... SELECT can skip a
        # person registered meanwhile by someone else (ON CONFLICT), which COPY cannot.
        await connection.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_applicants"
            " (LIKE applicants INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        columns = list(fresh[0].values)
        await _copy(connection, "import_applicants", [p.values for p in fresh])
        names = ", ".join(columns)
        added = {
            record[0]
            for record in await connection.fetch(
                f"INSERT INTO applicants ({names}) SELECT {names} FROM import_applicants"  # noqa: S608 - names from code
                " ON CONFLICT (fin_hash) DO NOTHING RETURNING id"
            )
        }
        await connection.execute("TRUNCATE import_applicants")
        inserted = [p for p in fresh if p.values["id"] in added]
        evidence = [c for p in inserted for c in p.categories]
        if evidence:
            await _copy(connection, "applicant_categories", evidence)
        for p in inserted:
            facts = {"benefited_at": None, "excluded_rule": None, **p.values}
            people[p.values["fin_hash"]] = _Person(**{k: facts[k] for k in _PERSON})
    taken: set[uuid.UUID] = set()
    others = [r.fin_hash for r in referrals if r.fin_hash not in people]
    if others:
        for record in await connection.fetch(
            f"SELECT fin_hash, {_FACTS} FROM applicants WHERE fin_hash = ANY($1::text[])",  # noqa: S608
            others,
        ):
            people[record["fin_hash"]] = _Person(**{k: record[k] for k in _PERSON})
        # The same person in the same round gets one application (direct ones: one without a
        # round). Only people registered before can have one.
        taken = {
            record[0]
            for record in await connection.fetch(
                "SELECT applicant_id FROM applications"
                " WHERE applicant_id = ANY($1::uuid[]) AND round_id IS NOT DISTINCT FROM $2",
                [people[h].id for h in others],
                job.round_id,
            )
        }
    refused: list[RowError] = []
    applications: list[dict[str, Any]] = []
    events: list[Event] = []
    for referral in referrals:
        person = people[referral.fin_hash]
        if person.id in taken:
            message = already_referred_message(job.language)
            refused.append(RowError(referral.row, "fin", "already_referred", message))
            continue
        new = build_application(
            person,
            round_,
            direction=referral.direction,
            partner_id=job.partner_id,
            source=Source.import_,
            now=now,
        )
        applications.append(new.values)
        events += new.events
    if applications:
        for values in applications:
            # The session's connection takes jsonb as JSON text.
            values["assessment"] = json.dumps(values["assessment"])
            values["score_breakdown"] = json.dumps(values["score_breakdown"])
        await _copy(connection, "applications", applications)
        with traced(principal=job.created_by, correlation_id=str(job.id)):
            await add_events(session, events)
    if inserted:
        await _flag_duplicates(connection, inserted)
    return refused


async def _flag_duplicates(connection: Any, inserted: list[NewApplicant]) -> None:
    """find_duplicates for a chunk's new applicants at once: one query for everyone born on
    their birth dates, compared in Python with the same score and threshold. Two new people
    in the chunk are flagged once, the later against the earlier, as one by one would."""
    order = {p.values["id"]: index for index, p in enumerate(inserted)}
    born: dict[date, list[tuple[uuid.UUID, str]]] = {}
    for record in await connection.fetch(
        "SELECT id, last_name, first_name, birth_date FROM applicants"
        " WHERE birth_date = ANY($1::date[]) AND merged_into_id IS NULL",
        list({p.values["birth_date"] for p in inserted}),
    ):
        key = name_key(record["last_name"], record["first_name"])
        born.setdefault(record["birth_date"], []).append((record["id"], key))
    flags = []
    for index, person in enumerate(inserted):
        values = person.values
        key = name_key(values["last_name"], values["first_name"])
        for candidate_id, candidate_key in born.get(values["birth_date"], []):
            if order.get(candidate_id, -1) >= index:
                continue  # itself, or a new person after it (who flags this one)
            score = key_score(key, candidate_key)
            if score >= NAME_MATCH_THRESHOLD:
                flags.append(flag_values(values["id"], candidate_id, score))
    if flags:
        await _copy(connection, "duplicate_flags", flags)


class ImportWorker:
    """Runs imports one at a time in this instance; started and stopped with the app."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: IntakeSettings,
        cipher: FileCipher,
        *,
        chunk_rows: int = CHUNK_ROWS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.settings = settings
        self._validators: ProcessPoolExecutor | None = None
        self.cipher = cipher
        self.chunk_rows = chunk_rows
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[uuid.UUID, int] = {}

    def wake(self) -> None:
        """A new import was committed: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="intake-imports")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._validators is not None:
            await asyncio.to_thread(self._validators.shutdown, wait=True, cancel_futures=True)
            self._validators = None

    def _validator_pool(self) -> ProcessPoolExecutor:
        """Rows are validated in another process, in parallel with this one's database writes
        (in a thread, validation and writes would share one interpreter lock)."""
        if self._validators is None:
            self._validators = ProcessPoolExecutor(
                max_workers=1,
                mp_context=_forkserver(),
                initializer=_start_validator,
                initargs=(self.settings,),
            )
        return self._validators

    async def _loop(self) -> None:
        while True:
            try:
                busy = await self.run_pending()
            except Exception as exc:
                log.warning("import worker: %s", type(exc).__name__)
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                raise_if_cancelling()
                self._wake.clear()

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
            await self.run(import_id)
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

    async def run(self, import_id: uuid.UUID, *, max_chunks: int | None = None) -> None:
        """Works through the import from where it stopped; `max_chunks` stops early (tests)."""
        async with self.sessionmaker() as session, session.begin():
            job = await session.get(Import, import_id)
            if job is None or job.status not in (ImportStatus.queued, ImportStatus.running):
                return
            stored = await session.get(ImportFile, import_id)
            assert stored is not None
            content = self.cipher.decrypt(import_id, stored.content)
            stored = None
            if job.total_rows is None:
                try:
                    job.total_rows = await asyncio.to_thread(count_rows, content, job.format)
                except FileProblem as problem:
                    job.status, job.failure, job.finished_at = (
                        ImportStatus.failed,
                        problem.code,
                        utcnow(),
                    )
                    return
                job.status, job.started_at = ImportStatus.running, utcnow()
            if job.rows_processed >= job.total_rows:
                job.status, job.finished_at = ImportStatus.completed, utcnow()
                return
            round_ = await session.get(Round, job.round_id) if job.round_id else None
        rows = read_rows(content, job.format)
        # Rows committed before an interruption are skipped, not imported again.
        await asyncio.to_thread(_skip, rows, job.rows_processed)
        round_id, language, partner_id = job.round_id, job.language, job.partner_id
        loop = asyncio.get_running_loop()
        pool = self._validator_pool()

        async def next_chunk() -> Chunk | None:
            batch = await asyncio.to_thread(take, rows, self.chunk_rows)
            if not batch:
                return None
            return await loop.run_in_executor(
                pool, _validate, batch, round_id, language, partner_id
            )

        # The next chunk is read and validated while this one is written.
        upcoming = asyncio.ensure_future(next_chunk())
        try:
            done = 0
            while max_chunks is None or done < max_chunks:
                chunk = await upcoming
                if chunk is None:
                    break
                upcoming = asyncio.ensure_future(next_chunk())
                async with self.sessionmaker() as session, session.begin():
                    job = await session.get_one(Import, import_id, with_for_update=True)
                    await apply_chunk(session, job, chunk, round_)
                done += 1
        finally:
            # A chunk read ahead but not written is dropped: progress is what the database says.
            upcoming.cancel()

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


def add_import_worker(app: FastAPI) -> FastAPI:
    """Runs the import worker for as long as the app's lifespan (inside it: the engine is up)."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            runtime = app.state.runtime
            worker = ImportWorker(
                runtime.engine,
                runtime.sessionmaker,
                app.state.settings,
                FileCipher(app.state.settings),
            )
            app.state.import_worker = worker
            worker.start()
            try:
                yield state
            finally:
                await worker.stop()

    app.router.lifespan_context = lifespan
    return app
