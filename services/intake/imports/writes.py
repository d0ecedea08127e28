"""Writing one chunk in its transaction: COPY of applicants, claims, applications and outbox
rows, and the possible-duplicate flags among them and against the registry."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

# As registering through the API does: of everyone born the same day only the MAX_CANDIDATES
# closest names are scored, and only the MAX_NEW_FLAGS best-scoring are flagged.
from intake.applicants.duplicates import (
    MAX_CANDIDATES,
    MAX_NEW_FLAGS,
    NAME_MATCH_THRESHOLD,
    flag_values,
    key_score,
)
from intake.applicants.service import (
    FinRegistration,
    claim_values,
    fin_registrations,
)
from intake.imports.chunks import (
    OUTBOX_COLUMNS,
    PERSON_COLUMNS,
    PERSON_FACTS,
    ApplicationRows,
    Chunk,
    JobFacts,
    OutboxRecord,
    PersonFacts,
    Ready,
    application_rows,
    copy_record,
    job_trace,
    name_key_of,
)
from intake.imports.models import Import, ImportStatus
from intake.imports.rows import RowError
from intake.imports.service import already_referred_message, duplicate_message, erased_message
from intake.privacy.registration import CONSENT_COLUMNS, imported_consents
from intake.rounds.models import Round
from shared.db import utcnow
from shared.decisions import NewDecision, record_decisions
from shared.events import IntakeDecisionRecorded
from shared.messaging.outbox import driver_connection
from shared.tables import SHARED_TABLES

log = logging.getLogger(__name__)


async def apply_chunk(
    session: AsyncSession, job: Import, chunk: Chunk, round_: Round | None, *, appeal_days: int
) -> None:
    """Writes a prepared chunk in the caller's transaction and advances the job."""
    connection = await driver_connection(session)
    referrals, errors = await _drop_seen_before(connection, job, chunk)
    facts = JobFacts(job.id, round_, job.language, job.partner_id, job.created_by, appeal_days)
    errors += await _create_each_if_refused(session, facts, referrals, chunk.columns)
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


async def _drop_seen_before(
    connection: Any, job: Import, chunk: Chunk
) -> tuple[list[Ready], list[RowError]]:
    """The chunk's referrals without those whose FIN was met in earlier chunks (or earlier runs
    of this job), and the chunk's errors with a duplicate_in_file error for each of those."""
    errors = list(chunk.errors)
    referrals = chunk.referrals
    if not chunk.first_rows:
        return referrals, errors
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
    if not seen_before:
        return referrals, errors
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
    return [r for r in referrals if r.fin_hash not in first], errors


async def _create_each_if_refused(
    session: AsyncSession, facts: JobFacts, referrals: list[Ready], columns: dict[str, list[str]]
) -> list[RowError]:
    """`_create` for the whole chunk in one savepoint; when the database refuses it, row by
    row, so that only the rows that break a constraint are lost."""
    try:
        async with session.begin_nested():
            return await _create(session, facts, referrals, columns)
    except (DBAPIError, asyncpg.PostgresError):
        pass
    refused: list[RowError] = []
    for referral in referrals:
        try:
            async with session.begin_nested():
                refused += await _create(session, facts, [referral], columns)
        except (DBAPIError, asyncpg.PostgresError) as exc:
            log.warning("import %s row %s not saved: %s", facts.id, referral.row, type(exc))
            refused.append(RowError(referral.row, None, "not_saved", "The row was not saved"))
    return refused


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
    decisions: list[NewDecision] = []
    for referral in referrals:
        if referral.fin_hash in added:
            applications.append(referral.application)
            outbox += referral.events
            decisions += [referral.decision] if referral.decision else []
        elif referral.fin_hash in built:
            rows = built[referral.fin_hash]
            applications.append(copy_record(rows.values, columns["applications"]))
            outbox += rows.events
            decisions += [rows.decision] if rows.decision else []
    if applications:
        await connection.copy_records_to_table(
            "applications", records=applications, columns=columns["applications"]
        )
        await connection.copy_records_to_table(
            SHARED_TABLES.outbox.name, records=outbox, columns=OUTBOX_COLUMNS
        )
        await record_decisions(
            session, IntakeDecisionRecorded, decisions, appeal_days=job.appeal_days
        )
    if people := [r.applicant_id for r in inserted + claims]:
        consents = imported_consents(people, job.partner_id, job.created_by, utcnow())
        await connection.copy_records_to_table(
            "consents", records=consents, columns=CONSENT_COLUMNS
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
        "referral_claims",
        records=[copy_record(r, claim_columns) for r in rows],
        columns=claim_columns,
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
) -> tuple[list[RowError], dict[str, ApplicationRows]]:
    """Applications of people registered before, on the record the importer may use (see
    fin_registrations): refused rows, and fin hash -> (application row, outbox rows) of the
    others."""
    if not referrals:
        return [], {}
    record_of = {r.fin_hash: known[r.fin_hash].own_id for r in referrals}
    records = await connection.fetch(
        f"SELECT {PERSON_FACTS}, erased_at FROM applicants WHERE id = ANY($1::uuid[])",  # noqa: S608
        list(record_of.values()),
    )
    people = {r["id"]: PersonFacts(**{k: r[k] for k in PERSON_COLUMNS}) for r in records}
    # An erased person's facts are gone: only a registration by hand brings them back.
    erased = {r["id"] for r in records if r["erased_at"] is not None}
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
    built: dict[str, ApplicationRows] = {}
    now = utcnow()
    with job_trace(job):
        for referral in referrals:
            person = people[record_of[referral.fin_hash]]
            if person.id in erased:
                message = erased_message(job.language)
                refused.append(RowError(referral.row, "fin", "erased", message))
            elif person.id in taken:
                message = already_referred_message(job.language)
                refused.append(RowError(referral.row, "fin", "already_referred", message))
            else:
                built[referral.fin_hash] = application_rows(person, referral.direction, job, now)
    return refused, built


async def _flag_duplicates(connection: Any, inserted: list[Ready]) -> None:
    """flag_duplicates for a chunk's new people at once, by the API's rule: of the people born
    the same day, the MAX_CANDIDATES closest names by pg_trgm similarity (one statement for the
    whole chunk, a LATERAL top-N per new person), scored with the same score and threshold, the
    best MAX_NEW_FLAGS flagged; one COPY for the chunk. As one by one would, a new person is
    matched against the chunk's people before it only (itself and those after it are not
    registered yet when it is): each top-N reads as many more rows as it has such people born
    the same day, and drops them, so that MAX_CANDIDATES others remain."""
    later: list[int] = []  # itself and the chunk's people after it born the same day
    born: dict[date, int] = {}
    for referral in reversed(inserted):
        born[referral.birth_date] = born.get(referral.birth_date, 0) + 1
        later.append(born[referral.birth_date])
    later.reverse()
    order = {r.applicant_id: index for index, r in enumerate(inserted)}
    candidates: list[list[tuple[uuid.UUID, str, str]]] = [[] for _ in inserted]
    for record in await connection.fetch(
        "SELECT n.ord, c.id, c.last_name, c.first_name"
        " FROM unnest($1::date[], $2::text[], $3::int[])"
        "  WITH ORDINALITY AS n (birth_date, name_key, later, ord)"
        " CROSS JOIN LATERAL ("
        "  SELECT a.id, a.last_name, a.first_name, similarity(a.name_folded, n.name_key) AS near"
        "  FROM applicants a"
        "  WHERE a.birth_date = n.birth_date AND a.merged_into_id IS NULL AND NOT a.claimed"
        "  ORDER BY near DESC NULLS LAST, a.id LIMIT $4 + n.later) AS c"
        " ORDER BY n.ord, c.near DESC NULLS LAST, c.id",
        [r.birth_date for r in inserted],
        [r.name_key for r in inserted],
        later,
        MAX_CANDIDATES,
    ):
        index = record["ord"] - 1
        if order.get(record["id"], -1) < index:  # not itself, nor a new person after it
            candidates[index].append((record["id"], record["last_name"], record["first_name"]))
    flags = []
    for referral, found in zip(inserted, candidates, strict=True):
        scored = [
            (candidate_id, key_score(referral.name_key, name_key_of(last, first)))
            for candidate_id, last, first in found[:MAX_CANDIDATES]
        ]
        matches = sorted(
            ((c, score) for c, score in scored if score >= NAME_MATCH_THRESHOLD),
            key=lambda match: -match[1],
        )
        flags += [flag_values(referral.applicant_id, c, s) for c, s in matches[:MAX_NEW_FLAGS]]
    if flags:
        columns = list(flags[0])
        records = [tuple(flag[c] for c in columns) for flag in flags]
        await connection.copy_records_to_table("duplicate_flags", records=records, columns=columns)
