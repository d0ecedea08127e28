"""The import job in the background: a worker that picks queued (or interrupted) imports and
works through each file in chunks, one transaction per chunk.

A chunk's rows, its errors and the job's progress commit together, so a job stopped at any point
resumes after the last committed chunk and never imports a row twice. A PostgreSQL advisory lock,
held for the job's duration, keeps two instances off the same import and is released by the
server when an instance dies."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from itertools import islice
from typing import Any

import asyncpg
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake.applicants.duplicates import NAME_MATCH_THRESHOLD, flag_values, key_score, name_key
from intake.applicants.pii import FinProtector
from intake.applicants.service import (
    FinRegistration,
    claim_values,
    fin_registrations,
    new_applicant,
)
from intake.applications.models import Source
from intake.applications.reassessment import reassess_round
from intake.applications.service import build_application
from intake.imports.models import Import, ImportFile, ImportStatus
from intake.imports.parser import FileProblem, Row, count_rows, read_rows, take
from intake.imports.rows import Referral, RowError, check_row, fin_hash_of
from intake.imports.service import FileCipher, already_referred_message, duplicate_message
from intake.rounds.models import Round
from intake.selection.service import lock_round
from intake.settings import IntakeSettings
from shared.context import traced
from shared.db import utcnow
from shared.events import Envelope, Event
from shared.messaging.cancel import raise_if_cancelling
from shared.messaging.outbox import driver_connection
from shared.tables import SHARED_TABLES

log = logging.getLogger(__name__)

CHUNK_ROWS = 1000
# Validating and building a chunk's rows costs more CPU than writing them: one validator per
# core left over by the writer and the database (one on a 2-core machine).
VALIDATORS = max(1, min(4, (os.cpu_count() or 2) - 1))
POLL_SECONDS = 1.0
MAX_FAILURES = 3  # consecutive unexpected failures of one job before it is marked failed
_LOCK_CLASS = 0x1A7F  # advisory lock namespace of imports (two-key form: class, object)


def _lock_key(import_id: uuid.UUID) -> int:
    return int.from_bytes(import_id.bytes[:4], "big", signed=True)


@dataclass(frozen=True)
class JobFacts:
    """What validating a job's rows needs to know of the job (sent to the validating process)."""

    id: uuid.UUID
    round: Round | None
    language: str
    partner_id: uuid.UUID | None
    created_by: str


@dataclass(frozen=True)
class Ready:
    """A valid row, with the rows it writes should its person be new: built in the validating
    process, so that the writing process only looks things up and copies rows in."""

    row: int
    fin_hash: str
    direction: str
    applicant_id: uuid.UUID
    birth_date: date
    name_key: str  # for possible-duplicate matching
    applicant: tuple[Any, ...]  # in Chunk.columns["applicants"] order
    categories: list[tuple[Any, ...]]
    application: tuple[Any, ...]  # the application of a new person, and its outbox rows
    events: list[OutboxRecord]


OutboxRecord = tuple[str, str, str]  # event id, subject, envelope JSON
_OUTBOX_COLUMNS = ["event_id", "subject", "envelope"]


@dataclass
class Chunk:
    """A chunk's rows after validation (done in a worker process: it is CPU work)."""

    rows: int
    referrals: list[Ready] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    first_rows: dict[str, int] = field(default_factory=dict)  # fin hash -> first row here
    columns: dict[str, list[str]] = field(default_factory=dict)  # table -> the tuples' columns
    # When the round's rules it was assessed with last changed (None: never, or no round).
    rules_changed_at: datetime | None = None


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


def _outbox_records(events: list[Event]) -> list[OutboxRecord]:
    """Wrapped in the context of `_job_trace`, which the caller enters once for many rows."""
    envelopes = [Envelope.wrap(event) for event in events]
    return [(str(e.id), e.type, e.model_dump_json()) for e in envelopes]


def _record(values: dict[str, Any], columns: list[str]) -> tuple[Any, ...]:
    """A row for COPY, with ids and enums as plain text: they cross from the validating
    process many times cheaper than UUID and enum objects, and COPY takes either."""
    return tuple(_plain(values[column]) for column in columns)


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _application(
    person: _Person, direction: str, job: JobFacts, now: datetime
) -> tuple[dict[str, Any], list[OutboxRecord]]:
    """The application's row (jsonb as JSON text, as COPY takes it) and its outbox rows."""
    new = build_application(
        person,
        job.round,
        direction=direction,
        partner_id=job.partner_id,
        source=Source.import_,
        now=now,
    )
    values = new.values
    values["assessment"] = json.dumps(values["assessment"])
    values["score_breakdown"] = json.dumps(values["score_breakdown"])
    return values, _outbox_records(new.events)


def _ready(number: int, referral: Referral, job: JobFacts, chunk: Chunk, now: datetime) -> Ready:
    person = new_applicant(
        referral.applicant,
        applicant_id=referral.applicant_id,
        fin_hash=referral.fin_hash,
        fin_ciphertext=referral.fin_ciphertext,
        referred_by_partner_id=job.partner_id,
        now=now,
    )
    values = person.values
    facts = {"benefited_at": None, "excluded_rule": None, **values}
    application, events = _application(
        _Person(**{k: facts[k] for k in _PERSON}), referral.direction, job, now
    )
    columns = chunk.columns
    if not columns:
        columns["applicants"] = list(values)
        columns["applications"] = list(application)
    if person.categories and "applicant_categories" not in columns:
        columns["applicant_categories"] = list(person.categories[0])
    evidence = columns.get("applicant_categories", [])
    return Ready(
        row=number,
        fin_hash=referral.fin_hash,
        direction=referral.direction,
        applicant_id=values["id"],
        birth_date=values["birth_date"],
        name_key=_name_key(values["last_name"], values["first_name"]),
        applicant=_record(values, columns["applicants"]),
        categories=[_record(c, evidence) for c in person.categories],
        application=_record(application, columns["applications"]),
        events=events,
    )


def prepare_chunk(rows: Sequence[Row], fins: FinProtector, job: JobFacts) -> Chunk:
    chunk = Chunk(rows=len(rows), rules_changed_at=_rules_stamp(job.round))
    now = utcnow()
    round_id = job.round.id if job.round is not None else None
    with _job_trace(job):
        for number, values in rows:
            _prepare_row(chunk, number, values, fins, round_id, job, now)
    return chunk


def _rules_stamp(round_: Round | None) -> datetime | None:
    return round_.rules_changed_at if round_ is not None else None


async def _round_now(session: AsyncSession, round_id: uuid.UUID | None) -> Round | None:
    """The round as it is now, its row shared-locked like any change to its applications, so
    that a change of its rules waits for this chunk or is seen by it."""
    if round_id is None:
        return None
    await lock_round(session, round_id)
    return await session.get(Round, round_id, populate_existing=True)


def _job_trace(job: JobFacts) -> contextlib.AbstractContextManager[object]:
    """The events' correlation id (the import) and principal (its uploader)."""
    return traced(principal=job.created_by, correlation_id=str(job.id))


def _prepare_row(
    chunk: Chunk,
    number: int,
    values: dict[str, str],
    fins: FinProtector,
    round_id: uuid.UUID | None,
    job: JobFacts,
    now: datetime,
) -> None:
    """Checks one row: into the chunk's referrals, or its errors."""
    fin_hash = fin_hash_of(values, fins)
    duplicate_of = chunk.first_rows.get(fin_hash) if fin_hash else None
    result = check_row(number, values, fins, round_id, job.language, fin_hash=fin_hash)
    errors = result if isinstance(result, list) else []
    if duplicate_of is not None:
        message = duplicate_message(duplicate_of, job.language)
        errors.append(RowError(number, "fin", "duplicate_in_file", message))
    elif fin_hash is not None:
        chunk.first_rows[fin_hash] = number
    if errors:
        chunk.errors += errors
    elif isinstance(result, Referral):
        chunk.referrals.append(_ready(number, result, job, chunk, now))


@functools.lru_cache(maxsize=65536)
def _name_key(last_name: str, first_name: str) -> str:
    # Names repeat a lot, and folding is the costly part of matching them.
    return name_key(last_name, first_name)


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


def _validate(rows: Sequence[Row], job: JobFacts) -> Chunk:
    assert _fins is not None
    return prepare_chunk(rows, _fins, job)


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

    facts = JobFacts(job.id, round_, job.language, job.partner_id, job.created_by)
    try:
        async with session.begin_nested():
            refused = await _create(session, facts, referrals, chunk.columns)
    except (DBAPIError, asyncpg.PostgresError):
        # Something in the chunk broke a constraint: find the rows, each in a savepoint of its own.
        refused = []
        for referral in referrals:
            try:
                async with session.begin_nested():
                    refused += await _create(session, facts, [referral], chunk.columns)
            except (DBAPIError, asyncpg.PostgresError) as exc:
                log.warning("import %s row %s not saved: %s", job.id, referral.row, type(exc))
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


async def _create(
    session: AsyncSession, job: JobFacts, referrals: list[Ready], columns: dict[str, list[str]]
) -> list[RowError]:
    """Each referral's applicant (unless registered already) and application, with its events;
    the rows refused as already referred come back as errors. A FIN registered before is decided
    exactly as the API decides it (`fin_registrations`): staff, and a partner for its own
    referrals, apply for the person found; a partner's FIN registered outside its referrals
    becomes a claim, written as a new person's rows are, so that its row result is a new
    referral's. Bulk statements throughout: one look-up, one COPY or INSERT ... SELECT per table
    for the whole chunk."""
    if not referrals:
        return []
    connection = await driver_connection(session)
    known = await fin_registrations(session, [r.fin_hash for r in referrals], job.partner_id)
    fresh = [r for r in referrals if r.fin_hash not in known]
    inserted = await _insert_applicants(session, fresh, columns) if fresh else []
    added = {r.fin_hash for r in inserted}
    if meanwhile := [r.fin_hash for r in fresh if r.fin_hash not in added]:
        # Registered by someone else since the look-up: decided again, as registered.
        known |= await fin_registrations(session, meanwhile, job.partner_id)
    claims = [r for r in referrals if r.fin_hash in known and known[r.fin_hash].own_id is None]
    if claims:
        await _insert_claims(connection, job, claims, known, columns)
        added |= {r.fin_hash for r in claims}
    # People registered before (or meanwhile): their applications are built here, from the
    # facts in the database, and refused when they have one in the round already.
    refused, built = await _register_known(
        connection, job, [r for r in referrals if r.fin_hash not in added], known
    )
    applications: list[tuple[Any, ...]] = []
    outbox: list[OutboxRecord] = []
    for referral in referrals:
        if referral.fin_hash in added:
            applications.append(referral.application)
            outbox += referral.events
        elif referral.fin_hash in built:
            values, events = built[referral.fin_hash]
            applications.append(_record(values, columns["applications"]))
            outbox += events
    if applications:
        await connection.copy_records_to_table(
            "applications", records=applications, columns=columns["applications"]
        )
        await connection.copy_records_to_table(
            SHARED_TABLES.outbox.name, records=outbox, columns=_OUTBOX_COLUMNS
        )
    if inserted:
        await _flag_duplicates(connection, inserted)
    return refused


async def _insert_claims(
    connection: Any,
    job: JobFacts,
    claims: list[Ready],
    known: dict[str, FinRegistration],
    columns: dict[str, list[str]],
) -> None:
    """A partner's records of people registered outside its referrals (claimed rows), their
    documents, and their pending referral_claims rows for a case officer's review."""
    assert job.partner_id is not None  # staff see every registered person
    names = columns["applicants"]
    at = names.index("claimed")
    await connection.copy_records_to_table(
        "applicants",
        records=[(*r.applicant[:at], True, *r.applicant[at + 1 :]) for r in claims],
        columns=names,
    )
    evidence = [c for r in claims for c in r.categories]
    if evidence:
        await connection.copy_records_to_table(
            "applicant_categories", records=evidence, columns=columns["applicant_categories"]
        )
    now = utcnow()
    rows = []
    for referral in claims:
        person_id = known[referral.fin_hash].person_id
        assert person_id is not None
        rows.append(claim_values(referral.applicant_id, person_id, job.partner_id, now))
    claim_columns = list(rows[0])
    await connection.copy_records_to_table(
        "referral_claims", records=[_record(r, claim_columns) for r in rows], columns=claim_columns
    )


async def _insert_applicants(
    session: AsyncSession, fresh: list[Ready], columns: dict[str, list[str]]
) -> list[Ready]:
    """The new people, and their documents; returns those inserted (not registered meanwhile
    by someone else)."""
    connection = await driver_connection(session)
    names = columns["applicants"]
    try:
        # COPY straight in: nobody registered them since the look-up, almost always.
        async with connection.transaction():  # a savepoint
            await connection.copy_records_to_table(
                "applicants", records=[r.applicant for r in fresh], columns=names
            )
        inserted = fresh
    except asyncpg.UniqueViolationError:
        # Someone did: through a staging table, where INSERT ... SELECT ... ON CONFLICT skips
        # them (COPY cannot).
        await connection.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_applicants"
            " (LIKE applicants INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        await connection.copy_records_to_table(
            "import_applicants", records=[r.applicant for r in fresh], columns=names
        )
        listed = ", ".join(names)
        added = {
            record[0]
            for record in await connection.fetch(
                f"INSERT INTO applicants ({listed}) SELECT {listed} FROM import_applicants"  # noqa: S608 - names from code
                " ON CONFLICT (fin_hash) WHERE NOT claimed DO NOTHING RETURNING id"
            )
        }
        await connection.execute("TRUNCATE import_applicants")
        inserted = [r for r in fresh if r.applicant_id in added]
    evidence = [c for r in inserted for c in r.categories]
    if evidence:
        await connection.copy_records_to_table(
            "applicant_categories", records=evidence, columns=columns["applicant_categories"]
        )
    return inserted


async def _register_known(
    connection: Any, job: JobFacts, referrals: list[Ready], known: dict[str, FinRegistration]
) -> tuple[list[RowError], dict[str, tuple[dict[str, Any], list[OutboxRecord]]]]:
    """Applications of people registered before, on the record the importer may use (see
    fin_registrations): refused rows, and fin hash -> (application row, outbox rows) of the
    others."""
    if not referrals:
        return [], {}
    record_of = {r.fin_hash: known[r.fin_hash].own_id for r in referrals}
    people = {
        record["id"]: _Person(**{k: record[k] for k in _PERSON})
        for record in await connection.fetch(
            f"SELECT {_FACTS} FROM applicants WHERE id = ANY($1::uuid[])",  # noqa: S608
            list(record_of.values()),
        )
    }
    # The same person in the same round gets one application (direct ones: one without a round).
    taken = {
        record[0]
        for record in await connection.fetch(
            "SELECT applicant_id FROM applications"
            " WHERE applicant_id = ANY($1::uuid[]) AND round_id IS NOT DISTINCT FROM $2",
            list(people),
            job.round.id if job.round is not None else None,
        )
    }
    refused: list[RowError] = []
    built: dict[str, tuple[dict[str, Any], list[OutboxRecord]]] = {}
    now = utcnow()
    with _job_trace(job):
        for referral in referrals:
            person = people[record_of[referral.fin_hash]]
            if person.id in taken:
                message = already_referred_message(job.language)
                refused.append(RowError(referral.row, "fin", "already_referred", message))
            else:
                built[referral.fin_hash] = _application(person, referral.direction, job, now)
    return refused, built


async def _flag_duplicates(connection: Any, inserted: list[Ready]) -> None:
    """find_duplicates for a chunk's new applicants at once: one query for everyone born on
    their birth dates, compared in Python with the same score and threshold. Two new people
    in the chunk are flagged once, the later against the earlier, as one by one would."""
    order = {r.applicant_id: index for index, r in enumerate(inserted)}
    born: dict[date, list[tuple[uuid.UUID, str]]] = {}
    for record in await connection.fetch(
        "SELECT id, last_name, first_name, birth_date FROM applicants"
        " WHERE birth_date = ANY($1::date[]) AND merged_into_id IS NULL AND NOT claimed",
        list({r.birth_date for r in inserted}),
    ):
        key = _name_key(record["last_name"], record["first_name"])
        born.setdefault(record["birth_date"], []).append((record["id"], key))
    flags = []
    for index, referral in enumerate(inserted):
        for candidate_id, candidate_key in born.get(referral.birth_date, []):
            if order.get(candidate_id, -1) >= index:
                continue  # itself, or a new person after it (who flags this one)
            score = key_score(referral.name_key, candidate_key)
            if score >= NAME_MATCH_THRESHOLD:
                flags.append(flag_values(referral.applicant_id, candidate_id, score))
    if flags:
        columns = list(flags[0])
        records = [tuple(flag[c] for c in columns) for flag in flags]
        await connection.copy_records_to_table("duplicate_flags", records=records, columns=columns)


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
        """Rows are validated in other processes, in parallel with this one's database writes
        (in a thread, validation and writes would share one interpreter lock)."""
        if self._validators is None:
            self._validators = ProcessPoolExecutor(
                max_workers=self.validators,
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
        facts = JobFacts(job.id, round_, job.language, job.partner_id, job.created_by)
        loop = asyncio.get_running_loop()
        pool = self._validator_pool()

        # Chunks are read and validated ahead, one per validator and one more, while the
        # oldest is written; they are written in file order, as progress counts rows.
        ahead: deque[asyncio.Future[Chunk]] = deque()
        end_of_file = False

        async def read_ahead() -> None:
            nonlocal end_of_file
            while not end_of_file and len(ahead) <= self.validators:
                batch = await asyncio.to_thread(take, rows, self.chunk_rows)
                if batch:
                    ahead.append(loop.run_in_executor(pool, _validate, batch, facts))
                else:
                    end_of_file = True

        reading = asyncio.ensure_future(read_ahead())
        try:
            done = 0
            while max_chunks is None or done < max_chunks:
                await reading
                if not ahead:
                    break
                chunk = await ahead.popleft()
                reading = asyncio.ensure_future(read_ahead())
                async with self.sessionmaker() as session, session.begin():
                    job = await session.get_one(Import, import_id, with_for_update=True)
                    await apply_chunk(session, job, chunk, round_)
                    current = await _round_now(session, job.round_id)
                    if current is not None and _rules_stamp(current) != chunk.rules_changed_at:
                        # The round's rules changed while the import ran: this chunk was
                        # assessed with the old ones. Assess again (only changed results emit
                        # events) and validate the rest of the file with the new rules.
                        await reassess_round(session, current)
                        round_ = current
                        facts = JobFacts(
                            job.id, current, job.language, job.partner_id, job.created_by
                        )
                done += 1
        finally:
            # Chunks read ahead but not written are dropped: progress is what the database says.
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
            for future in ahead:
                future.cancel()

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
