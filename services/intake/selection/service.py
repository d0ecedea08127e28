"""Selection jobs: requested over HTTP, computed by the runner (see runner.py) into proposed
results, reviewed, then committed (enrolling the selected) or discarded. Request-side functions
flush, never commit; `run_selection` is the runner's and owns its transactions."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.applications.events import add_events, participant_enrolled
from intake.applications.models import Application, ApplicationStatus
from intake.rounds.models import Round, RoundStatus
from intake.selection.models import Outcome, Selection, SelectionResult, SelectionStatus
from intake.selection.ranking import Candidate, Placement, select
from shared.auth import Principal
from shared.db import utcnow
from shared.events import ApplicationSelected, Event
from shared.i18n import add_messages
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
_CHUNK = 10_000  # results written per progress step
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
    selection = Selection(
        round_id=round_.id, status=SelectionStatus.queued, requested_by=principal.id
    )
    session.add(selection)
    await session.flush()
    return selection


async def get_selection(session: AsyncSession, selection_id: uuid.UUID) -> Selection:
    selection = await session.get(Selection, selection_id)
    if selection is None:
        raise NotFound("selection", selection_id)
    return selection


async def inputs_hash(session: AsyncSession, round_id: uuid.UUID) -> str:
    """A digest of everything the selection reads: the round (its version covers quotas and
    share) and every application of the round (its version changes with any change)."""
    applications = sa.text(
        "SELECT encode(sha256(convert_to(coalesce(string_agg(id::text || ':' || version, ','"
        " ORDER BY id), ''), 'UTF8')), 'hex') FROM applications WHERE round_id = :round_id"
    )
    digest = await session.scalar(applications, {"round_id": round_id})
    version = await session.scalar(sa.select(Round.version).where(Round.id == round_id))
    return hashlib.sha256(f"{round_id}:{version}:{digest}".encode()).hexdigest()


async def read_candidates(session: AsyncSession, round_: Round) -> list[Candidate]:
    """The round's eligible applications as plain rows (Core, not ORM objects)."""
    priority = sa.cast(sa.literal(list(round_.priority_categories), ARRAY(sa.Text)), ARRAY(sa.Text))
    rows = await session.execute(
        sa.select(
            A.c.id, A.c.region, A.c.score, A.c.submitted_at, A.c.categories.bool_op("&&")(priority)
        ).where(A.c.round_id == round_.id, A.c.status == ApplicationStatus.eligible)
    )
    return [
        Candidate(
            application_id=row[0],
            region=row[1],
            score=row[2],
            submitted_at=row[3],
            priority=bool(row[4]),
        )
        for row in rows
    ]


async def run_selection(
    sessionmaker: async_sessionmaker[AsyncSession], selection_id: uuid.UUID
) -> None:
    """Computes a claimed (running) selection into proposed results, or marks it failed."""
    try:
        # One snapshot for the rows and their digest, so the digest describes what was ranked.
        async with sessionmaker() as session, session.begin():
            await session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
            round_id = await session.scalar(
                sa.select(Selection.round_id).where(Selection.id == selection_id)
            )
            round_ = await session.get(Round, round_id)
            assert round_ is not None
            candidates = await read_candidates(session, round_)
            digest = await inputs_hash(session, round_.id)
            quotas, share = dict(round_.quotas), round_.reserved_share
        await _progress(sessionmaker, selection_id, processed=0, total=len(candidates))
        placements = await asyncio.to_thread(select, candidates, quotas, share)
        async with sessionmaker() as session, session.begin():
            await _write_results(sessionmaker, session, selection_id, placements)
            await session.execute(
                S.update()
                .where(S.c.id == selection_id, S.c.status == SelectionStatus.running)
                .values(
                    status=SelectionStatus.proposed,
                    processed=len(placements),
                    inputs_hash=digest,
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


async def _write_results(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    selection_id: uuid.UUID,
    placements: Sequence[Placement],
) -> None:
    """COPY in chunks, reporting progress (from another transaction) after each."""
    await session.execute(R.delete().where(R.c.selection_id == selection_id))
    connection = await (await session.connection()).get_raw_connection()
    driver: Any = connection.driver_connection
    columns = [
        "selection_id",
        "application_id",
        "region",
        "rank",
        "outcome",
        "reserved",
        "score",
        "waitlist_position",
    ]
    for start in range(0, len(placements), _CHUNK):
        chunk = placements[start : start + _CHUNK]
        await driver.copy_records_to_table(
            "selection_results",
            columns=columns,
            records=[
                (
                    selection_id,
                    p.application_id,
                    p.region,
                    p.rank,
                    Outcome.selected.value if p.selected else Outcome.waitlisted.value,
                    p.reserved,
                    p.score,
                    p.waitlist_position,
                )
                for p in chunk
            ],
        )
        await _progress(sessionmaker, selection_id, processed=start + len(chunk))


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


async def commit(session: AsyncSession, selection: Selection) -> Selection:
    """Enrolls the selected and waitlists the rest: one intake.participant.enrolled per enrolled
    participant, one intake.application.selected per placed application; the round is selected.
    Refused when the round's applications changed since the run."""
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
    events: list[Event] = []
    for outcome, status in (
        (Outcome.selected, ApplicationStatus.enrolled),
        (Outcome.waitlisted, ApplicationStatus.waitlisted),
    ):
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
    await add_events(session, events)
    round_.status = RoundStatus.selected
    selection.status = SelectionStatus.committed
    selection.committed_at = now
    await session.flush()
    return selection


async def lock_round(session: AsyncSession, round_id: uuid.UUID) -> None:
    """Shares the round row's lock with other changes to its applications, so that a commit
    (which takes it exclusively) sees them all or none."""
    await session.execute(
        sa.select(Round.id).where(Round.id == round_id).with_for_update(read=True)
    )


async def fill_freed_place(
    session: AsyncSession, round_id: uuid.UUID, application_id: uuid.UUID
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
    waiting = (
        await session.execute(
            sa.select(R.c.application_id, R.c.rank, A.c.categories)
            .join(A, A.c.id == R.c.application_id)
            .where(
                R.c.selection_id == selection.id,
                R.c.region == freed.region,
                R.c.outcome == Outcome.waitlisted,
                A.c.status == ApplicationStatus.waitlisted,
            )
            .order_by(R.c.waitlist_position)
        )
    ).all()
    if not waiting:
        return None
    priority = set(round_.priority_categories)
    chosen = waiting[0]
    if freed.reserved:
        chosen = next((w for w in waiting if priority & set(w.categories)), chosen)
    reserved = freed.reserved and bool(priority & set(chosen.categories))

    application = await session.get(Application, chosen.application_id, with_for_update=True)
    assert application is not None
    now = utcnow()
    application.status = ApplicationStatus.enrolled
    application.enrolled_at = now
    await session.execute(
        R.update()
        .where(R.c.selection_id == selection.id, R.c.application_id == application.id)
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
