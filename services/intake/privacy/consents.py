"""Consent: recorded at registration, changed on the person's word, announced to every service.
Functions flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.models import Applicant
from intake.applicants.service import audit
from intake.applications.models import Application
from intake.partners.models import Partner
from intake.privacy.models import Consent, ConsentHow
from intake.privacy.schemas import ConsentChange, ConsentOut
from shared.auth import Principal
from shared.consent import apply_sharing
from shared.db import utcnow
from shared.events import ConsentChanged
from shared.messaging.outbox import add_event
from shared.paging import Page, PageParams, paginate
from shared.problems import FieldError, ValidationProblem
from shared.repository import partner_of


async def consents_of(
    session: AsyncSession,
    applicant_id: uuid.UUID,
    principal: Principal,
    params: PageParams,
) -> Page[ConsentOut]:
    """A page of the person's consent history, newest first; a partner sees processing and its
    own sharing consent only. The read is audited."""
    statement = select(Consent).where(Consent.applicant_id == applicant_id)
    partner_id = partner_of(principal)
    if partner_id is not None:
        statement = statement.where(
            (Consent.partner_id.is_(None)) | (Consent.partner_id == partner_id)
        )
    page = await paginate(
        session,
        statement,
        key_columns=(Consent.recorded_at, Consent.id),
        params=params,
        to_item=ConsentOut.model_validate,
        descending=True,
    )
    audit(session, principal, "consents_read", applicant_id)
    await session.flush()
    return page


async def change_consent(
    session: AsyncSession, applicant: Applicant, change: ConsentChange, principal: Principal
) -> Consent:
    """Records the person's consent given or withdrawn, replaces the one in force, applies it to
    intake's own rows and announces it (every service applies it at once)."""
    if change.partner_id is not None and await session.get(Partner, change.partner_id) is None:
        raise ValidationProblem(
            [
                FieldError(
                    field="body.partner_id", code="partner_unknown", message="field.partner-unknown"
                )
            ]
        )
    now = utcnow()
    await session.execute(
        update(Consent)
        .where(
            Consent.applicant_id == applicant.id,
            Consent.purpose == change.purpose,
            Consent.partner_id.is_(None)
            if change.partner_id is None
            else Consent.partner_id == change.partner_id,
            Consent.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )
    consent = Consent(
        applicant_id=applicant.id,
        purpose=change.purpose,
        partner_id=change.partner_id,
        granted=change.granted,
        how=ConsentHow(change.how),
        text_version=change.text_version,
        recorded_by=principal.id,
        recorded_at=now,
    )
    session.add(consent)
    applications = select(Application.id).where(Application.applicant_id == applicant.id)
    if change.partner_id is not None:
        applications = applications.where(Application.partner_id == change.partner_id)
    application_ids = list(await session.scalars(applications.order_by(Application.id)))
    if change.partner_id is not None:
        await apply_sharing(
            session,
            partner_id=change.partner_id,
            application_ids=application_ids,
            granted=change.granted,
            at=now,
        )
    audit(
        session,
        principal,
        "consent_change",
        applicant.id,
        reason=f"{change.purpose.value}:{'granted' if change.granted else 'withdrawn'}",
    )
    await add_event(
        session,
        ConsentChanged(
            applicant_id=applicant.id,
            application_ids=application_ids,
            purpose=change.purpose.value,
            partner_id=change.partner_id,
            granted=change.granted,
            text_version=change.text_version,
            changed_at=now,
        ),
    )
    await session.flush()
    return consent
