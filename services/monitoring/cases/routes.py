from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Response

from monitoring.access import HandlesFlags, ManagesCases, ReadsMonitoring
from monitoring.cases import service
from monitoring.cases.models import Case, CaseStatus, Flag, FlagRule, FlagStatus, Outcome
from monitoring.cases.repository import CaseRepository, FlagRepository
from monitoring.cases.schemas import (
    AssignIn,
    CaseDetailOut,
    CaseOut,
    CloseIn,
    ExpectationOut,
    FlagOut,
    FlagRuleIn,
    FlagRuleOut,
    OverdueCheckIn,
    OverdueCheckOut,
    ResolveIn,
)
from shared.auth import Admin
from shared.db import SessionDep, utcnow
from shared.etag import IfMatchDep, change_versioned, read_versioned, set_etag
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.regions import RegionFilter

router = APIRouter(prefix="/v1")

RuleCode = Annotated[str, Path(max_length=64, examples=["asset_lost"])]


@router.get(
    "/cases",
    tags=["cases"],
    response_model=Page[CaseOut],
    summary="Cases under follow-up or closed, oldest first",
    responses=problem_responses(401, 403, 422),
)
async def list_cases(
    session: SessionDep,
    principal: ReadsMonitoring,
    page: PageParamsDep,
    status: CaseStatus | None = None,
    outcome: Outcome | None = None,
    region: RegionFilter = None,
    direction: Annotated[str | None, Query(max_length=64, examples=["beekeeping"])] = None,
) -> Page[CaseOut]:
    filters = service.CaseFilters(status, outcome, region, direction)
    return await paginate(
        session,
        service.cases_query(session, principal, filters),
        key_columns=(Case.opened_at, Case.participant_id),
        params=page,
        to_item=CaseOut.model_validate,
    )


async def _detail(session: SessionDep, case: Case) -> CaseDetailOut:
    return CaseDetailOut.model_validate(
        {
            **CaseOut.model_validate(case).model_dump(),
            "expected": [
                ExpectationOut.model_validate(row)
                for row in await service.expectations(session, case.participant_id)
            ],
            "open_flags": [
                FlagOut.model_validate(flag)
                for flag in await service.open_flags(session, case.participant_id)
            ],
        }
    )


@router.get(
    "/cases/{participant_id}",
    tags=["cases"],
    response_model=CaseDetailOut,
    summary="A participant's case, with what the plan expects and the open flags",
    responses=problem_responses(401, 403, 404),
)
async def get_case(
    participant_id: uuid.UUID, session: SessionDep, principal: ReadsMonitoring, response: Response
) -> CaseDetailOut:
    case = await CaseRepository(session).get(participant_id, principal)
    set_etag(response, case.version)
    return await _detail(session, case)


@router.post(
    "/cases/{participant_id}/close",
    tags=["cases"],
    response_model=CaseDetailOut,
    summary="Close a case as graduated, failed or dropped out, with a coded reason (If-Match)",
    description="Each outcome takes its own reasons (graduated: operating_at_12_months, "
    "operating_sustainably; failed: not_operating_at_12_months, business_closed, assets_lost, "
    "excluded_from_programme; dropped_out: withdrew, moved_away, deceased, unreachable). "
    "A case closes once: closing it again is 409. Emits `monitoring.case.closed`.",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def close_case(
    participant_id: uuid.UUID,
    body: CloseIn,
    session: SessionDep,
    principal: ManagesCases,
    if_match: IfMatchDep,
    response: Response,
) -> CaseDetailOut:
    case = await CaseRepository(session).get(participant_id, principal)
    await change_versioned(
        case, if_match, response, lambda c: service.close_by_officer(session, c, body, principal)
    )
    return await _detail(session, case)


@router.get(
    "/flags",
    tags=["flags"],
    response_model=Page[FlagOut],
    summary="Flags raised by the rules, oldest first",
    responses=problem_responses(401, 403, 422),
)
async def list_flags(
    session: SessionDep,
    principal: ReadsMonitoring,
    page: PageParamsDep,
    status: FlagStatus | None = None,
    rule: Annotated[str | None, Query(max_length=64, examples=["asset_lost"])] = None,
    region: RegionFilter = None,
    owner: Annotated[
        Literal["me"] | None, Query(description="`me`: only flags assigned to the caller")
    ] = None,
    participant_id: uuid.UUID | None = None,
) -> Page[FlagOut]:
    filters = service.FlagFilters(
        status=status,
        rule=rule,
        region=region,
        owner_id=principal.subject if owner == "me" else None,
        participant_id=participant_id,
    )
    return await paginate(
        session,
        service.flags_query(session, principal, filters),
        key_columns=(Flag.raised_at, Flag.id),
        params=page,
        to_item=FlagOut.model_validate,
    )


@router.get(
    "/flags/{flag_id:uuid}",
    tags=["flags"],
    response_model=FlagOut,
    summary="A flag",
    responses=problem_responses(401, 403, 404),
)
async def get_flag(
    flag_id: uuid.UUID, session: SessionDep, principal: ReadsMonitoring, response: Response
) -> Flag:
    flag = await FlagRepository(session).get(flag_id, principal)
    return read_versioned(flag, response)


@router.post(
    "/flags/{flag_id}/assign",
    tags=["flags"],
    response_model=FlagOut,
    summary="Give an open flag an owner: a user id, or the caller (If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def assign_flag(
    flag_id: uuid.UUID,
    body: AssignIn,
    session: SessionDep,
    principal: HandlesFlags,
    if_match: IfMatchDep,
    response: Response,
) -> Flag:
    flag = await FlagRepository(session).get(flag_id, principal)
    owner_id = body.owner_id or principal.subject
    return await change_versioned(
        flag, if_match, response, lambda f: service.assign_flag(session, f, owner_id)
    )


@router.post(
    "/flags/{flag_id}/resolve",
    tags=["flags"],
    response_model=FlagOut,
    summary="Resolve an open flag with a coded resolution and an optional note (If-Match)",
    description="Emits `monitoring.flag.resolved` with the coded resolution; the note stays "
    "in monitoring.",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def resolve_flag(
    flag_id: uuid.UUID,
    body: ResolveIn,
    session: SessionDep,
    principal: HandlesFlags,
    if_match: IfMatchDep,
    response: Response,
) -> Flag:
    flag = await FlagRepository(session).get(flag_id, principal)
    return await change_versioned(
        flag,
        if_match,
        response,
        lambda f: service.resolve_flag(session, f, body.resolution, body.note, principal),
    )


@router.post(
    "/flags/overdue-check",
    tags=["flags"],
    response_model=OverdueCheckOut,
    summary="Flag overdue visits now (admin); the service also does it on a schedule",
    description="Raises `visit_overdue` flags for scheduled visits of open cases that are more "
    "than the rule's days past due; a visit is flagged once. Returns how many were raised.",
    responses=problem_responses(401, 403, 422),
)
async def overdue_check(
    session: SessionDep,
    principal: Admin,
    body: Annotated[OverdueCheckIn | None, Body()] = None,
) -> OverdueCheckOut:
    on = body.on if body is not None and body.on is not None else utcnow().date()
    return OverdueCheckOut(raised=await service.flag_overdue_visits(session, on))


@router.get(
    "/flag-rules",
    tags=["flags"],
    response_model=Page[FlagRuleOut],
    summary="The rules that raise flags, by code",
    responses=problem_responses(401, 403, 422),
)
async def list_rules(
    session: SessionDep, principal: ReadsMonitoring, page: PageParamsDep
) -> Page[FlagRuleOut]:
    return await paginate(
        session,
        service.rules_query(),
        key_columns=(FlagRule.code,),
        params=page,
        to_item=FlagRuleOut.model_validate,
    )


@router.get(
    "/flag-rules/{code}",
    tags=["flags"],
    response_model=FlagRuleOut,
    summary="A flag rule",
    responses=problem_responses(401, 403, 404),
)
async def get_rule(
    code: RuleCode, session: SessionDep, principal: ReadsMonitoring, response: Response
) -> FlagRule:
    rule = await service.get_rule(session, code)
    return read_versioned(rule, response)


@router.put(
    "/flag-rules/{code}",
    tags=["flags"],
    response_model=FlagRuleOut,
    summary="Change a rule's parameters, actions, owner role or whether it is active (admin)",
    description='Parameters by kind: not_operating `{}`; item_status `{"statuses": '
    '["missing", "sold"]}`; income_below_plan `{"ratio": "0.5"}`; visit_overdue '
    '`{"days": 30}`. Takes If-Match.',
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_rule(
    code: RuleCode,
    body: FlagRuleIn,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> FlagRule:
    rule = await service.get_rule(session, code)
    return await change_versioned(
        rule, if_match, response, lambda r: service.update_rule(session, r, body, principal)
    )
