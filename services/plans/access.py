"""Who may call plans' routes: each role dependency once, named by what it allows.

Staff need one of the roles (admin passes always); partners need one of the scopes, and see only
their own participants, plans and sessions (see each domain's repository). Admin-only routes use
`shared.auth.Admin`.
"""

from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, Scope, require

# Staff who read plans; monitors read trainings as well.
_READERS = (Role.case_officer, Role.plan_reviewer, Role.analyst)

ReadsPlans = Annotated[
    Principal, Depends(require(*_READERS, scopes=(Scope.plans_read, Scope.plans_write)))
]
"""Read participants, their consultations and business plans."""

WritesPlans = Annotated[Principal, Depends(require(Role.case_officer, scopes=(Scope.plans_write,)))]
"""Record consultations and write business plans (not review them)."""

ReviewsPlans = Annotated[Principal, Depends(require(Role.plan_reviewer))]
"""Review, send back, reject and approve business plans (staff only)."""

ReadsTrainings = Annotated[
    Principal,
    Depends(require(*_READERS, Role.monitor, scopes=(Scope.trainings_write, Scope.plans_read))),
]
"""Read courses, sessions, enrolments, attendance and a participant's trainings."""

OrganisesTrainings = Annotated[
    Principal, Depends(require(Role.case_officer, scopes=(Scope.trainings_write,)))
]
"""Plan and run sessions, enrol, record attendance: staff any session, a partner its own."""
