"""Possible duplicates: two FINs that may be one person (a typo in a FIN, or a second
registration). Candidates share the birth date (an indexed look-up, never a scan of the registry)
and have similar names after Azerbaijani-aware folding."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Select, String, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.models import (
    Applicant,
    ApplicantCategory,
    AuditEntry,
    DuplicateFlag,
    DuplicateStatus,
    Purpose,
)
from intake.applicants.names import folded_full_name
from intake.applications.models import Application
from shared.auth import Principal
from shared.db import utcnow
from shared.events import ApplicantMerged
from shared.messaging.outbox import add_event
from shared.problems import FieldError, InvalidState, NotFound, ValidationProblem

# token_sort_ratio of the folded "last first" names, 0-100. "Memmedova Aygun" against
# "Məmmədova Aygün" is 100; "Mammadova Aygun" (passport spelling) about 87.
NAME_MATCH_THRESHOLD = 85
REASON_SIMILAR_NAME = "similar_name_same_birth_date"


def name_key(last_name: str, first_name: str) -> str:
    """What names are compared by: the folded "last first" (patronymics are often left out)."""
    return folded_full_name(last_name, first_name)


def key_score(a_key: str, b_key: str) -> float:
    return fuzz.token_sort_ratio(a_key, b_key)


def flag_values(applicant_id: uuid.UUID, candidate_id: uuid.UUID, score: float) -> dict[str, Any]:
    """A new open flag's duplicate_flags row."""
    return {
        "id": uuid.uuid4(),
        "applicant_id": applicant_id,
        "candidate_id": candidate_id,
        "score": Decimal(str(round(score, 2))),
        "reason": REASON_SIMILAR_NAME,
        "status": DuplicateStatus.open,
        "created_at": utcnow(),
        "version": 1,
    }


# Of everyone born the same day, only the closest names are scored (by pg_trgm similarity in
# the database, the best first), and only the best-scoring are flagged: a crowd of namesakes
# born on one day (a common name, a date many records share) cannot make one registration read
# and write more with every person registered. A case officer sees the likeliest duplicates.
MAX_CANDIDATES = 100
MAX_NEW_FLAGS = 10


# The people a registration may duplicate, built once (its cache key too): the closest names
# (pg_trgm, computed by PostgreSQL) among those born the same day.
_CANDIDATES = (
    select(Applicant.id, Applicant.last_name, Applicant.first_name)
    .where(
        Applicant.birth_date == bindparam("birth_date"),
        Applicant.id != bindparam("applicant_id"),
        Applicant.merged_into_id.is_(None),
        Applicant.claimed.is_(False),  # partners' claims are reviewed as claims
    )
    .order_by(
        func.similarity(Applicant.name_folded, bindparam("key", type_=String)).desc().nulls_last(),
        Applicant.id,
    )
    .limit(MAX_CANDIDATES)
)


async def flag_duplicates(
    session: AsyncSession,
    applicant: Applicant,
    *,
    new: bool = False,
    threshold: float = NAME_MATCH_THRESHOLD,
) -> None:
    """Flags the registered people born the same day with a similar name, once per pair (a pair
    dismissed before stays dismissed): at most MAX_NEW_FLAGS, the highest scores first. `new`:
    the applicant was registered in this transaction, so no flag names it yet.

    A partner's referral claim is reviewed as a claim, never flagged: for it the same look-ups
    write nothing, so that registering it takes as long as registering a new person."""
    key = name_key(applicant.last_name, applicant.first_name)
    parameters = {"birth_date": applicant.birth_date, "applicant_id": applicant.id, "key": key}
    candidates = (await session.execute(_CANDIDATES, parameters)).all()
    scored = [(c.id, key_score(key, name_key(c.last_name, c.first_name))) for c in candidates]
    matches = sorted(
        ((candidate_id, score) for candidate_id, score in scored if score >= threshold),
        key=lambda match: -match[1],
    )
    if not matches:
        return
    known: set[uuid.UUID] = set()
    if not new:
        ids = [candidate_id for candidate_id, _ in matches]
        pairs = await session.execute(
            select(DuplicateFlag.applicant_id, DuplicateFlag.candidate_id).where(
                or_(
                    (DuplicateFlag.applicant_id == applicant.id)
                    & DuplicateFlag.candidate_id.in_(ids),
                    (DuplicateFlag.candidate_id == applicant.id)
                    & DuplicateFlag.applicant_id.in_(ids),
                )
            )
        )
        known = {a for pair in pairs for a in pair} - {applicant.id}
    flags = [
        flag_values(applicant.id, candidate_id, score)
        for candidate_id, score in matches
        if candidate_id not in known
    ][:MAX_NEW_FLAGS]
    if flags and not applicant.claimed:
        # Rows as parameters, not values: one INSERT for all, compiled once for every request.
        await session.execute(insert(DuplicateFlag).on_conflict_do_nothing(), flags)


async def find_duplicates(
    session: AsyncSession, applicant: Applicant, *, threshold: float = NAME_MATCH_THRESHOLD
) -> list[DuplicateFlag]:
    """`flag_duplicates`, then the applicant's open flags (either side of the pair)."""
    await flag_duplicates(session, applicant, threshold=threshold)
    flags = await session.scalars(
        select(DuplicateFlag)
        .where(
            DuplicateFlag.status == DuplicateStatus.open,
            or_(
                DuplicateFlag.applicant_id == applicant.id,
                DuplicateFlag.candidate_id == applicant.id,
            ),
        )
        .order_by(DuplicateFlag.created_at, DuplicateFlag.id)
    )
    return list(flags)


# Duplicates and referral claims are read by staff routes only (role-checked), whoever the
# staff member works for: unscoped, as ever.
async def get_flag(session: AsyncSession, flag_id: uuid.UUID) -> DuplicateFlag:
    flag = await session.get(DuplicateFlag, flag_id)
    if flag is None:
        raise NotFound("duplicate", flag_id)
    return flag


def flags_query(status: DuplicateStatus, applicant_id: uuid.UUID | None) -> Select[DuplicateFlag]:
    """The flags in a status, on one applicant (either side of the pair) when given."""
    statement = select(DuplicateFlag).where(DuplicateFlag.status == status)
    if applicant_id is not None:
        statement = statement.where(
            (DuplicateFlag.applicant_id == applicant_id)
            | (DuplicateFlag.candidate_id == applicant_id)
        )
    return statement


def _resolve(flag: DuplicateFlag, status: DuplicateStatus, principal: Principal) -> None:
    if flag.status != DuplicateStatus.open:
        raise InvalidState(flag.status)
    flag.status = status
    flag.resolved_by = principal.id
    flag.resolved_at = utcnow()


async def dismiss(
    session: AsyncSession, flag: DuplicateFlag, *, note: str, principal: Principal
) -> DuplicateFlag:
    _resolve(flag, DuplicateStatus.dismissed, principal)
    flag.note = note
    await session.flush()
    return flag


async def merge(
    session: AsyncSession,
    flag: DuplicateFlag,
    *,
    keep_id: uuid.UUID,
    note: str | None,
    principal: Principal,
) -> DuplicateFlag:
    """Keeps one of the pair: the other's applications and missing categories move to it, the
    earlier benefit counts for it, and the other is marked merged into it. Emits
    intake.applicant.merged with the moved application ids."""
    if keep_id not in (flag.applicant_id, flag.candidate_id):
        raise ValidationProblem(
            [
                FieldError(
                    field="body.keep_id",
                    code="value_error",
                    message="detail.duplicate-keep-invalid",
                )
            ]
        )
    if flag.status != DuplicateStatus.open:
        raise InvalidState(flag.status)
    drop_id = flag.candidate_id if keep_id == flag.applicant_id else flag.applicant_id
    keep, drop = await _lock_pair(session, keep_id, drop_id)
    moved = await _absorb(session, keep, drop)

    _resolve(flag, DuplicateStatus.merged, principal)
    assert flag.resolved_at is not None
    flag.kept_id = keep.id
    flag.note = note
    for resource_id, reason in (
        (drop.id, f"merged_into:{keep.id}"),
        (keep.id, f"merged_from:{drop.id}"),
    ):
        session.add(
            AuditEntry(
                principal=principal.id,
                action="merge",
                resource="applicant",
                resource_id=resource_id,
                purpose=Purpose.duplicate_review.value,
                reason=reason,
            )
        )
    await announce_merge(session, keep.id, drop.id, moved, at=flag.resolved_at)
    await session.flush()
    return flag


async def announce_merge(
    session: AsyncSession,
    kept_id: uuid.UUID,
    merged_id: uuid.UUID,
    moved: list[uuid.UUID],
    *,
    at: datetime,
) -> None:
    """Emits intake.applicant.merged. Ids only: the other services learn which applications are
    now one person's, never who."""
    await add_event(
        session,
        ApplicantMerged(
            kept_applicant_id=kept_id,
            merged_applicant_id=merged_id,
            moved_application_ids=sorted(moved),
            merged_at=at,
        ),
    )


async def _lock_pair(
    session: AsyncSession, keep_id: uuid.UUID, drop_id: uuid.UUID
) -> tuple[Applicant, Applicant]:
    """Both rows locked in one order, so that two merges of overlapping pairs cannot
    interleave; either already merged is refused."""
    pair = await session.scalars(
        select(Applicant)
        .where(Applicant.id.in_((keep_id, drop_id)))
        .order_by(Applicant.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    by_id = {a.id: a for a in pair}
    keep, drop = by_id[keep_id], by_id[drop_id]
    for applicant in (keep, drop):
        if applicant.merged_into_id is not None:
            raise InvalidState("merged", extras={"applicant_id": str(applicant.id)})
    return keep, drop


async def _absorb(session: AsyncSession, keep: Applicant, drop: Applicant) -> list[uuid.UUID]:
    """Moves `drop`'s applications and missing categories to `keep`, with the earlier benefit
    and exclusion, and marks `drop` merged into it; returns the moved application ids."""
    moved = list(
        await session.scalars(
            update(Application)
            .where(Application.applicant_id == drop.id)
            .values(applicant_id=keep.id, version=Application.version + 1)
            .returning(Application.id)
            .execution_options(synchronize_session=False)
        )
    )
    await session.execute(
        update(ApplicantCategory)
        .where(
            ApplicantCategory.applicant_id == drop.id,
            ApplicantCategory.category.not_in(keep.categories),
        )
        .values(applicant_id=keep.id)
    )
    keep.categories = sorted(set(keep.categories) | set(drop.categories))
    if drop.benefited_at is not None and (
        keep.benefited_at is None or drop.benefited_at < keep.benefited_at
    ):
        keep.benefited_at = drop.benefited_at
        keep.benefited_application_id = drop.benefited_application_id
    if drop.excluded_at is not None and keep.excluded_at is None:
        keep.excluded_at = drop.excluded_at
        keep.excluded_rule = drop.excluded_rule
        keep.excluded_flag_id = drop.excluded_flag_id
    drop.merged_into_id = keep.id
    return moved
