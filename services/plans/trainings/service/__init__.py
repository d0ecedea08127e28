"""Trainings' rules, one module a part: courses, sessions, memoranda, enrolments, attendance
(with completion) and participants (what the rest of plans asks of trainings). Functions flush,
never commit.

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

from plans.trainings import messages as _messages  # noqa: F401  (registers message keys)
