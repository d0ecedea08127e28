from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from intake.applicants.repository import ApplicantRepository
from intake.applicants.service import audit
from intake.dependencies import FinsDep, ReadsReferralDetails, RecordsConsent
from intake.privacy import access, consents, erasure
from intake.privacy.models import AccessExport
from intake.privacy.pdf import render_export
from intake.privacy.schemas import (
    AccessExportOut,
    ConsentChange,
    ConsentOut,
    ErasureIn,
    ErasureOut,
)
from intake.settings import IntakeSettings
from shared.auth import Admin
from shared.db import SessionDep, utcnow
from shared.etag import IfMatchDep, check_if_match, set_etag
from shared.paging import Page, PageParamsDep
from shared.problems import Conflict, NotFound, Problem, problem_responses

router = APIRouter(prefix="/v1")

PDF = "application/pdf"


@router.get(
    "/applicants/{applicant_id}/consents",
    tags=["privacy"],
    response_model=Page[ConsentOut],
    summary="The person's consent history, newest first (audited); a partner sees it only for "
    "its own referral while sharing stands, and only its own sharing consent",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_consents(
    applicant_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsReferralDetails,
    page: PageParamsDep,
) -> Page[ConsentOut]:
    await ApplicantRepository(session).get(applicant_id, principal)
    return await consents.consents_of(session, applicant_id, principal, page)


@router.post(
    "/applicants/{applicant_id}/consents",
    tags=["privacy"],
    status_code=201,
    response_model=ConsentOut,
    summary="Record consent given or withdrawn (case officers; audited). Withdrawing "
    "partner_sharing hides the person from that partner in every service at once",
    responses=problem_responses(401, 403, 404, 422),
)
async def change_consent(
    applicant_id: uuid.UUID, body: ConsentChange, session: SessionDep, principal: RecordsConsent
) -> ConsentOut:
    # Locked: two changes at once must leave one consent in force.
    applicant = await ApplicantRepository(session).get(applicant_id, principal, lock=True)
    return ConsentOut.model_validate(
        await consents.change_consent(session, applicant, body, principal)
    )


@router.post(
    "/applicants/{applicant_id}/access-requests",
    tags=["privacy"],
    status_code=201,
    response_model=AccessExportOut,
    summary="Answer the person's access request: one export of everything every service holds "
    "about them (admins; audited). A service that does not answer is marked missing",
    responses=problem_responses(401, 403, 404),
)
async def create_access_export(
    applicant_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Admin,
    protector: FinsDep,
    response: Response,
) -> AccessExport:
    applicant = await ApplicantRepository(session).get(applicant_id, principal)
    settings: IntakeSettings = request.app.state.settings
    export = await access.build_export(
        session,
        protector,
        settings,
        applicant,
        principal,
        authorization=request.headers.get("authorization", ""),
    )
    response.headers["Location"] = f"/v1/access-requests/{export.id}"
    return export


@router.get(
    "/access-requests/{export_id}",
    tags=["privacy"],
    response_model=AccessExportOut,
    summary="An access export: JSON, or a readable Azerbaijani PDF with Accept: application/pdf "
    "(admins; each read audited)",
    responses={
        200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(401, 403, 404, 406),
    },
)
async def get_access_export(
    export_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    export = await session.get(AccessExport, export_id)
    if export is None:
        raise NotFound("access-request", export_id)
    wanted = (accept or "application/json").lower()
    audit(session, principal, "export_read", export.applicant_id)
    await session.flush()
    if PDF in wanted:
        return Response(
            render_export(export, utcnow().date()),
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="access-export-{export.id}.pdf"'},
        )
    if not any(kind in wanted for kind in ("application/json", "*/*", "application/*")):
        raise Problem(406, "not-acceptable", detail="detail.export-media-type")
    return Response(
        AccessExportOut.model_validate(export).model_dump_json(), media_type="application/json"
    )


@router.post(
    "/applicants/{applicant_id}/erasure",
    tags=["privacy"],
    response_model=ErasureOut,
    summary="Erase the person's personal fields on a lawful request (admins; If-Match "
    "required; audited). The FIN's keyed hash, benefit and coded facts stay; 409 while an "
    "application is open",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def erase_applicant(
    applicant_id: uuid.UUID,
    body: ErasureIn,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> ErasureOut:
    applicant = await ApplicantRepository(session).get(applicant_id, principal, lock=True)
    check_if_match(if_match, applicant.version)
    if await erasure.has_open_application(session, applicant.id):
        # Selection, enrolment and monitoring still need the person: withdraw or cancel first.
        raise Conflict("detail.erasure-open-application")
    now = utcnow()
    application_ids = await erasure.erase(
        session,
        applicant,
        basis=body.basis,
        by=principal.id,
        now=now,
        reason=f"{body.reference}: {body.note}" if body.note else body.reference,
    )
    set_etag(response, applicant.version)
    return ErasureOut(
        applicant_id=applicant.id,
        application_ids=application_ids,
        basis=body.basis,
        erased_at=now,
    )
