"""Partner organisations, their memoranda and API keys. Functions flush, never commit.

A partner (a principal with a partner_id) sees its own record, memoranda and keys only; another
partner's answer 404 exactly like missing ones. Every key change is sent to the other services as
an event, so that they authenticate partners from their own copy (shared.partner_keys); so is
every memorandum recorded, so that they hold partners to its areas and period.

Each key change also sends a snapshot of every key in force (`intake.partner_keys.snapshot`), and
so does `publish_keys_snapshot` periodically: the services reconcile their copies with the last
one, so that a revocation they missed still takes effect. Key changes take one lock in turn, so
that each snapshot holds every change made before its `taken_at` and none made after.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.partners import messages  # noqa: F401  (registers the message keys)
from intake.partners.models import ApiKey, KeyStatus, Memorandum, Partner
from intake.partners.repository import ApiKeyRepository, MemorandumRepository, PartnerRepository
from intake.partners.schemas import (
    ApiKeyIn,
    ApiKeyIssued,
    ApiKeyOut,
    ApiKeyRotated,
    MemorandumIn,
    PartnerIn,
    PartnerUpdate,
    RotateIn,
)
from shared.auth import ApiKeyRecord, Principal, generate_api_key
from shared.db import add_in_savepoint, utcnow
from shared.events import (
    KeyInForce,
    MemorandumRecorded,
    PartnerKeyIssued,
    PartnerKeyRevoked,
    PartnerKeysSnapshot,
)
from shared.messaging.outbox import add_event
from shared.problems import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidState,
    ValidationProblem,
)
from shared.repository import partner_of

log = logging.getLogger(__name__)

# --- Partners -----------------------------------------------------------------------------------


async def create_partner(session: AsyncSession, data: PartnerIn) -> Partner:
    partner = Partner(**data.model_dump())
    session.add(partner)
    await session.flush()
    return partner


async def own_partner(session: AsyncSession, principal: Principal) -> Partner:
    own = partner_of(principal)
    if own is None:
        raise Forbidden("detail.partner-principal-only")
    return await PartnerRepository(session).get(own, principal)


async def update_partner(
    session: AsyncSession, partner: Partner, changes: PartnerUpdate
) -> Partner:
    values = changes.model_dump(exclude_unset=True)
    for required in ("name", "type"):
        if required in values and values[required] is None:
            raise ValidationProblem(
                [FieldError(field=f"body.{required}", code="missing", message="pydantic.missing")]
            )
    for field, value in values.items():
        setattr(partner, field, value)
    await session.flush()
    return partner


# --- Memoranda ----------------------------------------------------------------------------------


async def add_memorandum(session: AsyncSession, partner: Partner, data: MemorandumIn) -> Memorandum:
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise ValidationProblem(
            [FieldError(field="body.valid_to", code="value_error", message="field.period-reversed")]
        )
    memorandum = Memorandum(
        partner_id=partner.id,
        number=data.number,
        signed_on=data.signed_on,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        areas=sorted({area.value for area in data.areas}),
    )
    try:
        # In a savepoint: a number the partner already used is a conflict, not a failed request.
        await add_in_savepoint(session, memorandum)
    except IntegrityError as exc:
        raise Conflict(
            "detail.memorandum-number-taken",
            errors=[
                FieldError(
                    field="body.number", code="duplicate", message="field.memorandum-number-taken"
                )
            ],
        ) from exc
    await add_event(session, memorandum_event(memorandum))
    return memorandum


def memorandum_event(memorandum: Memorandum) -> MemorandumRecorded:
    """The memorandum as the other services keep it (plans holds partners' trainings to it).
    Sent again, whole, whenever a memorandum is recorded or changed."""
    return MemorandumRecorded(
        memorandum_id=memorandum.id,
        partner_id=memorandum.partner_id,
        areas=list(memorandum.areas),
        valid_from=memorandum.valid_from,
        valid_to=memorandum.valid_to,
    )


def memoranda_query(
    session: AsyncSession, partner: Partner, principal: Principal, in_force_on: date | None
) -> Select[Memorandum]:
    statement = MemorandumRepository(session).query(principal, Memorandum.partner_id == partner.id)
    if in_force_on is not None:
        statement = statement.where(
            Memorandum.valid_from <= in_force_on,
            or_(Memorandum.valid_to.is_(None), Memorandum.valid_to >= in_force_on),
        )
    return statement


# --- API keys -----------------------------------------------------------------------------------


async def issue_api_key(session: AsyncSession, partner: Partner, data: ApiKeyIn) -> ApiKeyIssued:
    _refuse_past_expiry(data.expires_at, "body.expires_at")
    await _lock_keys(session)
    api_key, key = await _new_key(
        session,
        partner_id=partner.id,
        scopes=[scope.value for scope in data.scopes],
        expires_at=data.expires_at,
        label=data.label,
    )
    await add_event(session, await keys_snapshot(session))
    return ApiKeyIssued(**ApiKeyOut.model_validate(api_key).model_dump(), key=key)


async def partner_key(
    session: AsyncSession, partner_id: uuid.UUID, key_id: uuid.UUID, principal: Principal
) -> ApiKey:
    """One of the partner's keys, the partner first (each answers 404 when not the caller's)."""
    partner = await PartnerRepository(session).get(partner_id, principal)
    return await ApiKeyRepository(session).of_partner(partner, key_id, principal)


async def rotate_api_key(session: AsyncSession, old: ApiKey, data: RotateIn) -> ApiKeyRotated:
    """A new key with the old one's scopes; the old one is accepted for a grace period only."""
    if old.status != KeyStatus.active:
        raise InvalidState(old.status)
    _refuse_past_expiry(data.expires_at, "body.expires_at")
    await _lock_keys(session)
    now = utcnow()
    expires_at = data.expires_at
    if expires_at is None and old.expires_at is not None:
        # The same lifetime the old key was given, counted from now.
        expires_at = now + (old.expires_at - old.created_at)
    new, key = await _new_key(
        session,
        partner_id=old.partner_id,
        scopes=list(old.scopes),
        expires_at=expires_at,
        label=old.label,
    )
    grace_end = now + timedelta(seconds=data.grace_seconds)
    old.expires_at = grace_end if old.expires_at is None else min(old.expires_at, grace_end)
    old.replaced_by_id = new.id
    await session.flush()
    # The same event as at issue, with the new expiry: the other services' copy is an upsert.
    await add_event(session, _issued_event(old))
    await add_event(session, await keys_snapshot(session))
    return ApiKeyRotated(
        **ApiKeyOut.model_validate(new).model_dump(),
        key=key,
        previous=ApiKeyOut.model_validate(old),
    )


async def revoke_api_key(session: AsyncSession, api_key: ApiKey) -> ApiKey:
    """Refused at once, here and (as soon as the event arrives) in every other service."""
    if api_key.revoked_at is not None:
        raise InvalidState(KeyStatus.revoked)
    await _lock_keys(session)
    api_key.revoked_at = utcnow()
    await session.flush()
    await add_event(session, PartnerKeyRevoked(key_id=api_key.id, revoked_at=api_key.revoked_at))
    await add_event(session, await keys_snapshot(session))
    return api_key


# Any fixed number, the same in every intake process: pg_advisory_xact_lock's key.
_KEYS_LOCK = 0x6B657973  # "keys"


async def _lock_keys(session: AsyncSession) -> None:
    """Held until the transaction ends: key changes and snapshots take their turn, so a snapshot
    never misses a change whose events are older than it."""
    await session.execute(select(func.pg_advisory_xact_lock(_KEYS_LOCK)))


async def keys_snapshot(session: AsyncSession) -> PartnerKeysSnapshot:
    """Every key in force now, under the keys lock (which the caller holds)."""
    now = utcnow()
    in_force = await session.scalars(
        select(ApiKey)
        .where(
            ApiKey.revoked_at.is_(None), or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now)
        )
        .order_by(ApiKey.id)
    )
    keys = [KeyInForce(**_key_fields(api_key)) for api_key in in_force]
    # Taken after every event of this transaction: those it lists are older than the snapshot.
    return PartnerKeysSnapshot(taken_at=utcnow(), keys=keys)


async def publish_keys_snapshot(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """One snapshot through the outbox, in its own transaction."""
    async with sessionmaker() as session, session.begin():
        await _lock_keys(session)
        await add_event(session, await keys_snapshot(session))


async def _new_key(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    scopes: list[str],
    expires_at: datetime | None,
    label: str | None,
) -> tuple[ApiKey, str]:
    key, prefix, key_hash = generate_api_key()
    api_key = ApiKey(
        id=uuid.uuid4(),
        partner_id=partner_id,
        label=label,
        prefix=prefix,
        key_hash=key_hash,
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    session.add(api_key)
    await session.flush()
    await add_event(session, _issued_event(api_key))
    return api_key, key


def _issued_event(api_key: ApiKey) -> PartnerKeyIssued:
    return PartnerKeyIssued(**_key_fields(api_key))


def _key_fields(api_key: ApiKey) -> dict[str, Any]:
    """What the other services hold of a key, in its issued event and in snapshots alike."""
    return {
        "key_id": api_key.id,
        "partner_id": api_key.partner_id,
        "prefix": api_key.prefix,
        "key_hash": api_key.key_hash,
        "scopes": list(api_key.scopes),
        "expires_at": api_key.expires_at,
    }


def _refuse_past_expiry(expires_at: datetime | None, field: str) -> None:
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationProblem(
            [FieldError(field=field, code="value_error", message="field.expiry-past")]
        )


_USE_PRECISION = timedelta(minutes=1)  # how often a key's last use is written


class DatabaseApiKeyStore:
    """Intake's `ApiKeyStore`: its own table, the master of every key. shared.auth refuses keys
    that are revoked or past their expiry (which a rotation brings forward)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def find(self, prefix: str) -> ApiKeyRecord | None:
        async with self._sessionmaker() as session:
            api_key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if api_key is None:
            return None
        return ApiKeyRecord(
            key_id=api_key.id,
            partner_id=api_key.partner_id,
            key_hash=api_key.key_hash,
            scopes=frozenset(api_key.scopes),
            expires_at=api_key.expires_at,
            revoked_at=api_key.revoked_at,
        )

    async def record_use(self, key_id: uuid.UUID) -> None:
        """Stamp the key's last use, at most once a minute: within the minute the UPDATE matches
        no row and writes nothing. Its own short transaction, so it holds even when the request
        fails; the key's version (its ETag) does not change."""
        now = utcnow()
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(ApiKey)
                .where(
                    ApiKey.id == key_id,
                    or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - _USE_PRECISION),
                )
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
