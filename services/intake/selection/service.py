"""Selection jobs: requested over HTTP, computed by the runner (see runner.py) into proposed
results, reviewed, then committed (enrolling the selected) or discarded. Request-side functions
flush, never commit; `run_selection` is the runner's and owns its transactions."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from intake.applicants.models import Applicant
from intake.applications.events import participant_enrolled
from intake.applications.models import Application, ApplicationStatus
from intake.rounds.models import Round, RoundStatus
from intake.selection.models import Outcome, Selection, SelectionResult, SelectionStatus
from shared.auth import Principal
from shared.db import utcnow
from shared.decisions import AUTOMATIC, NewDecision, record_decisions
from shared.events import ApplicationSelected, Event, GrievanceResolved, IntakeDecisionRecorded
from shared.i18n import add_messages
from shared.messaging.outbox import add_events
from shared.problems import Conflict, InvalidState, NotFound

log = logging.getLogger(__name__)

add_messages(
    {
        "detail.selection-active": {
            "az": "Bu raund üçün seçim artıq gedir və ya baxılmağı gözləyir.",
            "en": "A selection for this round is already running or awaiting review.",
            "ru": "Отбор для этого раунда уже идёт или ожидает проверки.",
        },
        "detail.selection-stale": {
            "az": "Seçimdən sonra raundun müraciətləri dəyişib; seçimi yenidən aparın.",
            "en": "The round's applications changed since the selection ran; run it again.",
            "ru": "Заявки раунда изменились после отбора; проведите отбор заново.",
        },
    }
)

_ACTIVE = (SelectionStatus.queued, SelectionStatus.running, SelectionStatus.proposed)
A = cast(sa.Table, Application.__table__)
R = cast(sa.Table, SelectionResult.__table__)
S = cast(sa.Table, Selection.__table__)


async def request_selection(
    session: AsyncSession, round_: Round, principal: Principal
) -> Selection:
    if round_.status != RoundStatus.closed:
        raise InvalidState(round_.status)
    # One at a time per round: the round row's lock orders concurrent requests.
    await session.execute(sa.select(Round.id).where(Round.id == round_.id).with_for_update())
    active = await session.scalar(
        sa.select(Selection.id).where(
            Selection.round_id == round_.id, Selection.status.in_(_ACTIVE)
        )
    )
    if active is not None:
        raise Conflict("detail.selection-active", extras={"selection_id": active})
    # Which person a partner's claimed referral is decides who may be selected: review first.
    pending_claims = await session.scalar(
        sa.text(
            "SELECT count(*) FROM applications a JOIN referral_claims c"
            " ON c.applicant_id = a.applicant_id"
            " WHERE a.round_id = :round_id AND c.status = 'pending'"
        ),
        {"round_id": round_.id},
    )
    if pending_claims:
        raise Conflict("detail.referral-claims-pending", extras={"pending": pending_claims})
    selection = Selection(
        round_id=round_.id, status=SelectionStatus.queued, requested_by=principal.id
    )
    session.add(selection)
    await session.flush()
    return selection


# Selections are read by staff routes only (role-checked), whoever the staff member works for:
# unscoped, as ever.
async def get_selection(session: AsyncSession, selection_id: uuid.UUID) -> Selection:
    selection = await session.get(Selection, selection_id)
    if selection is None:
        raise NotFound("selection", selection_id)
    return selection


def selections_query(round_id: uuid.UUID, status: SelectionStatus | None) -> sa.Select[Selection]:
    statement = sa.select(Selection).where(Selection.round_id == round_id)
    if status is not None:
        statement = statement.where(Selection.status == status)
    return statement


def results_query(
    selection: Selection, region: str | None, outcome: Outcome | None
) -> sa.Select[SelectionResult]:
    """A proposed or committed selection's results (409 before), in a region or of an outcome."""
    if selection.status not in (SelectionStatus.proposed, SelectionStatus.committed):
        raise InvalidState(selection.status)
    statement = sa.select(SelectionResult).where(SelectionResult.selection_id == selection.id)
    if region is not None:
        statement = statement.where(SelectionResult.region == region)
    if outcome is not None:
        statement = statement.where(SelectionResult.outcome == outcome)
    return statement


def _combined(round_id: uuid.UUID, round_version: int, applications_digest: str) -> str:
    return hashlib.sha256(f"{round_id}:{round_version}:{applications_digest}".encode()).hexdigest()


async def inputs_hash(session: AsyncSession, round_id: uuid.UUID) -> str:
    """A digest of everything the selection reads: the round (its version covers quotas and
    share) and every application of the round (its version changes with any change)."""
    applications = sa.text(
        "SELECT encode(sha256(convert_to(coalesce(string_agg(id::text || ':' || version, ','"
        " ORDER BY id), ''), 'UTF8')), 'hex') FROM applications WHERE round_id = :round_id"
    )
    digest = await session.scalar(applications, {"round_id": round_id})
    version = await session.scalar(sa.select(Round.version).where(Round.id == round_id))
    assert version is not None
    return _combined(round_id, version, digest)


# The whole selection as one statement, so that PostgreSQL ranks and writes without the rows
# leaving the server: `ranking.select` exactly (tests/intake/test_selection.py holds the two
# equal), in one sort of the candidates. Per region, in rank order (score highest first, then
# submission time, then id): `priority_upto` counts the priority candidates so far, so the first
# `reserved_places` of them hold the reserved places and `reserved_upto` of those are ahead of a
# row; every other candidate is the (rank - reserved_upto)-th of the general pool, selected while
# general places last, else waitlisted at its place after them. Candidates: the round's eligible
# applications but those of partners' claimed referrals that were refused or linked without
# consent (they stay on the partner's record and are never selected). One statement is one
# snapshot: the digest (made as `inputs_hash` makes it) describes exactly the rows ranked.
RANKED_INTO_RESULTS = """
WITH round AS (
    SELECT id, version, quotas, reserved_share, priority_categories FROM rounds WHERE id = $2
), quota AS (
    SELECT key AS region, value::int AS places,
           least(value::int, ceil(value::int * reserved_share))::int AS reserved_places
    FROM round, jsonb_each_text(quotas)
), ranked AS (
    SELECT a.id, a.region, a.score, a.categories && r.priority_categories AS priority,
           coalesce(q.places, 0) AS places, coalesce(q.reserved_places, 0) AS reserved_places,
           row_number() OVER in_rank AS rank,
           count(*) FILTER (WHERE a.categories && r.priority_categories) OVER in_rank
               AS priority_upto,
           count(*) FILTER (WHERE a.categories && r.priority_categories) OVER in_region
               AS priority_count
    FROM applications a
    JOIN round r ON r.id = a.round_id
    LEFT JOIN quota q ON q.region = a.region
    WHERE a.status = 'eligible'
      AND NOT EXISTS (SELECT FROM applicants p WHERE p.id = a.applicant_id AND p.claimed)
    WINDOW in_region AS (PARTITION BY a.region COLLATE "C"),
           in_rank AS (in_region ORDER BY a.score DESC, a.submitted_at, a.id
                       ROWS UNBOUNDED PRECEDING)
), held AS (
    SELECT ranked.*, priority AND priority_upto <= reserved_places AS reserved,
           least(priority_upto, reserved_places) AS reserved_upto,
           places - least(reserved_places, priority_count) AS general_places
    FROM ranked
), placed AS (
    SELECT held.*, reserved OR rank - reserved_upto <= general_places AS selected
    FROM held
), written AS (
    INSERT INTO selection_results (selection_id, application_id, region, rank, outcome,
                                   reserved, score, waitlist_position)
    SELECT $1, id, region, rank, CASE WHEN selected THEN 'selected' ELSE 'waitlisted' END,
           reserved, score,
           CASE WHEN NOT selected THEN rank - reserved_upto - general_places END
    FROM placed
    ORDER BY id
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT version FROM round),
       -- as inputs_hash digests the round's applications
       (SELECT encode(sha256(convert_to(coalesce(string_agg(id::text || ':' || version, ','
                                                            ORDER BY id), ''), 'UTF8')), 'hex')
        FROM applications WHERE round_id = $2)
"""
# Regions are partitioned in byte order (as in the "C" collation: the language's rules would
# cost several times more to sort a million rows, for codes that are ASCII anyway). Results go in
# application id order: the primary key and application index then grow at one end, and the
# foreign key's look-ups walk the applications' index in order (about a quarter less work at a
# million rows). The sorts of a round's applications in memory, not in temporary files:
SORT_MEMORY = "128MB"


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, in the session's transaction."""
    return (await (await session.connection()).get_raw_connection()).driver_connection


async def _candidates(session: AsyncSession, round_id: uuid.UUID) -> int:
    """How many applications the run is about to rank (its progress's total)."""
    count = await session.scalar(
        sa.text(
            "SELECT count(*) FROM applications a WHERE round_id = :round_id"
            " AND status = 'eligible'"
            " AND NOT EXISTS (SELECT FROM applicants p WHERE p.id = a.applicant_id AND p.claimed)"
        ),
        {"round_id": round_id},
    )
    return int(count or 0)


async def run_selection(
    sessionmaker: async_sessionmaker[AsyncSession],
    selection_id: uuid.UUID,
    *,
    connection: AsyncConnection | None = None,
) -> None:
    """Computes a claimed (running) selection into proposed results, or marks it failed.

    `connection` is the one holding the job's lock (see runner.py): the results are written on
    it, so a worker that lost its lock cannot write them any more."""
    try:
        async with sessionmaker() as session, session.begin():
            round_id = await session.scalar(
                sa.select(Selection.round_id).where(Selection.id == selection_id)
            )
            assert round_id is not None
            total = await _candidates(session, round_id)
        await _progress(sessionmaker, selection_id, processed=0, total=total)
        writer = AsyncSession(bind=connection) if connection is not None else sessionmaker()
        async with writer as session, session.begin():
            await session.execute(R.delete().where(R.c.selection_id == selection_id))
            await session.execute(sa.text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
            placed, version, digest = await (await _driver(session)).fetchrow(
                RANKED_INTO_RESULTS, selection_id, round_id
            )
            await session.execute(
                S.update()
                .where(S.c.id == selection_id, S.c.status == SelectionStatus.running)
                .values(
                    status=SelectionStatus.proposed,
                    processed=placed,
                    total=placed,
                    inputs_hash=_combined(round_id, version, digest),
                    finished_at=utcnow(),
                    version=S.c.version + 1,
                )
            )
    except Exception as exc:
        log.exception("selection %s failed", selection_id)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                S.update()
                .where(S.c.id == selection_id)
                .values(
                    status=SelectionStatus.failed,
                    error=type(exc).__name__,
                    finished_at=utcnow(),
                    version=S.c.version + 1,
                )
            )


async def _progress(
    sessionmaker: async_sessionmaker[AsyncSession],
    selection_id: uuid.UUID,
    *,
    processed: int,
    total: int | None = None,
) -> None:
    values: dict[str, Any] = {"processed": processed}
    if total is not None:
        values["total"] = total
    async with sessionmaker() as session, session.begin():
        await session.execute(S.update().where(S.c.id == selection_id).values(**values))


async def discard(session: AsyncSession, selection: Selection) -> Selection:
    if selection.status not in (
        SelectionStatus.queued,
        SelectionStatus.proposed,
        SelectionStatus.failed,
    ):
        raise InvalidState(selection.status)
    selection.status = SelectionStatus.discarded
    selection.finished_at = selection.finished_at or utcnow()
    await session.flush()
    return selection


async def commit(
    session: AsyncSession, selection: Selection, *, decided_by: str, appeal_days: int
) -> Selection:
    """Enrolls the selected and waitlists the rest: one intake.participant.enrolled per enrolled
    participant, one intake.application.selected per placed application; the round is selected.
    Each waitlisting is an adverse decision by `decided_by`, recorded. Refused when the round's
    applications changed since the run.

    One person, one benefit: an applicant who received assets since applying is made ineligible
    (see `_skip_benefited`) and their place goes down the region's waitlist."""
    if selection.status != SelectionStatus.proposed:
        raise InvalidState(selection.status)
    # Withdrawals take this row's lock too (see lock_round), so none slips in between the
    # digest and the updates.
    round_ = await session.get(Round, selection.round_id, with_for_update=True)
    assert round_ is not None
    if round_.status != RoundStatus.closed:
        raise InvalidState(round_.status)
    if await inputs_hash(session, round_.id) != selection.inputs_hash:
        raise Conflict("detail.selection-stale")

    now = utcnow()
    benefited = await benefited_applications(session, selection.id)
    if benefited:
        await _skip_benefited(session, selection.id, round_, benefited, now, appeal_days)
    events: list[Event] = []
    for outcome, status in (
        (Outcome.selected, ApplicationStatus.enrolled),
        (Outcome.waitlisted, ApplicationStatus.waitlisted),
    ):
        events += await _place(session, selection, round_, outcome, status, now)
    events += await _waitlist_claimed_records(session, selection.id, round_.id)
    await add_events(session, events)
    await record_decisions(
        session,
        IntakeDecisionRecorded,
        await _waitlistings(session, round_.id, decided_by, now),
        appeal_days=appeal_days,
    )
    round_.status = RoundStatus.selected
    selection.status = SelectionStatus.committed
    selection.committed_at = now
    await session.flush()
    return selection


BELOW_REGIONAL_CUTOFF = "below_regional_cutoff"  # the reason of a waitlisting


async def _waitlistings(
    session: AsyncSession, round_id: uuid.UUID, decided_by: str, now: datetime
) -> list[NewDecision]:
    """The round's waitlisted applications, as adverse decisions: only a commit waitlists, so
    these are the ones it just placed."""
    rows = await session.execute(
        sa.select(A.c.id, A.c.partner_id).where(
            A.c.round_id == round_id, A.c.status == ApplicationStatus.waitlisted
        )
    )
    return [
        NewDecision(
            application_id=row.id,
            kind="waitlisted",
            reason=BELOW_REGIONAL_CUTOFF,
            decided_by=decided_by,
            decided_at=now,
            ref_id=round_id,
            partner_id=row.partner_id,
        )
        for row in rows
    ]


async def _place(
    session: AsyncSession,
    selection: Selection,
    round_: Round,
    outcome: Outcome,
    status: ApplicationStatus,
    now: datetime,
) -> list[Event]:
    """Gives the eligible applications of one outcome their status; returns their events."""
    events: list[Event] = []
    values: dict[str, Any] = {"status": status, "version": A.c.version + 1}
    if status == ApplicationStatus.enrolled:
        values["enrolled_at"] = now
    rows = await session.execute(
        A.update()
        .where(
            A.c.id == R.c.application_id,
            R.c.selection_id == selection.id,
            R.c.outcome == outcome,
            A.c.status == ApplicationStatus.eligible,
        )
        .values(**values)
        .returning(
            A.c.id,
            A.c.applicant_id,
            A.c.region,
            A.c.categories,
            A.c.direction,
            A.c.partner_id,
            A.c.round_id,
            A.c.sex,
            A.c.age_band,
            R.c.rank,
        )
    )
    for row in rows:
        if status == ApplicationStatus.enrolled:
            events.append(participant_enrolled(row, now))
        events.append(
            ApplicationSelected(
                application_id=row.id,
                round_id=round_.id,
                outcome=outcome,
                rank=row.rank,
                region=row.region,
            )
        )
    return events


async def _waitlist_claimed_records(
    session: AsyncSession, selection_id: uuid.UUID, round_id: uuid.UUID
) -> list[Event]:
    """A partner's claimed referral that was refused or linked without consent is never ranked,
    but it must not stay "eligible" while every other application is placed: the partner would
    learn that the person is registered elsewhere. It ends as any unplaced application does,
    waitlisted, after its region's last rank. It has no result row, so no freed place reaches it.
    """
    rows = (
        await session.execute(
            A.update()
            .where(
                A.c.round_id == round_id,
                A.c.status == ApplicationStatus.eligible,
                sa.exists().where(Applicant.id == A.c.applicant_id, Applicant.claimed),
            )
            .values(status=ApplicationStatus.waitlisted, version=A.c.version + 1)
            .returning(A.c.id, A.c.region, A.c.submitted_at)
        )
    ).all()
    if not rows:
        return []
    last_ranks: dict[str, int] = {
        region: rank
        for region, rank in await session.execute(
            sa.select(R.c.region, sa.func.max(R.c.rank))
            .where(R.c.selection_id == selection_id)
            .group_by(R.c.region)
        )
    }
    events: list[Event] = []
    for row in sorted(rows, key=lambda row: (row.region, row.submitted_at, row.id)):
        last_ranks[row.region] = rank = last_ranks.get(row.region, 0) + 1
        events.append(
            ApplicationSelected(
                application_id=row.id,
                round_id=round_id,
                outcome=Outcome.waitlisted,
                rank=rank,
                region=row.region,
            )
        )
    return events


async def lock_round(session: AsyncSession, round_id: uuid.UUID) -> None:
    """Shares the round row's lock with other changes to its applications, so that a commit
    (which takes it exclusively) sees them all or none."""
    await session.execute(
        sa.select(Round.id).where(Round.id == round_id).with_for_update(read=True)
    )


async def fill_freed_place(
    session: AsyncSession, round_id: uuid.UUID, application_id: uuid.UUID, *, appeal_days: int
) -> uuid.UUID | None:
    """The place of a participant who left goes to the next on the same region's waitlist (a
    reserved place to the next priority-category applicant, if any). Returns who got it."""
    selection = await session.scalar(
        sa.select(Selection)
        .where(Selection.round_id == round_id, Selection.status == SelectionStatus.committed)
        .with_for_update()  # one promotion at a time per round
    )
    if selection is None:
        return None
    freed = await session.get(SelectionResult, (selection.id, application_id))
    if freed is None or freed.outcome != Outcome.selected:
        return None
    round_ = await session.get(Round, round_id)
    assert round_ is not None
    waiting = await _eligible_waitlist(session, selection.id, round_id, freed.region, appeal_days)
    if not waiting:
        return None
    chosen, reserved = _next_in_line(waiting, freed.reserved, set(round_.priority_categories))
    return await _promote(session, selection.id, round_id, chosen, reserved=reserved)


async def _eligible_waitlist(
    session: AsyncSession,
    selection_id: uuid.UUID,
    round_id: uuid.UUID,
    region: str,
    appeal_days: int,
) -> list[Any]:
    """The region's waitlist in order, still waiting; those who received assets meanwhile are
    made ineligible and left out."""
    waiting = (
        await session.execute(
            sa.select(R.c.application_id, R.c.rank, A.c.categories)
            .join(A, A.c.id == R.c.application_id)
            .where(
                R.c.selection_id == selection_id,
                R.c.region == region,
                R.c.outcome == Outcome.waitlisted,
                A.c.status == ApplicationStatus.waitlisted,
            )
            .order_by(R.c.waitlist_position)
        )
    ).all()
    benefited = await benefited_applications(session, selection_id, region=region)
    skipped = [w.application_id for w in waiting if w.application_id in benefited]
    if skipped:
        await _make_ineligible(session, selection_id, round_id, skipped, utcnow(), appeal_days)
    return [w for w in waiting if w.application_id not in benefited]


async def _promote(
    session: AsyncSession,
    selection_id: uuid.UUID,
    round_id: uuid.UUID,
    chosen: Any,
    *,
    reserved: bool,
) -> uuid.UUID:
    """Enrols the waitlisted applicant chosen for a freed place, with its events."""
    application = await session.get(Application, chosen.application_id, with_for_update=True)
    assert application is not None
    now = utcnow()
    application.status = ApplicationStatus.enrolled
    application.enrolled_at = now
    await session.execute(
        R.update()
        .where(R.c.selection_id == selection_id, R.c.application_id == application.id)
        .values(outcome=Outcome.selected, reserved=reserved, promoted_at=now)
    )
    await session.flush()
    await add_events(
        session,
        [
            participant_enrolled(application, now),
            ApplicationSelected(
                application_id=application.id,
                round_id=round_id,
                outcome=Outcome.selected,
                rank=chosen.rank,
                region=application.region,
            ),
        ],
    )
    return application.id


# --- One person, one benefit ---------------------------------------------------------------------

ALREADY_BENEFITED = "already_benefited"  # close_reason of an application skipped for it


async def benefited_applications(
    session: AsyncSession, selection_id: uuid.UUID, *, region: str | None = None
) -> set[uuid.UUID]:
    """The selection's applications (selected or waitlisted) whose person received assets: as
    `check_can_benefit`, the applicant a merged one now lives on decides. One query for all."""
    rows = await session.execute(
        sa.text(
            "WITH RECURSIVE chain(application_id, benefited_at, next_id) AS ("
            " SELECT r.application_id, p.benefited_at, p.merged_into_id"
            " FROM selection_results r"
            " JOIN applications a ON a.id = r.application_id"
            " JOIN applicants p ON p.id = a.applicant_id"
            " WHERE r.selection_id = :selection_id AND r.outcome IN ('selected', 'waitlisted')"
            " AND (CAST(:region AS text) IS NULL OR r.region = :region)"
            " UNION ALL"
            " SELECT c.application_id, p.benefited_at, p.merged_into_id"
            " FROM chain c JOIN applicants p ON p.id = c.next_id)"
            " SELECT application_id FROM chain"
            " WHERE next_id IS NULL AND benefited_at IS NOT NULL"
        ),
        {"selection_id": selection_id, "region": region},
    )
    return {row[0] for row in rows}


async def _make_ineligible(
    session: AsyncSession,
    selection_id: uuid.UUID,
    round_id: uuid.UUID,
    application_ids: Sequence[uuid.UUID],
    now: datetime,
    appeal_days: int,
) -> None:
    """One person, one benefit: applications of people who received assets since applying are
    refused, each an adverse decision of the rules (appealable, e.g. when the benefit was
    recorded against the wrong person)."""
    await session.execute(
        R.update()
        .where(R.c.selection_id == selection_id, R.c.application_id.in_(application_ids))
        .values(outcome=Outcome.ineligible)
    )
    await session.execute(
        A.update()
        .where(A.c.id.in_(application_ids))
        .values(
            status=ApplicationStatus.ineligible,
            closed_at=now,
            close_reason=ALREADY_BENEFITED,
            version=A.c.version + 1,
        )
    )
    await record_decisions(
        session,
        IntakeDecisionRecorded,
        [
            NewDecision(
                application_id=application_id,
                kind="ineligible",
                reason=ALREADY_BENEFITED,
                decided_by=AUTOMATIC,
                decided_at=now,
                ref_id=round_id,
                partner_id=partner_id,
            )
            for application_id, partner_id in await session.execute(
                sa.select(A.c.id, A.c.partner_id).where(A.c.id.in_(application_ids))
            )
        ],
        appeal_days=appeal_days,
    )


def _next_in_line(waiting: Sequence[Any], reserved: bool, priority: set[str]) -> tuple[Any, bool]:
    """Who takes a freed place from a waitlist (in waitlist order), and whether it stays
    reserved: a reserved place goes to the first priority-category applicant, else the first."""
    chosen = waiting[0]
    if reserved:
        chosen = next((w for w in waiting if priority & set(w.categories)), chosen)
    return chosen, reserved and bool(priority & set(chosen.categories))


async def _skip_benefited(
    session: AsyncSession,
    selection_id: uuid.UUID,
    round_: Round,
    benefited: set[uuid.UUID],
    now: datetime,
    appeal_days: int,
) -> None:
    """Before a commit: the benefited are made ineligible, and each place one of them held goes
    to the next on the region's waitlist, as a freed place would."""
    rows = (
        await session.execute(
            sa.select(
                R.c.application_id,
                R.c.region,
                R.c.outcome,
                R.c.reserved,
                R.c.rank,
                A.c.categories,
            )
            .join(A, A.c.id == R.c.application_id)
            .where(
                R.c.selection_id == selection_id,
                R.c.region.in_(
                    sa.select(R.c.region).where(
                        R.c.selection_id == selection_id, R.c.application_id.in_(benefited)
                    )
                ),
            )
            .order_by(R.c.region, R.c.rank)
        )
    ).all()
    priority = set(round_.priority_categories)
    for region in sorted({row.region for row in rows}):
        mine = [row for row in rows if row.region == region]
        waiting = [
            row
            for row in mine
            if row.outcome == Outcome.waitlisted and row.application_id not in benefited
        ]
        freed = [
            row
            for row in mine
            if row.outcome == Outcome.selected and row.application_id in benefited
        ]
        for place in freed:
            if not waiting:
                break
            chosen, reserved = _next_in_line(waiting, place.reserved, priority)
            waiting.remove(chosen)
            await session.execute(
                R.update()
                .where(
                    R.c.selection_id == selection_id, R.c.application_id == chosen.application_id
                )
                .values(outcome=Outcome.selected, reserved=reserved, promoted_at=now)
            )
    await _make_ineligible(session, selection_id, round_.id, sorted(benefited), now, appeal_days)


# --- Appeals -------------------------------------------------------------------------------------

WAITLISTED = "waitlisted"  # the effect of an upheld appeal against a waitlisting


async def keep_on_waitlist(
    session: AsyncSession, decision: sa.Row[Any], event: GrievanceResolved
) -> str:
    """The reversal of a waitlisting on an upheld appeal: there is no place to give, so the
    application stays on its region's waitlist at its rank (confirmed by
    `intake.application.selected`), the first a freed place reaches in turn."""
    row = (
        await session.execute(
            sa.select(A.c.id, A.c.round_id, A.c.region, R.c.rank)
            .join(R, R.c.application_id == A.c.id)
            .join(S, S.c.id == R.c.selection_id)
            .where(
                A.c.id == decision.application_id,
                A.c.status == ApplicationStatus.waitlisted,
                S.c.status == SelectionStatus.committed,
            )
        )
    ).first()
    if row is not None:
        await add_events(
            session,
            [
                ApplicationSelected(
                    application_id=row.id,
                    round_id=row.round_id,
                    outcome=Outcome.waitlisted,
                    rank=row.rank,
                    region=row.region,
                )
            ],
        )
    return WAITLISTED
