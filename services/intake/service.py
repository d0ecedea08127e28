"""Intake's rules. Functions flush, never commit: the request's session commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.models import ApiKey, Applicant, Application, ApplicationStatus, AuditEntry, Partner
from intake.pii import FinProtector
from intake.schemas import (
    ApiKeyIn,
    ApiKeyIssued,
    ApplicantIn,
    ApplicantOut,
    ApplicantUpdate,
    ApplicationIn,
)
from shared.auth import ApiKeyRecord, Principal, generate_api_key
from shared.db import utcnow
from shared.events import ApplicationSubmitted, ParticipantEnrolled
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, InvalidState, NotFound

_DUPLICATE_FIN = FieldError(field="body.fin", code="duplicate", message="already registered")


async def create_applicant(
    session: AsyncSession, fins: FinProtector, data: ApplicantIn
) -> Applicant:
    fin_hash = fins.hash(data.fin)
    if await session.scalar(select(Applicant.id).where(Applicant.fin_hash == fin_hash)):
        raise Conflict("detail.applicant-exists", errors=[_DUPLICATE_FIN])
    applicant = Applicant(
        fin_hash=fin_hash,
        fin_ciphertext=fins.encrypt(data.fin),
        first_name=data.first_name,
        last_name=data.last_name,
        birth_date=data.birth_date,
        phone=data.phone,
        region=data.region,
        categories=[c.value for c in data.categories],
    )
    session.add(applicant)
    try:
        # In a savepoint: a concurrent twin with the same FIN is a conflict, not a failed request.
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("detail.applicant-exists", errors=[_DUPLICATE_FIN]) from exc
    return applicant


async def get_applicant(session: AsyncSession, applicant_id: uuid.UUID) -> Applicant:
    applicant = await session.get(Applicant, applicant_id)
    if applicant is None:
        raise NotFound("applicant", applicant_id)
    return applicant


async def reveal_applicant(
    session: AsyncSession, fins: FinProtector, applicant: Applicant, principal: Principal
) -> ApplicantOut:
    """The applicant with personal fields; the read is written to the audit log."""
    session.add(
        AuditEntry(
            principal=principal.id,
            action="read",
            resource="applicant",
            resource_id=applicant.id,
            reason="case_file",
        )
    )
    await session.flush()
    return ApplicantOut.model_validate(
        {**_columns(applicant), "fin": fins.decrypt(applicant.fin_ciphertext)}
    )


async def update_applicant(
    session: AsyncSession, applicant: Applicant, changes: ApplicantUpdate, principal: Principal
) -> Applicant:
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(applicant, field, value)
    session.add(
        AuditEntry(
            principal=principal.id,
            action="update",
            resource="applicant",
            resource_id=applicant.id,
            reason=",".join(sorted(changes.model_fields_set)),
        )
    )
    await session.flush()
    return applicant


async def submit_application(
    session: AsyncSession, data: ApplicationIn, principal: Principal
) -> Application:
    applicant = await get_applicant(session, data.applicant_id)
    application = Application(
        applicant_id=applicant.id, partner_id=principal.partner_id, direction=data.direction
    )
    session.add(application)
    await session.flush()
    await add_event(
        session,
        ApplicationSubmitted(
            application_id=application.id,
            applicant_id=applicant.id,
            region=applicant.region,
            categories=applicant.categories,
            direction=application.direction,
            partner_id=application.partner_id,
            submitted_at=application.submitted_at,
        ),
    )
    return application


async def get_application(
    session: AsyncSession, application_id: uuid.UUID, principal: Principal
) -> Application:
    application = await session.get(Application, application_id)
    # A partner sees its own referrals only; another's look exactly like missing ones.
    if application is None or (
        principal.partner_id is not None and application.partner_id != principal.partner_id
    ):
        raise NotFound("application", application_id)
    return application


async def enroll(session: AsyncSession, application: Application) -> Application:
    if application.status != ApplicationStatus.submitted:
        raise InvalidState(application.status)
    applicant = await get_applicant(session, application.applicant_id)
    application.status = ApplicationStatus.enrolled
    application.enrolled_at = utcnow()
    await session.flush()
    await add_event(
        session,
        ParticipantEnrolled(
            participant_id=application.id,
            applicant_id=applicant.id,
            region=applicant.region,
            categories=applicant.categories,
            direction=application.direction,
            partner_id=application.partner_id,
            enrolled_at=application.enrolled_at,
        ),
    )
    return application


def _columns(applicant: Applicant) -> dict[str, object]:
    return {c.key: getattr(applicant, c.key) for c in Applicant.__table__.columns}


async def issue_api_key(
    session: AsyncSession, partner_id: uuid.UUID, data: ApiKeyIn
) -> ApiKeyIssued:
    if await session.get(Partner, partner_id) is None:
        raise NotFound("partner", partner_id)
    key, prefix, key_hash = generate_api_key()
    api_key = ApiKey(
        partner_id=partner_id,
        prefix=prefix,
        key_hash=key_hash,
        scopes=data.scopes,
        expires_at=data.expires_at,
    )
    session.add(api_key)
    await session.flush()
    return ApiKeyIssued.model_validate({**_key_columns(api_key), "key": key})


def _key_columns(api_key: ApiKey) -> dict[str, object]:
    return {c.key: getattr(api_key, c.key) for c in ApiKey.__table__.columns}


class DatabaseApiKeyStore:
    """Partner API keys from intake's own table."""

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
