"""Applicants: registration, personal data and its audit. Functions flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.models import Applicant, AuditEntry
from intake.applicants.pii import FinProtector
from intake.applicants.schemas import ApplicantIn, ApplicantOut, ApplicantUpdate
from shared.auth import Principal
from shared.problems import Conflict, FieldError, NotFound

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


def _columns(applicant: Applicant) -> dict[str, object]:
    return {c.key: getattr(applicant, c.key) for c in Applicant.__table__.columns}
