"""What intake's routes ask for: who may call them (named by what they allow), and the FIN
protector. Admin-only routes take `shared.auth.Admin`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from intake.applicants.pii import FinProtector
from shared.app import runtime_of
from shared.auth import Principal, Role, Scope, require
from shared.settings import ServiceSettings

_ANY_SCOPE = tuple(Scope)

WritesReferrals = Annotated[
    Principal, Depends(require(Role.case_officer, scopes=(Scope.referrals_write,)))
]
"""Register applicants, submit or withdraw applications, import referrals: case officers, and
partners (for their own referrals)."""

ReadsReferrals = Annotated[
    Principal,
    Depends(require(Role.case_officer, Role.analyst, Role.monitor, scopes=(Scope.referrals_read,))),
]
"""List applicants (summaries for the roles without personal data), read applications and rounds
(partners read rounds to refer people to an open one)."""

ReadsReferralDetails = Annotated[
    Principal, Depends(require(Role.case_officer, scopes=(Scope.referrals_read,)))
]
"""An applicant's personal fields, an application's assessment: case officers, and partners for
their own referrals (why a referral was refused is the referring partner's business too)."""

ReviewsCases = Annotated[Principal, Depends(require(Role.case_officer))]
"""Staff only: duplicates and referral claims span partners' referrals; enrolment and its
cancellation are the ministry's."""

RecordsConsent = Annotated[Principal, Depends(require(Role.case_officer))]
"""Record a person's consent given or withdrawn: staff only (a partner cannot speak for the
person about sharing with itself)."""

ReadsSelections = Annotated[Principal, Depends(require(Role.case_officer, Role.analyst))]
"""Selection jobs and results name every applicant of a round: staff only, never partners."""

ReadsPartners = Annotated[Principal, Depends(require(*Role, scopes=_ANY_SCOPE))]
"""Any staff role, or a partner with any key (which then sees only itself)."""

ReadsApiKeys = Annotated[Principal, Depends(require(Role.admin, scopes=_ANY_SCOPE))]
"""Admins, or a partner with any key (its own keys only)."""


async def fins(request: Request) -> FinProtector:
    return runtime_of(request).get(FinProtector)


FinsDep = Annotated[FinProtector, Depends(fins)]


async def appeal_days(request: Request) -> int:
    """How long an adverse decision made in this request may be appealed."""
    settings: ServiceSettings = request.app.state.settings
    return settings.appeal_days


AppealDaysDep = Annotated[int, Depends(appeal_days)]
