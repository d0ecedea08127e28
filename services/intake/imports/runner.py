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
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

from fastapi import FastAPI
from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake.applicants.models import Applicant, ApplicantCategory
from intake.applicants.names import folded_full_name
from intake.applicants.pii import FinProtector
from intake.applications.events import add_events
from intake.applications.models import Application, ApplicationStatus, Source
from intake.applications.service import age_band, assess
from intake.imports.models import Import, ImportFile, ImportFin, ImportRowError, ImportStatus
from intake.imports.parser import FileProblem, Row, count_rows, read_rows
from intake.imports.rows import Referral, RowError, check_row, fin_hash_of
from intake.imports.service import FileCipher, already_referred_message, duplicate_message
from intake.rounds.models import Round
from intake.rounds.rules import Facts, age_at
from shared.context import traced
from shared.db import utcnow
from shared.events import ApplicationAssessed, ApplicationSubmitted, Event

log = logging.getLogger(__name__)

CHUNK_ROWS = 1000
POLL_SECONDS = 1.0
MAX_FAILURES = 3  # consecutive unexpected failures of one job before it is marked failed
_LOCK_CLASS = 0x1A7F  # advisory lock namespace of imports (two-key form: class, object)


# Bulk writes go through Core: executemany in batches, without the ORM's work per row.
_APPLICANTS = cast(Table, Applicant.__table__)
_CATEGORIES = cast(Table, ApplicantCategory.__table__)
_APPLICATIONS = cast(Table, Application.__table__)
_FINS = cast(Table, ImportFin.__table__)
_ROW_ERRORS = cast(Table, ImportRowError.__table__)


def _lock_key(import_id: uuid.UUID) -> int:
    return int.from_bytes(import_id.bytes[:4], "big", signed=True)


@dataclass
class Chunk:
    """A chunk's rows after validation (done in a worker thread: it is CPU work)."""

    rows: int
    referrals: list[Referral] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    first_rows: dict[str, int] = field(default_factory=dict)  # fin hash -> first row here


def prepare_chunk(
    rows: Sequence[Row],
    fins: FinProtector,
    round_id: uuid.UUID | None,
    language: str,
) -> Chunk:
    chunk = Chunk(rows=len(rows))
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
            chunk.referrals.append(result)
    return chunk


async def apply_chunk(
    session: AsyncSession, job: Import, chunk: Chunk, round_: Round | None
) -> None:
    """Writes a prepared chunk in the caller's transaction and advances the job."""
    errors = list(chunk.errors)
    referrals = chunk.referrals
    if chunk.first_rows:
        # FINs met in earlier chunks (or earlier runs of this job) make later rows duplicates.
        # executemany form: one cached statement, sent in batches (a VALUES list would be
        # compiled anew for every chunk).
        recorded = await session.scalars(
            pg_insert(_FINS).on_conflict_do_nothing().returning(ImportFin.fin_hash),
            [
                {"import_id": job.id, "fin_hash": h, "row_number": r}
                for h, r in chunk.first_rows.items()
            ],
        )
        seen_before = set(chunk.first_rows) - set(recorded)
        if seen_before:
            earlier = await session.execute(
                select(ImportFin.fin_hash, ImportFin.row_number).where(
                    ImportFin.import_id == job.id, ImportFin.fin_hash.in_(seen_before)
                )
            )
            first = {fin_hash: row for fin_hash, row in earlier}
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
        await session.execute(
            _ROW_ERRORS.insert(),
            [
                {
                    "import_id": job.id,
                    "row_number": e.row,
                    "field": e.field,
                    "code": e.code,
                    "message": e.message,
                }
                for e in errors
            ],
        )
    rejected = len({e.row for e in errors})
    job.rows_processed += chunk.rows
    job.rejected += rejected
    job.imported += chunk.rows - rejected
    if job.total_rows is not None and job.rows_processed >= job.total_rows:
        job.status = ImportStatus.completed
        job.finished_at = utcnow()
    await session.flush()


async def _create(
    session: AsyncSession, job: Import, referrals: list[Referral], round_: Round | None
) -> list[RowError]:
    """Each referral's applicant (unless registered already) and application, with its events;
    the rows refused as already referred come back as errors."""
    if not referrals:
        return []
    hashes = [r.fin_hash for r in referrals]
    now = utcnow()
    new = {r.fin_hash: r for r in referrals}
    existing = set(
        await session.scalars(select(Applicant.fin_hash).where(Applicant.fin_hash.in_(hashes)))
    )
    for fin_hash in existing:
        del new[fin_hash]
    if new:
        people = [_applicant_values(r, job, now) for r in new.values()]
        # A person registered meanwhile by someone else is simply not inserted here.
        inserted = set(
            await session.scalars(
                pg_insert(_APPLICANTS)
                .on_conflict_do_nothing(index_elements=["fin_hash"])
                .returning(Applicant.fin_hash),
                people,
            )
        )
        ids = {p["fin_hash"]: p["id"] for p in people if p["fin_hash"] in inserted}
        evidence = [
            _category_values(ids[r.fin_hash], entry)
            for r in new.values()
            if r.fin_hash in ids
            for entry in r.applicant.categories
        ]
        if evidence:
            await session.execute(_CATEGORIES.insert(), evidence)
    applicants = {
        a.fin_hash: a
        for a in await session.scalars(select(Applicant).where(Applicant.fin_hash.in_(hashes)))
    }
    # The same person in the same round gets one application (direct ones: one without a round).
    taken = set(
        await session.scalars(
            select(Application.applicant_id).where(
                Application.applicant_id.in_([a.id for a in applicants.values()]),
                Application.round_id.is_not_distinct_from(job.round_id),
            )
        )
    )
    refused: list[RowError] = []
    applications: list[dict[str, Any]] = []
    events: list[Event] = []
    for referral in referrals:
        applicant = applicants[referral.fin_hash]
        if applicant.id in taken:
            refused.append(
                RowError(
                    referral.row, "fin", "already_referred", already_referred_message(job.language)
                )
            )
            continue
        values, assessed = _application(job, round_, applicant, referral.direction, now)
        applications.append(values)
        events += [
            ApplicationSubmitted(**assessed["submitted"]),
            ApplicationAssessed(**assessed["assessed"]),
        ]
    if applications:
        await session.execute(_APPLICATIONS.insert(), applications)
        with traced(principal=job.created_by, correlation_id=str(job.id)):
            await add_events(session, events)
    return refused


def _applicant_values(referral: Referral, job: Import, now: Any) -> dict[str, Any]:
    data = referral.applicant
    return {
        "id": uuid.uuid4(),
        "fin_hash": referral.fin_hash,
        "fin_ciphertext": referral.fin_ciphertext,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "patronymic": data.patronymic,
        "name_folded": folded_full_name(data.last_name, data.first_name, data.patronymic),
        "birth_date": data.birth_date,
        "sex": data.sex.value,
        "phone": data.phone,
        "address": data.address,
        "region": data.region,
        "household_size": data.household_size,
        "categories": [entry.category.value for entry in data.categories],
        "referred_by_partner_id": job.partner_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _category_values(applicant_id: uuid.UUID, entry: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "applicant_id": applicant_id,
        "category": entry.category.value,
        "disability_group": entry.disability_group.value if entry.disability_group else None,
        "document_type": entry.evidence.document_type,
        "document_number": entry.evidence.number,
        "issued_on": entry.evidence.issued_on,
    }


def _application(
    job: Import, round_: Round | None, applicant: Applicant, direction: str, now: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The application's row, assessed by the same rules as one submitted through the API, and
    its two events' fields."""
    reference = round_.period_start if round_ is not None else now.date()
    facts = Facts(
        birth_date=applicant.birth_date,
        sex=applicant.sex,
        household_size=applicant.household_size,
        categories=frozenset(applicant.categories),
        region=applicant.region,
        benefited_at=applicant.benefited_at,
        reference_date=reference,
    )
    results, points, breakdown = assess(round_, facts, now)
    eligible = all(r.passed for r in results)
    values = {
        "id": uuid.uuid4(),
        "applicant_id": applicant.id,
        "partner_id": job.partner_id,
        "round_id": job.round_id,
        "source": Source.import_.value,
        "direction": direction,
        "status": (ApplicationStatus.eligible if eligible else ApplicationStatus.ineligible).value,
        "region": applicant.region,
        "categories": list(applicant.categories),
        "sex": applicant.sex,
        "age_band": age_band(age_at(applicant.birth_date, reference)),
        "assessment": [r.model_dump(mode="json") for r in results],
        "score": points,
        "score_breakdown": [f.model_dump(mode="json") for f in breakdown],
        "submitted_at": now,
        "assessed_at": now,
        "created_at": now,
        "version": 1,
    }
    submitted = {
        "application_id": values["id"],
        "applicant_id": applicant.id,
        "region": applicant.region,
        "categories": values["categories"],
        "direction": direction,
        "partner_id": job.partner_id,
        "submitted_at": now,
        "round_id": job.round_id,
        "sex": values["sex"],
        "age_band": values["age_band"],
        "source": Source.import_.value,
    }
    assessed = {
        "application_id": values["id"],
        "round_id": job.round_id,
        "eligible": eligible,
        "failed_rules": [r.rule for r in results if not r.passed],
        "score": points,
    }
    return values, {"submitted": submitted, "assessed": assessed}


class ImportWorker:
    """Runs imports one at a time in this instance; started and stopped with the app."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        fins: FinProtector,
        cipher: FileCipher,
        *,
        chunk_rows: int = CHUNK_ROWS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.fins = fins
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
        round_id, language = job.round_id, job.language

        def next_chunk() -> Chunk | None:
            batch = list(islice(rows, self.chunk_rows))
            return prepare_chunk(batch, self.fins, round_id, language) if batch else None

        # The next chunk is read and validated (CPU, in a thread) while this one is written.
        upcoming = asyncio.ensure_future(asyncio.to_thread(next_chunk))
        try:
            done = 0
            while max_chunks is None or done < max_chunks:
                chunk = await upcoming
                if chunk is None:
                    break
                upcoming = asyncio.ensure_future(asyncio.to_thread(next_chunk))
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
                runtime.engine, runtime.sessionmaker, app.state.fins, FileCipher(app.state.settings)
            )
            app.state.import_worker = worker
            worker.start()
            try:
                yield state
            finally:
                await worker.stop()

    app.router.lifespan_context = lifespan
    return app
