"""Trainings' rules. Functions flush, never commit.

Places: every change to a session's places (an enrolment, a cancellation, a new capacity, an
attendance day) first locks the session's row (SELECT ... FOR UPDATE), so concurrent requests on
one session take their turns: the count of places taken is never stale, and a session is never
over its capacity. Whenever a place frees up, the first on the waitlist takes it.

Completion is evaluated on each attendance update: once a participant's attended days reach the
course's threshold (attended / training days >= threshold), the enrolment is completed, for good,
and plans.training.completed is sent once.

Partners see only the sessions they run, and in them only the participants they referred. A
session run by a partner must lie, start to end, within one of the partner's memoranda that covers
trainings (plans' copy of intake's memoranda, kept by intake.memorandum.recorded).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Select, any_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from plans.participants.models import Participant, ParticipantStatus
from plans.trainings.models import (
    ATTENDING,
    PLACE_HOLDING,
    AttendanceDay,
    Course,
    Enrolment,
    EnrolmentStatus,
    PartnerMemorandum,
    SessionStatus,
    TrainingSession,
)
from plans.trainings.schemas import (
    CourseIn,
    CourseUpdate,
    SessionIn,
    SessionUpdate,
    check_days,
)
from shared.auth import Principal
from shared.etag import IfMatch, check_if_match
from shared.events import MemorandumRecorded, TrainingCompleted
from shared.i18n import add_messages
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, InvalidState, NotFound, ValidationProblem

add_messages(
    {
        "detail.already-enrolled": {
            "az": "İştirakçı bu sessiyaya artıq yazılıb",
            "en": "The participant is already enrolled in this session",
            "ru": "Участник уже записан на эту сессию",
        },
        "detail.capacity-below-taken": {
            "az": "Tutum artıq tutulmuş yerlərin sayından az ola bilməz ({taken})",
            "en": "The capacity cannot be below the places already taken ({taken})",
            "ru": "Вместимость не может быть меньше числа занятых мест ({taken})",
        },
        "field.course-unknown": {
            "az": "Belə kurs yoxdur",
            "en": "No such course",
            "ru": "Такого курса нет",
        },
        "field.course-inactive": {
            "az": "Kurs aktiv deyil",
            "en": "The course is not active",
            "ru": "Курс не активен",
        },
        "field.not-own-partner": {
            "az": "Tərəfdaş yalnız öz sessiyalarını keçirə bilər",
            "en": "A partner runs only its own sessions",
            "ru": "Партнёр проводит только свои сессии",
        },
        "field.not-a-training-day": {
            "az": "Bu tarix sessiyanın təlim günü deyil",
            "en": "Not a training day of the session",
            "ru": "Эта дата не является днём обучения сессии",
        },
        "field.not-enrolled": {
            "az": "İştirakçı bu sessiyaya yazılmayıb",
            "en": "The participant is not enrolled in this session",
            "ru": "Участник не записан на эту сессию",
        },
        "field.period-invalid": {
            "az": "Tarixlər yanlışdır: bitmə başlamadan əvvəl və ya günlər dövrdən kənardadır",
            "en": "The dates do not fit: the end is before the start, or a day is outside them",
            "ru": "Даты не согласованы: конец раньше начала или день вне периода",
        },
        "field.run-by-invalid": {
            "az": 'Tərəfdaşın identifikatoru və ya "ministry" olmalıdır',
            "en": 'Should be a partner\'s id or "ministry"',
            "ru": 'Должно быть идентификатором партнёра или "ministry"',
        },
        "detail.no-training-memorandum": {
            "az": "Tərəfdaşın təlimləri əhatə edən memorandumu yoxdur",
            "en": "The partner has no memorandum that covers trainings",
            "ru": "У партнёра нет меморандума, охватывающего обучение",
        },
        "detail.outside-training-memorandum": {
            "az": "Sessiyanın tarixləri tərəfdaşın təlimləri əhatə edən heç bir memorandumunun "
            "müddətinə tam daxil deyil",
            "en": "The session's dates do not lie within one of the partner's memoranda that "
            "cover trainings",
            "ru": "Даты сессии не укладываются целиком в срок ни одного меморандума партнёра, "
            "охватывающего обучение",
        },
        "field.no-training-memorandum": {
            "az": "Bu tərəfdaşın təlimləri əhatə edən memorandumu yoxdur",
            "en": "This partner has no memorandum that covers trainings",
            "ru": "У этого партнёра нет меморандума, охватывающего обучение",
        },
        "field.outside-training-memorandum": {
            "az": "Tarix tərəfdaşın təlimləri əhatə edən memorandumunun müddətindən kənardadır",
            "en": "The date is outside the partner's memoranda that cover trainings",
            "ru": "Дата вне срока меморандумов партнёра, охватывающих обучение",
        },
    }
)


def _field_error(field: str, code: str, message: str) -> ValidationProblem:
    return ValidationProblem([FieldError(field=field, code=code, message=message)])


def _training_days(starts_on: date, ends_on: date, days: Sequence[date] | None) -> list[date]:
    if days is not None:
        return sorted(set(days))
    return [starts_on + timedelta(n) for n in range((ends_on - starts_on).days + 1)]


# --- Courses -------------------------------------------------------------------------------------


async def create_course(session: AsyncSession, data: CourseIn) -> Course:
    course = Course(
        direction=data.direction,
        name_az=data.name.az,
        name_en=data.name.en,
        name_ru=data.name.ru,
        days=data.days,
        hours=data.hours,
        completion_threshold=data.completion_threshold,
        active=data.active,
    )
    session.add(course)
    await session.flush()
    return course


async def get_course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await session.get(Course, course_id)
    if course is None:
        raise NotFound("course", course_id)
    return course


async def update_course(session: AsyncSession, course: Course, changes: CourseUpdate) -> Course:
    for field in changes.model_fields_set:
        value = getattr(changes, field)
        if value is None:
            raise _field_error(f"body.{field}", "missing", "field.not-null")
        if field == "name":
            course.name_az, course.name_en, course.name_ru = value.az, value.en, value.ru
        else:
            setattr(course, field, value)
    await session.flush()
    return course


def courses_query(direction: str | None, active: bool | None) -> Select[Course]:
    query = select(Course)
    if direction is not None:
        query = query.where(Course.direction == direction)
    if active is not None:
        query = query.where(Course.active.is_(active))
    return query


# --- Sessions ------------------------------------------------------------------------------------


def _visible_sessions(
    query: Select[TrainingSession], principal: Principal
) -> Select[TrainingSession]:
    if principal.partner_id is not None:
        query = query.where(TrainingSession.run_by_partner_id == principal.partner_id)
    return query


async def get_session(
    session: AsyncSession, session_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> TrainingSession:
    """The session, if the principal may see it; `lock` takes its row lock (see the module)."""
    query = _visible_sessions(select(TrainingSession), principal).where(
        TrainingSession.id == session_id
    )
    if lock:
        query = query.with_for_update(of=TrainingSession).execution_options(populate_existing=True)
    found = (await session.scalars(query)).one_or_none()
    if found is None:
        raise NotFound("training-session", session_id)
    return found


def _run_by(requested: uuid.UUID | None, principal: Principal) -> uuid.UUID | None:
    if principal.partner_id is None:
        return requested
    if requested not in (None, principal.partner_id):
        raise _field_error("body.run_by_partner_id", "not_own_partner", "field.not-own-partner")
    return principal.partner_id


async def create_session(
    session: AsyncSession, data: SessionIn, principal: Principal
) -> TrainingSession:
    course = await session.get(Course, data.course_id)
    if course is None:
        raise _field_error("body.course_id", "not_found", "field.course-unknown")
    if not course.active:
        raise _field_error("body.course_id", "course_inactive", "field.course-inactive")
    run_by = _run_by(data.run_by_partner_id, principal)
    if run_by is not None:
        await check_memorandum(session, run_by, data.starts_on, data.ends_on)
    training = TrainingSession(
        course=course,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        days=_training_days(data.starts_on, data.ends_on, data.days),
        place=data.place,
        trainer=data.trainer,
        capacity=data.capacity,
        run_by_partner_id=run_by,
        status=SessionStatus.planned,
    )
    session.add(training)
    await session.flush()
    return training


_DATES = frozenset({"starts_on", "ends_on", "days"})
_OPEN = (SessionStatus.planned, SessionStatus.running)


async def update_session(
    session: AsyncSession, training: TrainingSession, changes: SessionUpdate, principal: Principal
) -> TrainingSession:
    """`training` must be locked (get_session(lock=True))."""
    fields = changes.model_fields_set
    if training.status not in _OPEN or (
        fields & _DATES and training.status != SessionStatus.planned
    ):
        raise InvalidState(training.status)
    for field in fields - {"run_by_partner_id"}:
        if getattr(changes, field) is None and field != "days":
            raise _field_error(f"body.{field}", "missing", "field.not-null")
    if "run_by_partner_id" in fields:
        training.run_by_partner_id = _run_by(changes.run_by_partner_id, principal)
    if fields & _DATES:
        starts_on = changes.starts_on or training.starts_on
        ends_on = changes.ends_on or training.ends_on
        # Explicit days are kept only when given again; new dates otherwise mean every day.
        days = changes.days if "days" in fields else None
        try:
            check_days(starts_on, ends_on, days)
        except ValueError:
            raise _field_error("body", "value_error", "field.period-invalid") from None
        training.starts_on, training.ends_on = starts_on, ends_on
        training.days = _training_days(starts_on, ends_on, days)
    if fields & (_DATES | {"run_by_partner_id"}) and training.run_by_partner_id is not None:
        await check_memorandum(
            session, training.run_by_partner_id, training.starts_on, training.ends_on
        )
    for field in ("place", "trainer"):
        if field in fields:
            setattr(training, field, getattr(changes, field))
    if changes.capacity is not None:
        taken = await _places_taken(session, training.id)
        if changes.capacity < taken:
            raise Conflict("detail.capacity-below-taken", params={"taken": taken})
        training.capacity = changes.capacity
    await session.flush()
    await _fill_places(session, training)
    return training


_TRANSITIONS = {
    "start": ((SessionStatus.planned,), SessionStatus.running),
    "complete": ((SessionStatus.running,), SessionStatus.completed),
    "cancel": (_OPEN, SessionStatus.cancelled),
}


async def transition(
    session: AsyncSession, training: TrainingSession, action: str
) -> TrainingSession:
    """start: planned -> running; complete: running -> completed (whoever is still enrolled did
    not reach the threshold); cancel: planned or running -> cancelled (every place with it)."""
    sources, target = _TRANSITIONS[action]
    if training.status not in sources:
        raise InvalidState(training.status)
    training.status = target
    if target != SessionStatus.running:
        ended = EnrolmentStatus.not_completed if action == "complete" else EnrolmentStatus.cancelled
        for enrolment in await session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == training.id,
                Enrolment.status.in_((EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted)),
            )
        ):
            waitlisted = enrolment.status == EnrolmentStatus.waitlisted
            enrolment.status = EnrolmentStatus.cancelled if waitlisted else ended
            enrolment.waitlist_position = None
    await session.flush()
    return training


def sessions_query(
    principal: Principal,
    *,
    direction: str | None = None,
    status: SessionStatus | None = None,
    course_id: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    run_by: uuid.UUID | None = None,
    run_by_ministry: bool = False,
) -> Select[TrainingSession]:
    """Sessions the principal may see; the date range keeps those overlapping it."""
    query = _visible_sessions(select(TrainingSession), principal)
    if direction is not None:
        query = query.where(
            TrainingSession.course_id.in_(select(Course.id).where(Course.direction == direction))
        )
    if status is not None:
        query = query.where(TrainingSession.status == status)
    if course_id is not None:
        query = query.where(TrainingSession.course_id == course_id)
    if date_from is not None:
        query = query.where(TrainingSession.ends_on >= date_from)
    if date_to is not None:
        query = query.where(TrainingSession.starts_on <= date_to)
    if run_by is not None:
        query = query.where(TrainingSession.run_by_partner_id == run_by)
    if run_by_ministry:
        query = query.where(TrainingSession.run_by_partner_id.is_(None))
    return query


# --- Partners' memoranda -------------------------------------------------------------------------

TRAININGS_AREA = "trainings"


async def record_memorandum(
    session: AsyncSession, event: MemorandumRecorded, recorded_at: datetime
) -> None:
    """Upserts plans' copy of a memorandum; an event older than the copy changes nothing."""
    values = {
        "memorandum_id": event.memorandum_id,
        "partner_id": event.partner_id,
        "areas": sorted(set(event.areas)),
        "valid_from": event.valid_from,
        "valid_to": event.valid_to,
        "recorded_at": recorded_at,
    }
    statement = insert(PartnerMemorandum).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PartnerMemorandum.memorandum_id],
            set_={name: statement.excluded[name] for name in values if name != "memorandum_id"},
            where=PartnerMemorandum.recorded_at <= statement.excluded.recorded_at,
        )
    )


def _in_force(memorandum: PartnerMemorandum, day: date) -> bool:
    return memorandum.valid_from <= day and (
        memorandum.valid_to is None or day <= memorandum.valid_to
    )


async def check_memorandum(
    session: AsyncSession, partner_id: uuid.UUID, starts_on: date, ends_on: date
) -> None:
    """Refuses (422) a session of the partner's unless one of its memoranda that covers trainings
    is in force from the first day to the last: on `run_by_partner_id` when it has none at all,
    else on the date (or dates) outside them, with the memoranda's periods in `memoranda`."""
    memoranda = list(
        await session.scalars(
            select(PartnerMemorandum)
            .where(
                PartnerMemorandum.partner_id == partner_id,
                any_(PartnerMemorandum.areas) == TRAININGS_AREA,
            )
            .order_by(PartnerMemorandum.valid_from, PartnerMemorandum.memorandum_id)
        )
    )
    if not memoranda:
        raise ValidationProblem(
            [
                FieldError(
                    field="body.run_by_partner_id",
                    code="no_training_memorandum",
                    message="field.no-training-memorandum",
                )
            ],
            detail="detail.no-training-memorandum",
        )
    if any(_in_force(m, starts_on) and _in_force(m, ends_on) for m in memoranda):
        return
    outside = [
        field
        for field, day in (("starts_on", starts_on), ("ends_on", ends_on))
        if not any(_in_force(m, day) for m in memoranda)
    ]
    # Both days covered, but by different memoranda: the period as a whole is not.
    problem = ValidationProblem(
        [
            FieldError(
                field=f"body.{field}",
                code="outside_training_memorandum",
                message="field.outside-training-memorandum",
            )
            for field in outside or ["starts_on", "ends_on"]
        ],
        detail="detail.outside-training-memorandum",
    )
    problem.extras["memoranda"] = [
        {"memorandum_id": m.memorandum_id, "valid_from": m.valid_from, "valid_to": m.valid_to}
        for m in memoranda
    ]
    raise problem


# --- Enrolments ----------------------------------------------------------------------------------


async def _participant(
    session: AsyncSession, participant_id: uuid.UUID, principal: Principal
) -> Participant:
    participant = await session.get(Participant, participant_id)
    if participant is None or (
        principal.partner_id is not None and participant.partner_id != principal.partner_id
    ):
        raise NotFound("participant", participant_id)
    return participant


async def _places_taken(session: AsyncSession, session_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.status.in_(PLACE_HOLDING))
        )
        or 0
    )


async def _fill_places(session: AsyncSession, training: TrainingSession) -> None:
    """Lets the first on the waitlist into free places, and numbers the rest 1, 2, ..."""
    waiting = list(
        await session.scalars(
            select(Enrolment)
            .where(
                Enrolment.session_id == training.id,
                Enrolment.status == EnrolmentStatus.waitlisted,
            )
            .order_by(Enrolment.waitlist_position, Enrolment.created_at)
        )
    )
    free = max(0, training.capacity - await _places_taken(session, training.id))
    if training.status not in _OPEN:
        free = 0
    for index, enrolment in enumerate(waiting):
        if index < free:
            enrolment.status = EnrolmentStatus.enrolled
            enrolment.waitlist_position = None
        elif enrolment.waitlist_position != index - free + 1:
            enrolment.waitlist_position = index - free + 1
    await session.flush()


async def enrol(
    session: AsyncSession,
    training: TrainingSession,
    participant_id: uuid.UUID,
    principal: Principal,
) -> Enrolment:
    """A place if one is free, else the end of the waitlist. `training` must be locked."""
    if training.status not in _OPEN:
        raise InvalidState(training.status)
    participant = await _participant(session, participant_id, principal)
    if participant.status != ParticipantStatus.active:  # left the programme
        raise InvalidState(participant.status)
    enrolment = await session.scalar(
        select(Enrolment).where(
            Enrolment.session_id == training.id, Enrolment.participant_id == participant_id
        )
    )
    if enrolment is not None and enrolment.status != EnrolmentStatus.cancelled:
        raise Conflict("detail.already-enrolled", extras={"status": enrolment.status})
    # Counted before a new row is added: the count's autoflush must not write a half-made row.
    if await _places_taken(session, training.id) < training.capacity:
        status, position = EnrolmentStatus.enrolled, None
    else:
        waiting = await session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(
                Enrolment.session_id == training.id,
                Enrolment.status == EnrolmentStatus.waitlisted,
            )
        )
        status, position = EnrolmentStatus.waitlisted, (waiting or 0) + 1
    if enrolment is None:
        enrolment = Enrolment(session=training, participant_id=participant_id)
        session.add(enrolment)
    enrolment.status, enrolment.waitlist_position = status, position
    enrolment.completed_on = None
    await session.flush()
    return enrolment


async def get_enrolment(
    session: AsyncSession,
    training: TrainingSession,
    participant_id: uuid.UUID,
    principal: Principal,
) -> Enrolment:
    await _participant(session, participant_id, principal)
    enrolment = await session.scalar(
        select(Enrolment)
        .where(Enrolment.session_id == training.id, Enrolment.participant_id == participant_id)
        .execution_options(populate_existing=True)
    )
    if enrolment is None:
        raise NotFound("enrolment", participant_id)
    return enrolment


async def cancel_enrolment(
    session: AsyncSession, training: TrainingSession, enrolment: Enrolment
) -> Enrolment:
    """Frees the place (or the waitlist spot); the next in line moves up. `training` locked."""
    if enrolment.status not in (EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted):
        raise InvalidState(enrolment.status)
    enrolment.status = EnrolmentStatus.cancelled
    enrolment.waitlist_position = None
    await session.flush()
    await _fill_places(session, training)
    return enrolment


def enrolments_query(
    training: TrainingSession, principal: Principal, status: EnrolmentStatus | None
) -> Select[Enrolment]:
    query = select(Enrolment).where(Enrolment.session_id == training.id)
    if status is not None:
        query = query.where(Enrolment.status == status)
    if principal.partner_id is not None:
        query = query.where(
            Enrolment.participant_id.in_(
                select(Participant.id).where(Participant.partner_id == principal.partner_id)
            )
        )
    return query


async def history_query(
    session: AsyncSession, participant_id: uuid.UUID, principal: Principal
) -> Select[Enrolment]:
    """A participant's enrolments; for a partner, its own participant in its own sessions."""
    await _participant(session, participant_id, principal)
    query = select(Enrolment).where(Enrolment.participant_id == participant_id)
    if principal.partner_id is not None:
        query = query.where(
            Enrolment.session_id.in_(
                select(TrainingSession.id).where(
                    TrainingSession.run_by_partner_id == principal.partner_id
                )
            )
        )
    return query


# --- Attendance and completion -------------------------------------------------------------------


async def get_attendance(
    session: AsyncSession, training: TrainingSession, day: date
) -> AttendanceDay | None:
    if day not in training.days:
        raise _field_error("path.day", "not_a_training_day", "field.not-a-training-day")
    return await session.get(AttendanceDay, (training.id, day), populate_existing=True)


async def record_attendance(
    session: AsyncSession,
    training: TrainingSession,
    day: date,
    participant_ids: Sequence[uuid.UUID],
    principal: Principal,
    if_match: IfMatch | None,
) -> AttendanceDay:
    """Replaces who was present on `day`, then completes whoever reached the course's threshold.
    The first attendance starts a planned session. `training` must be locked."""
    if training.status not in _OPEN:
        raise InvalidState(training.status)
    record = await get_attendance(session, training, day)
    if if_match is not None:
        check_if_match(if_match, record.version if record is not None else 0)
    attending = {
        enrolment.participant_id: enrolment
        for enrolment in await session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == training.id, Enrolment.status.in_(ATTENDING)
            )
        )
    }
    present = set(participant_ids)
    recordable = set(attending)
    if principal.partner_id is not None:
        # A partner records its own participants only; others' presence stays as recorded.
        recordable &= await partners_participants(session, recordable, principal.partner_id)
        if record is not None:
            present |= set(record.present) - await partners_participants(
                session, record.present, principal.partner_id
            )
    errors = [
        FieldError(
            field=f"body.participant_ids.{index}", code="not_enrolled", message="field.not-enrolled"
        )
        for index, participant_id in enumerate(participant_ids)
        if participant_id not in recordable
    ]
    if errors:
        raise ValidationProblem(errors)
    if record is None:
        record = AttendanceDay(
            session_id=training.id, day=day, present=sorted(present), recorded_by=principal.id
        )
        session.add(record)
    elif set(record.present) != present:
        record.present, record.recorded_by = sorted(present), principal.id
    if training.status == SessionStatus.planned:
        training.status = SessionStatus.running
    await session.flush()
    await _evaluate(session, training, attending.values())
    return record


async def partners_participants(
    session: AsyncSession, participant_ids: Iterable[uuid.UUID], partner_id: uuid.UUID
) -> set[uuid.UUID]:
    """Those of `participant_ids` that the partner referred."""
    return set(
        await session.scalars(
            select(Participant.id).where(
                Participant.id.in_(list(participant_ids)), Participant.partner_id == partner_id
            )
        )
    )


async def _evaluate(
    session: AsyncSession, training: TrainingSession, enrolments: Iterable[Enrolment]
) -> None:
    """Recounts attended days; completes (once) those at the course's threshold."""
    records = list(
        await session.scalars(select(AttendanceDay).where(AttendanceDay.session_id == training.id))
    )
    required = training.course.completion_threshold * len(training.days)
    for enrolment in enrolments:
        attended = sorted(r.day for r in records if enrolment.participant_id in r.present)
        if enrolment.attended_days != len(attended):
            enrolment.attended_days = len(attended)
        if enrolment.status == EnrolmentStatus.enrolled and attended and len(attended) >= required:
            enrolment.status = EnrolmentStatus.completed
            enrolment.completed_on = attended[-1]
            await add_event(
                session,
                TrainingCompleted(
                    participant_id=enrolment.participant_id,
                    course_id=training.course_id,
                    session_id=training.id,
                    direction=training.course.direction,
                    run_by_partner_id=training.run_by_partner_id,
                    completed_on=enrolment.completed_on,
                ),
            )
    await session.flush()


# --- For the business plans ----------------------------------------------------------------------


async def has_completed_training(
    session: AsyncSession, participant_id: uuid.UUID, direction: str
) -> bool:
    """Whether the participant completed a course of `direction` (in any session)."""
    found = await session.scalar(
        select(Enrolment.id)
        .join(TrainingSession, Enrolment.session_id == TrainingSession.id)
        .join(Course, TrainingSession.course_id == Course.id)
        .where(
            Enrolment.participant_id == participant_id,
            Enrolment.status == EnrolmentStatus.completed,
            Course.direction == direction,
        )
        .limit(1)
    )
    return found is not None


async def cancel_participant_places(session: AsyncSession, participant_id: uuid.UUID) -> None:
    """Cancels the participant's places and waitlist spots (e.g. their enrolment in the programme
    was cancelled); the next in line takes each freed place. Completed trainings stay."""
    session_ids = (
        await session.scalars(
            select(Enrolment.session_id)
            .where(
                Enrolment.participant_id == participant_id,
                Enrolment.status.in_((EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted)),
            )
            .order_by(Enrolment.session_id)  # one lock order for everyone: no deadlocks
        )
    ).all()
    for session_id in session_ids:
        training = (
            await session.scalars(
                select(TrainingSession)
                .where(TrainingSession.id == session_id)
                .with_for_update(of=TrainingSession)
                .execution_options(populate_existing=True)
            )
        ).one()
        enrolment = await session.scalar(
            select(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.participant_id == participant_id)
            .execution_options(populate_existing=True)
        )
        assert enrolment is not None
        if enrolment.status in (EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted):
            await cancel_enrolment(session, training, enrolment)
