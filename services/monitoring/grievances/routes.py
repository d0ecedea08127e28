from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from monitoring.access import LodgesGrievances, ManagesCases, ReadsMonitoring
from monitoring.cases.schemas import AssignIn
from monitoring.grievances import service
from monitoring.grievances.models import Category, Grievance, GrievanceStatus, GrievanceType
from monitoring.grievances.repository import GrievanceRepository
from monitoring.grievances.schemas import GrievanceIn, GrievanceOut, ResolveIn
from monitoring.settings import Settings
from shared.auth import Principal
from shared.db import SessionDep, utcnow
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.routes import RESPONSE_ID, links

router = APIRouter(prefix="/v1/grievances", tags=["grievances"])

_CHANGE = problem_responses(401, 403, 404, 409, 412, 422, 428)


@router.post(
    "",
    status_code=201,
    response_model=GrievanceOut,
    summary="Lodge a grievance, or an appeal against a decision (case officers, partners' keys)",
    description="A case officer lodges for any application monitoring knows; a partner's key "
    "(`monitoring:write`) only for a person it referred (else 404), through channel `partner`. "
    "An appeal names `decision_id` (GET /v1/decisions): a decision about the application, not "
    "reversed, within its appeal_until, else 422 on `body.decision_id`. The deadlines to "
    "acknowledge and resolve come from the settings. Emits `monitoring.grievance.lodged`; the "
    "description stays in monitoring. Takes an Idempotency-Key.",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=links(
        "GET /v1/grievances/{grievance_id}",
        "POST /v1/grievances/{grievance_id}/assign",
        "POST /v1/grievances/{grievance_id}/acknowledge",
        "POST /v1/grievances/{grievance_id}/resolve",
        grievance_id=RESPONSE_ID,
    ),
)
async def lodge(
    body: GrievanceIn,
    session: SessionDep,
    principal: LodgesGrievances,
    settings: Settings,
    idem: IdempotencyDep,
) -> Response:
    return await idem.create(
        lambda: service.lodge(session, body, principal, settings, now=utcnow()),
        read=lambda grievance_id: GrievanceRepository(session).get(grievance_id, principal),
        response_model=GrievanceOut,
        location="/v1/grievances/{id}",
    )


@router.get(
    "",
    response_model=Page[GrievanceOut],
    summary="Grievances and appeals, oldest first (a partner: those of its referrals)",
    responses=problem_responses(401, 403, 422),
)
async def list_grievances(
    session: SessionDep,
    principal: ReadsMonitoring,
    page: PageParamsDep,
    status: GrievanceStatus | None = None,
    type: GrievanceType | None = None,
    category: Category | None = None,
    owner: Annotated[
        Literal["me"] | None, Query(description="`me`: only those assigned to the caller")
    ] = None,
    owner_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    application_id: uuid.UUID | None = None,
    overdue: Annotated[
        bool | None, Query(description="true: past a deadline without its step")
    ] = None,
) -> Page[GrievanceOut]:
    filters = service.GrievanceFilters(
        status=status,
        type=type,
        category=category,
        owner_id=principal.subject if owner == "me" else owner_id,
        application_id=application_id,
        overdue=overdue,
    )
    return await paginate(
        session,
        service.grievances_query(session, principal, filters, utcnow().date()),
        key_columns=(Grievance.lodged_at, Grievance.id),
        params=page,
        to_item=GrievanceOut.model_validate,
    )


@router.get(
    "/{grievance_id}",
    response_model=GrievanceOut,
    summary="A grievance or appeal, with its ETag",
    responses=problem_responses(401, 403, 404),
    openapi_extra=links(
        "POST /v1/grievances/{grievance_id}/assign",
        "POST /v1/grievances/{grievance_id}/acknowledge",
        "POST /v1/grievances/{grievance_id}/resolve",
        status=200,
        if_match=True,
        grievance_id="$request.path.grievance_id",
    ),
)
async def get_grievance(
    grievance_id: uuid.UUID, session: SessionDep, principal: ReadsMonitoring, response: Response
) -> Grievance:
    grievance = await GrievanceRepository(session).get(grievance_id, principal)
    return read_versioned(grievance, response)


async def _load(session: SessionDep, grievance_id: uuid.UUID, principal: Principal) -> Grievance:
    return await GrievanceRepository(session).get(grievance_id, principal)


@router.post(
    "/{grievance_id}/assign",
    response_model=GrievanceOut,
    summary="Give an open grievance an owner: a case officer's id, or the caller (If-Match)",
    responses=_CHANGE,
)
async def assign(
    grievance_id: uuid.UUID,
    body: AssignIn,
    session: SessionDep,
    principal: ManagesCases,
    if_match: IfMatchDep,
    response: Response,
) -> Grievance:
    grievance = await _load(session, grievance_id, principal)
    owner_id = body.owner_id or principal.subject
    return await change_versioned(
        grievance, if_match, response, lambda g: service.assign(session, g, owner_id)
    )


@router.post(
    "/{grievance_id}/acknowledge",
    response_model=GrievanceOut,
    summary="Acknowledge a lodged grievance (If-Match)",
    description="409 unless it is `lodged`. Emits `monitoring.grievance.acknowledged`.",
    responses=_CHANGE,
)
async def acknowledge(
    grievance_id: uuid.UUID,
    session: SessionDep,
    principal: ManagesCases,
    if_match: IfMatchDep,
    response: Response,
) -> Grievance:
    grievance = await _load(session, grievance_id, principal)
    return await change_versioned(
        grievance,
        if_match,
        response,
        lambda g: service.acknowledge(session, g, principal, now=utcnow()),
    )


@router.post(
    "/{grievance_id}/resolve",
    response_model=GrievanceOut,
    summary="Decide a grievance or appeal: upheld, dismissed, resolved or withdrawn (If-Match)",
    description="409 once resolved. Emits `monitoring.grievance.resolved`; for an appeal with "
    "the decision and its owning service, which reverses an upheld one and answers "
    "`<service>.decision.reversed`. The note stays in monitoring.",
    responses=_CHANGE,
)
async def resolve(
    grievance_id: uuid.UUID,
    body: ResolveIn,
    session: SessionDep,
    principal: ManagesCases,
    if_match: IfMatchDep,
    response: Response,
) -> Grievance:
    grievance = await _load(session, grievance_id, principal)
    return await change_versioned(
        grievance,
        if_match,
        response,
        lambda g: service.resolve(session, g, body.outcome, body.note, principal, now=utcnow()),
    )
