"""Trainings over HTTP: courses (admin), sessions, enrolments with a waitlist, attendance per day,
and a participant's training history. Partners (scope trainings:write) run and see only their own
sessions, and in them only the participants they referred; anyone else's answers 404."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from plans.trainings import service
from plans.trainings.models import (
    AttendanceDay,
    Course,
    Enrolment,
    EnrolmentStatus,
    SessionStatus,
    TrainingSession,
)
from plans.trainings.schemas import (
    AttendanceIn,
    AttendanceOut,
    CourseIn,
    CourseOut,
    CourseUpdate,
    EnrolmentIn,
    EnrolmentOut,
    SessionIn,
    SessionOut,
    SessionUpdate,
    TrainingHistoryItem,
)
from shared.auth import Principal, Role, Scope, require
from shared.db import SessionDep
from shared.etag import (
    IfMatch,
    IfMatchDep,
    check_if_match,
    etag_headers,
    parse_if_match,
    set_etag,
)
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import FieldError, ValidationProblem, problem_responses

router = APIRouter(prefix="/v1", tags=["trainings"])

Reader = Annotated[
    Principal,
    Depends(
        require(
            Role.case_officer,
            Role.plan_reviewer,
            Role.analyst,
            Role.monitor,
            scopes=(Scope.trainings_write, Scope.plans_read),
        )
    ),
]
# Staff organise any session; a partner its own.
Organiser = Annotated[
    Principal, Depends(require(Role.case_officer, scopes=(Scope.trainings_write,)))
]
Admin = Annotated[Principal, Depends(require(Role.admin))]


async def _optional_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='Optional: the ETag from your last read of the day, e.g. "2"; "0" when '
            "nothing was recorded yet.",
        ),
    ] = None,
) -> IfMatch | None:
    if if_match is None or not if_match.strip():
        return None
    try:
        return parse_if_match(if_match)
    except ValueError:
        raise ValidationProblem(
            [
                FieldError(
                    field="header.If-Match", code="value_error", message="field.if-match-invalid"
                )
            ]
        ) from None


OptionalIfMatch = Annotated[IfMatch | None, Depends(_optional_if_match)]


# --- Courses -------------------------------------------------------------------------------------


@router.post(
    "/trainings/courses",
    status_code=201,
    response_model=CourseOut,
    summary="Create a course of a direction (admin; Idempotency-Key)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_course(
    body: CourseIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    async def create() -> Course:
        return await service.create_course(session, body)

    async def read(ref: str) -> Course:
        return await service.get_course(session, uuid.UUID(ref))

    return await idem.respond(
        create,
        read=read,
        response_model=CourseOut,
        headers=lambda out: {
            **etag_headers(out.version),
            "Location": f"/v1/trainings/courses/{out.id}",
        },
    )


@router.get(
    "/trainings/courses",
    response_model=Page[CourseOut],
    summary="List courses, optionally of one direction or only active ones",
    responses=problem_responses(401, 403, 422),
)
async def list_courses(
    session: SessionDep,
    principal: Reader,
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
)
async def get_course(
    course_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response
) -> Course:
    course = await service.get_course(session, course_id)
    set_etag(response, course.version)
    return course


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
    check_if_match(if_match, course.version)
    course = await service.update_course(session, course, body)
    set_etag(response, course.version)
    return course


# --- Sessions ------------------------------------------------------------------------------------


@router.post(
    "/trainings/sessions",
    status_code=201,
    response_model=SessionOut,
    summary="Plan a session of an active course (staff, or a partner for itself; Idempotency-Key)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_session(
    body: SessionIn, session: SessionDep, principal: Organiser, idem: IdempotencyDep
) -> Response:
    async def create() -> TrainingSession:
        return await service.create_session(session, body, principal)

    async def read(ref: str) -> TrainingSession:
        return await service.get_session(session, uuid.UUID(ref), principal)

    return await idem.respond(
        create,
        read=read,
        response_model=SessionOut,
        headers=lambda out: {
            **etag_headers(out.version),
            "Location": f"/v1/trainings/sessions/{out.id}",
        },
    )


def _run_by(value: str | None) -> tuple[uuid.UUID | None, bool]:
    if value is None:
        return None, False
    if value == "ministry":
        return None, True
    try:
        return uuid.UUID(value), False
    except ValueError:
        raise ValidationProblem(
            [FieldError(field="query.run_by", code="uuid_parsing", message="field.run-by-invalid")]
        ) from None


@router.get(
    "/trainings/sessions",
    response_model=Page[SessionOut],
    summary="List sessions by start date, with filters (a partner sees its own only)",
    responses=problem_responses(401, 403, 422),
)
async def list_sessions(
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    direction: Annotated[str | None, Query(max_length=64, examples=["beekeeping"])] = None,
    status: SessionStatus | None = None,
    course_id: uuid.UUID | None = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="Sessions still running on or after")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="Sessions starting on or before")
    ] = None,
    run_by: Annotated[
        str | None,
        Query(description='A partner\'s id, or "ministry"', examples=["ministry"]),
    ] = None,
) -> Page[SessionOut]:
    partner_id, ministry = _run_by(run_by)
    return await paginate(
        session,
        service.sessions_query(
            principal,
            direction=direction,
            status=status,
            course_id=course_id,
            date_from=date_from,
            date_to=date_to,
            run_by=partner_id,
            run_by_ministry=ministry,
        ),
        key_columns=(TrainingSession.starts_on, TrainingSession.id),
        params=page,
        to_item=SessionOut.model_validate,
    )


@router.get(
    "/trainings/sessions/{session_id}",
    response_model=SessionOut,
    summary="A session",
    responses=problem_responses(401, 403, 404),
)
async def get_session(
    session_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response
) -> TrainingSession:
    training = await service.get_session(session, session_id, principal)
    set_etag(response, training.version)
    return training


@router.patch(
    "/trainings/sessions/{session_id}",
    response_model=SessionOut,
    summary="Change a session: place, trainer, capacity; dates while planned (If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_session(
    session_id: uuid.UUID,
    body: SessionUpdate,
    session: SessionDep,
    principal: Organiser,
    if_match: IfMatchDep,
    response: Response,
) -> TrainingSession:
    training = await service.get_session(session, session_id, principal, lock=True)
    check_if_match(if_match, training.version)
    training = await service.update_session(session, training, body, principal)
    set_etag(response, training.version)
    return training


async def _transition(
    action: str,
    session_id: uuid.UUID,
    session: SessionDep,
    principal: Principal,
    if_match: IfMatch,
    response: Response,
) -> TrainingSession:
    training = await service.get_session(session, session_id, principal, lock=True)
    check_if_match(if_match, training.version)
    training = await service.transition(session, training, action)
    set_etag(response, training.version)
    return training


@router.post(
    "/trainings/sessions/{session_id}/start",
    response_model=SessionOut,
    summary="Start a planned session (If-Match); the first attendance also starts it",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def start_session(
    session_id: uuid.UUID,
    session: SessionDep,
    principal: Organiser,
    if_match: IfMatchDep,
    response: Response,
) -> TrainingSession:
    return await _transition("start", session_id, session, principal, if_match, response)


@router.post(
    "/trainings/sessions/{session_id}/complete",
    response_model=SessionOut,
    summary="Complete a running session; who is still enrolled did not complete (If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def complete_session(
    session_id: uuid.UUID,
    session: SessionDep,
    principal: Organiser,
    if_match: IfMatchDep,
    response: Response,
) -> TrainingSession:
    return await _transition("complete", session_id, session, principal, if_match, response)


@router.post(
    "/trainings/sessions/{session_id}/cancel",
    response_model=SessionOut,
    summary="Cancel a planned or running session and every place in it (If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def cancel_session(
    session_id: uuid.UUID,
    session: SessionDep,
    principal: Organiser,
    if_match: IfMatchDep,
    response: Response,
) -> TrainingSession:
    return await _transition("cancel", session_id, session, principal, if_match, response)


# --- Enrolments ----------------------------------------------------------------------------------


@router.post(
    "/trainings/sessions/{session_id}/enrolments",
    status_code=201,
    response_model=EnrolmentOut,
    summary="Enrol a participant: a place if one is free, else the waitlist (Idempotency-Key)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def enrol(
    session_id: uuid.UUID,
    body: EnrolmentIn,
    session: SessionDep,
    principal: Organiser,
    idem: IdempotencyDep,
) -> Response:
    async def create() -> Enrolment:
        training = await service.get_session(session, session_id, principal, lock=True)
        return await service.enrol(session, training, body.participant_id, principal)

    async def read(ref: str) -> Enrolment:
        training = await service.get_session(session, session_id, principal)
        return await service.get_enrolment(session, training, uuid.UUID(ref), principal)

    return await idem.respond(
        create,
        read=read,
        reference=lambda out: out.participant_id,
        response_model=EnrolmentOut,
        headers=lambda out: {
            **etag_headers(out.version),
            "Location": f"/v1/trainings/sessions/{session_id}/enrolments/{out.participant_id}",
        },
    )


@router.get(
    "/trainings/sessions/{session_id}/enrolments",
    response_model=Page[EnrolmentOut],
    summary="A session's enrolments, optionally in one status (a partner sees its own)",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_enrolments(
    session_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    status: EnrolmentStatus | None = None,
) -> Page[EnrolmentOut]:
    training = await service.get_session(session, session_id, principal)
    return await paginate(
        session,
        service.enrolments_query(training, principal, status),
        key_columns=(Enrolment.created_at, Enrolment.id),
        params=page,
        to_item=EnrolmentOut.model_validate,
    )


@router.get(
    "/trainings/sessions/{session_id}/enrolments/{participant_id}",
    response_model=EnrolmentOut,
    summary="A participant's enrolment in a session",
    responses=problem_responses(401, 403, 404),
)
async def get_enrolment(
    session_id: uuid.UUID,
    participant_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> Enrolment:
    training = await service.get_session(session, session_id, principal)
    enrolment = await service.get_enrolment(session, training, participant_id, principal)
    set_etag(response, enrolment.version)
    return enrolment


@router.post(
    "/trainings/sessions/{session_id}/enrolments/{participant_id}/cancel",
    response_model=EnrolmentOut,
    summary="Cancel a place or a waitlist spot; the next in line moves up (If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def cancel_enrolment(
    session_id: uuid.UUID,
    participant_id: uuid.UUID,
    session: SessionDep,
    principal: Organiser,
    if_match: IfMatchDep,
    response: Response,
) -> Enrolment:
    training = await service.get_session(session, session_id, principal, lock=True)
    enrolment = await service.get_enrolment(session, training, participant_id, principal)
    check_if_match(if_match, enrolment.version)
    enrolment = await service.cancel_enrolment(session, training, enrolment)
    set_etag(response, enrolment.version)
    return enrolment


# --- Attendance ----------------------------------------------------------------------------------


def _attendance_out(
    training: TrainingSession, day: date, record: AttendanceDay | None
) -> AttendanceOut:
    return AttendanceOut(
        session_id=training.id,
        day=day,
        participant_ids=list(record.present) if record is not None else [],
        version=record.version if record is not None else 0,
    )


@router.put(
    "/trainings/sessions/{session_id}/attendance/{day}",
    response_model=AttendanceOut,
    summary="Record who was present on a training day; completes those at the threshold",
    description="Replaces the day's list (idempotent). Only enrolled participants and the "
    "session's training days; If-Match is optional. A participant whose attended days reach "
    "the course's completion threshold is completed, and plans.training.completed is sent once.",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def put_attendance(
    session_id: uuid.UUID,
    day: date,
    body: AttendanceIn,
    session: SessionDep,
    principal: Organiser,
    if_match: OptionalIfMatch,
    response: Response,
) -> AttendanceOut:
    training = await service.get_session(session, session_id, principal, lock=True)
    record = await service.record_attendance(
        session, training, day, body.participant_ids, principal, if_match
    )
    out = await _visible_attendance(session, training, day, record, principal)
    set_etag(response, out.version)
    return out


async def _visible_attendance(
    session: SessionDep,
    training: TrainingSession,
    day: date,
    record: AttendanceDay | None,
    principal: Principal,
) -> AttendanceOut:
    out = _attendance_out(training, day, record)
    if principal.partner_id is not None and out.participant_ids:
        own = await service.partners_participants(
            session, out.participant_ids, principal.partner_id
        )
        out.participant_ids = [p for p in out.participant_ids if p in own]
    return out


@router.get(
    "/trainings/sessions/{session_id}/attendance/{day}",
    response_model=AttendanceOut,
    summary="Who was present on a training day (version 0: nothing recorded yet)",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_attendance(
    session_id: uuid.UUID,
    day: date,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> AttendanceOut:
    training = await service.get_session(session, session_id, principal)
    record = await service.get_attendance(session, training, day)
    out = await _visible_attendance(session, training, day, record, principal)
    set_etag(response, out.version)
    return out


# --- History -------------------------------------------------------------------------------------


@router.get(
    "/participants/{participant_id}/trainings",
    response_model=Page[TrainingHistoryItem],
    summary="A participant's trainings: course, session, status and attendance rate",
    responses=problem_responses(401, 403, 404, 422),
)
async def participant_trainings(
    participant_id: uuid.UUID, session: SessionDep, principal: Reader, page: PageParamsDep
) -> Page[TrainingHistoryItem]:
    return await paginate(
        session,
        await service.history_query(session, participant_id, principal),
        key_columns=(Enrolment.created_at, Enrolment.id),
        params=page,
        to_item=TrainingHistoryItem.model_validate,
    )
