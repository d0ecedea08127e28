from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from plans.directions import messages as _messages  # noqa: F401  (registers message keys)
from plans.directions import service
from plans.directions.models import Direction
from plans.directions.schemas import DirectionIn, DirectionOut, DirectionUpdate
from shared.auth import Admin, CurrentPrincipal
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, etag_headers, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses

router = APIRouter(prefix="/v1")
TAGS: list[str | Enum] = ["directions"]

CodePath = Annotated[str, Path(max_length=64, examples=["beekeeping"])]


@router.get(
    "/directions",
    response_model=Page[DirectionOut],
    tags=TAGS,
    summary="The self-employment directions, by code (anyone signed in)",
    responses=problem_responses(401, 422),
)
async def list_directions(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones")] = None,
) -> Page[DirectionOut]:
    query = select(Direction)
    if active is not None:
        query = query.where(Direction.active == active)
    return await paginate(
        session,
        query,
        key_columns=(Direction.code,),
        params=page,
        to_item=DirectionOut.model_validate,
    )


@router.get(
    "/directions/{code}",
    response_model=DirectionOut,
    tags=TAGS,
    summary="A direction, with its asset package and cost ceiling",
    responses=problem_responses(401, 404),
)
async def get_direction(
    code: CodePath, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> Direction:
    direction = await service.get_direction(session, code)
    return read_versioned(direction, response)


@router.post(
    "/directions",
    status_code=201,
    response_model=DirectionOut,
    tags=TAGS,
    summary="Add a direction (admin; Idempotency-Key accepted)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_direction(
    body: DirectionIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    async def create() -> Direction:
        return await service.create_direction(session, body)

    async def read(code: str) -> Direction:
        return await service.get_direction(session, code)

    return await idem.respond(
        create,
        read=read,
        reference=lambda out: out.code,
        response_model=DirectionOut,
        headers=lambda out: {**etag_headers(out.version), "Location": f"/v1/directions/{out.code}"},
    )


@router.patch(
    "/directions/{code}",
    response_model=DirectionOut,
    tags=TAGS,
    summary="Change a direction's names, package, ceiling or activity (admin; If-Match)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_direction(
    code: CodePath,
    body: DirectionUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Direction:
    direction = await service.get_direction(session, code)
    return await change_versioned(
        direction, if_match, response, lambda row: service.update_direction(session, row, body)
    )
