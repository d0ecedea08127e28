"""A person's access request: everything held about them, intake's part and the other services'
parts (gathered over HTTP with the caller's token), stored as one export. Functions flush, never
commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from typing import Any

import httpx
from fastapi.encoders import jsonable_encoder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.models import Applicant, ApplicantCategory, AuditEntry
from intake.applicants.pii import FinProtector
from intake.applicants.service import audit, audit_query
from intake.applications.models import Application
from intake.privacy.models import AccessExport, Consent, ExportStatus
from intake.settings import IntakeSettings
from shared.auth import Principal
from shared.db import utcnow
from shared.decisions import decisions_about

log = logging.getLogger(__name__)

OTHER_SERVICES = ("plans", "assets", "monitoring")
# The applicant's columns that are not the person's data but the registry's bookkeeping.
_NOT_SHOWN = {"fin_hash", "fin_ciphertext", "name_folded", "version"}


def _columns(row: Any, leave_out: Collection[str] = ()) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in leave_out
    }


async def intake_part(
    session: AsyncSession, fins: FinProtector, applicant: Applicant
) -> dict[str, list[dict[str, Any]]]:
    """What intake holds about the person, by kind, FIN decrypted."""
    person = _columns(applicant, _NOT_SHOWN)
    person["fin"] = fins.decrypt(applicant.fin_ciphertext, applicant.id)
    applications = list(
        await session.scalars(
            select(Application)
            .where(Application.applicant_id == applicant.id)
            .order_by(Application.submitted_at, Application.id)
        )
    )
    categories = await session.scalars(
        select(ApplicantCategory)
        .where(ApplicantCategory.applicant_id == applicant.id)
        .order_by(ApplicantCategory.category)
    )
    consents = await session.scalars(
        select(Consent)
        .where(Consent.applicant_id == applicant.id)
        .order_by(Consent.recorded_at, Consent.id)
    )
    reads = await session.scalars(audit_query(applicant.id).order_by(AuditEntry.id))
    decisions = await decisions_about(session, [a.id for a in applications])
    return {
        "applicant": [person],
        "categories": [_columns(row, {"applicant_id"}) for row in categories],
        "applications": [_columns(row) for row in applications],
        "consents": [_columns(row) for row in consents],
        # Who read or changed the data; a search's other results are not this person's business.
        "audit": [_columns(row, {"result_ids"}) for row in reads],
        "adverse_decisions": [dict(row._mapping) for row in decisions],
    }


async def fetch_part(
    client: httpx.AsyncClient,
    base_url: str,
    service: str,
    application_ids: list[uuid.UUID],
    authorization: str,
) -> dict[str, Any] | None:
    """A service's part, or None when it does not answer as it should (the export says so)."""
    try:
        response = await client.get(
            f"{base_url.rstrip('/')}/v1/subject-access/{service}",
            params={"application_id": [str(id_) for id_ in application_ids]},
            headers={"Authorization": authorization},
        )
    except httpx.HTTPError as exc:
        log.warning("access request: %s did not answer: %s", service, type(exc).__name__)
        return None
    if response.status_code != 200:
        log.warning("access request: %s answered %d", service, response.status_code)
        return None
    records = response.json().get("records")
    return records if isinstance(records, dict) else None


async def build_export(
    session: AsyncSession,
    fins: FinProtector,
    settings: IntakeSettings,
    applicant: Applicant,
    principal: Principal,
    authorization: str,
) -> AccessExport:
    """The export of everything held about the person, stored and audited. A service that does
    not answer leaves its part missing and the export incomplete, never a failed request."""
    content: dict[str, Any] = {"intake": await intake_part(session, fins, applicant)}
    application_ids = [row["id"] for row in content["intake"]["applications"]]
    missing: list[str] = []
    urls = {
        "plans": settings.plans_url,
        "assets": settings.assets_url,
        "monitoring": settings.monitoring_url,
    }
    async with httpx.AsyncClient(timeout=settings.subject_access_timeout_seconds) as client:
        for service in OTHER_SERVICES:
            if not application_ids:  # nobody else has heard of the person
                content[service] = {}
                continue
            part = await fetch_part(client, urls[service], service, application_ids, authorization)
            content[service] = part
            if part is None:
                missing.append(service)
    export = AccessExport(
        applicant_id=applicant.id,
        requested_by=principal.id,
        requested_at=utcnow(),
        status=ExportStatus.incomplete if missing else ExportStatus.complete,
        missing=missing,
        content=jsonable_encoder(content),
    )
    session.add(export)
    audit(session, principal, "access_export", applicant.id, reason=",".join(missing) or None)
    await session.flush()
    return export
