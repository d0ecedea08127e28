"""Courses: created and changed by admins, read by anyone who reads trainings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from plans.access import ReadsTrainings
from plans.trainings.models import Course
from plans.trainings.schemas import CourseIn, CourseOut, CourseUpdate
from plans.trainings.service import courses as service
from shared.auth import Admin
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.routes import RESPONSE_ID, links

router = APIRouter()


@router.post(
    "/trainings/courses",
    status_code=201,
    response_model=CourseOut,
    summary="Create a course of a direction (admin; Idempotency-Key)",
    responses=problem_responses(401, 403, 409, 422),
    openapi_extra=links(
        "GET /v1/trainings/courses/{course_id}",
        "PATCH /v1/trainings/courses/{course_id}",
        course_id=RESPONSE_ID,
    ),
)
async def create_course(
    body: CourseIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    return await idem.create(
        lambda: service.create_course(session, body),
        read=lambda course_id: service.get_course(session, course_id),
        response_model=CourseOut,
        location="/v1/trainings/courses/{id}",
    )


@router.get(
    "/trainings/courses",
    response_model=Page[CourseOut],
    summary="List courses, optionally of one direction or only active ones",
    responses=problem_responses(401, 403, 422),
)
async def list_courses(
    session: SessionDep,
    principal: ReadsTrainings,
    page: PageParamsDep,
    direction: Annotated[str | None, Query(max_length=64, examples=["beekeeping"])] = None,
    active: bool | None = None,
) -> Page[CourseOut]:
    return await paginate(
        session,
        service.courses_query(direction, active),
        key_columns=(Course.created_at, Course.id),
        params=page,
        to_item=CourseOut.model_validate,
    )


@router.get(
    "/trainings/courses/{course_id}",
    response_model=CourseOut,
    summary="A course",
    responses=problem_responses(401, 403, 404),
    openapi_extra=links(
        "PATCH /v1/trainings/courses/{course_id}",
        status=200,
        if_match=True,
        course_id="$request.path.course_id",
    ),
)
async def get_course(
    course_id: uuid.UUID, session: SessionDep, principal: ReadsTrainings, response: Response
) -> Course:
    course = await service.get_course(session, course_id)
    return read_versioned(course, response)


@router.patch(
    "/trainings/courses/{course_id}",
    response_model=CourseOut,
    summary="Change a course: names, length, threshold, active (admin; If-Match)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_course(
    course_id: uuid.UUID,
    body: CourseUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Course:
    course = await service.get_course(session, course_id)
    return await change_versioned(
        course, if_match, response, lambda row: service.update_course(session, row, body)
    )
