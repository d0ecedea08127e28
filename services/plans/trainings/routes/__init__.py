"""Trainings over HTTP: courses (admin), sessions, enrolments with a waitlist, attendance per day,
and a participant's training history. Partners (scope trainings:write) run and see only their own
sessions, and in them only the participants they referred; anyone else's answers 404."""

from fastapi import APIRouter

from plans.trainings.routes import attendance, courses, enrolments, participants, sessions

router = APIRouter(prefix="/v1", tags=["trainings"])
for part in (courses, sessions, enrolments, attendance, participants):
    router.include_router(part.router)
