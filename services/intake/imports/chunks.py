"""An import's chunks: rows validated and built into applicants, applications and events,
in other processes (a fork server of validators) while the worker writes the chunk before."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import multiprocessing
import os
import pickle
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from intake.applicants.duplicates import name_key
from intake.applicants.pii import FinProtector
from intake.applicants.service import (
    new_applicant,
)
from intake.applications.models import Source
from intake.applications.service import build_application
from intake.imports.parser import Row
from intake.imports.rows import Referral, RowError, check_row, fin_hash_of
from intake.imports.service import duplicate_message
from intake.rounds.models import Round
from intake.settings import IntakeSettings
from shared.context import traced
from shared.db import utcnow
from shared.decisions import NewDecision
from shared.events import Envelope, Event

log = logging.getLogger(__name__)

CHUNK_ROWS = 1000
# Validating and building a chunk's rows costs more CPU than writing them: one validator per
# core left over by the writer and the database (one on a 2-core machine).
VALIDATORS = max(1, min(4, (os.cpu_count() or 2) - 1))
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class JobFacts:
    """What validating a job's rows needs to know of the job (sent to the validating process)."""

    id: uuid.UUID
    round: Round | None
    language: str
    partner_id: uuid.UUID | None
    created_by: str
    appeal_days: int  # of the ineligible assessments it records


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
    decision: NewDecision | None  # not eligible: the adverse decision to record


OutboxRecord = tuple[str, str, str]  # event id, subject, envelope JSON
OUTBOX_COLUMNS = ["event_id", "subject", "envelope"]


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
class PersonFacts:
    """The applicant's facts an application is built from (see ApplicantFacts)."""

    id: uuid.UUID
    birth_date: date
    sex: str | None
    household_size: int | None
    categories: list[str]
    region: str
    benefited_at: datetime | None
    excluded_rule: str | None


PERSON_FACTS = (
    "id, birth_date, sex, household_size, categories, region, benefited_at, excluded_rule"
)
PERSON_COLUMNS = [f.strip() for f in PERSON_FACTS.split(",")]


def _outbox_records(events: list[Event]) -> list[OutboxRecord]:
    """Wrapped in the context of `job_trace`, which the caller enters once for many rows."""
    envelopes = [Envelope.wrap(event) for event in events]
    return [(str(e.id), e.type, e.model_dump_json()) for e in envelopes]


# Values COPY takes as they are (checked by exact type first: most of a row's cells).
_AS_IS: frozenset[type] = frozenset(
    {str, int, bool, float, bytes, date, datetime, list, type(None)}
)


def copy_record(values: dict[str, Any], columns: list[str]) -> tuple[Any, ...]:
    """A row for COPY, with ids and enums as plain text: they cross from the validating
    process many times cheaper than UUID and enum objects, and COPY takes either. (A loop
    rather than a generator of `isinstance` checks: three of these a row, 100,000s of rows.)"""
    record: list[Any] = []
    for column in columns:
        value = values[column]
        kind = type(value)
        if kind in _AS_IS:
            record.append(value)
        elif kind is uuid.UUID:
            record.append(str(value))
        elif isinstance(value, Enum):
            record.append(value.value)
        else:
            record.append(value)
    return tuple(record)


@dataclass(frozen=True)
class ApplicationRows:
    """An application's row (jsonb as JSON text, as COPY takes it), its outbox rows, and its
    adverse decision if it is not eligible."""

    values: dict[str, Any]
    events: list[OutboxRecord]
    decision: NewDecision | None


def application_rows(
    person: PersonFacts, direction: str, job: JobFacts, now: datetime
) -> ApplicationRows:
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
    return ApplicationRows(values, _outbox_records(new.events), new.decision)


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
    application = application_rows(
        PersonFacts(**{k: facts[k] for k in PERSON_COLUMNS}), referral.direction, job, now
    )
    columns = chunk.columns
    if not columns:
        columns["applicants"] = list(values)
        columns["applications"] = list(application.values)
    if person.categories and "applicant_categories" not in columns:
        columns["applicant_categories"] = list(person.categories[0])
    evidence = columns.get("applicant_categories", [])
    return Ready(
        row=number,
        fin_hash=referral.fin_hash,
        direction=referral.direction,
        applicant_id=values["id"],
        birth_date=values["birth_date"],
        name_key=name_key_of(values["last_name"], values["first_name"]),
        applicant=copy_record(values, columns["applicants"]),
        categories=[copy_record(c, evidence) for c in person.categories],
        application=copy_record(application.values, columns["applications"]),
        events=application.events,
        decision=application.decision,
    )


def rules_stamp(round_: Round | None) -> datetime | None:
    return round_.rules_changed_at if round_ is not None else None


def prepare_chunk(rows: Sequence[Row], fins: FinProtector, job: JobFacts) -> Chunk:
    chunk = Chunk(rows=len(rows), rules_changed_at=rules_stamp(job.round))
    now = utcnow()
    round_id = job.round.id if job.round is not None else None
    with job_trace(job):
        for number, values in rows:
            _prepare_row(chunk, number, values, fins, round_id, job, now)
    return chunk


def job_trace(job: JobFacts) -> contextlib.AbstractContextManager[object]:
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
def name_key_of(last_name: str, first_name: str) -> str:
    # Names repeat a lot, and folding is the costly part of matching them.
    return name_key(last_name, first_name)


# In each validating process: the FIN keys, set once when the process starts.
_fins: FinProtector | None = None


def validator_context() -> multiprocessing.context.BaseContext:
    # A fork server with this module loaded starts validators fast; plain fork is unsafe in a
    # process with threads and an event loop.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def start_validator(settings: IntakeSettings) -> None:
    global _fins
    _fins = FinProtector(settings)


def validate(rows: Sequence[Row], job: JobFacts) -> bytes:
    """A chunk checked and built in a validating process, pickled here: see `load_chunk`."""
    assert _fins is not None
    return pickle.dumps(prepare_chunk(rows, _fins, job), protocol=pickle.HIGHEST_PROTOCOL)


def load_chunk(pickled: bytes) -> Chunk:
    """A validated chunk in the writing process, unpickled with the garbage collector paused: a
    chunk is tens of thousands of new objects, and the collections they set off would traverse
    the writing process's whole heap again and again (unpickling cost about 50 us a row with
    the collector running, 7 without). The chunk holds no cycles; the collector runs again
    after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        chunk: Chunk = pickle.loads(pickled)  # noqa: S301 - from our own validating process
    finally:
        if enabled:
            gc.enable()
    return chunk
