"""Courses: what a direction's training teaches, how long it takes and what completes it."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.filters import given
from plans.trainings.models import Course
from plans.trainings.schemas import CourseIn, CourseUpdate
from plans.trainings.service.problems import field_error
from shared.problems import NotFound


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
    # Courses are reference data: every caller that may read trainings reads them all.
    course = await session.get(Course, course_id)
    if course is None:
        raise NotFound("course", course_id)
    return course


async def update_course(session: AsyncSession, course: Course, changes: CourseUpdate) -> Course:
    for field in changes.model_fields_set:
        value = getattr(changes, field)
        if value is None:
            raise field_error(f"body.{field}", "missing", "field.not-null")
        if field == "name":
            course.name_az, course.name_en, course.name_ru = value.az, value.en, value.ru
        else:
            setattr(course, field, value)
    await session.flush()
    return course


def courses_query(direction: str | None, active: bool | None) -> Select[Course]:
    return select(Course).where(*given((Course.direction, direction), (Course.active, active)))
