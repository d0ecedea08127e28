"""What intake's routes ask for: who may call them, and the FIN protector."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from intake.applicants.pii import FinProtector
from shared.app import runtime_of
from shared.auth import Principal, Role, Scope, require

REFERRALS_WRITE = Scope.referrals_write
REFERRALS_READ = Scope.referrals_read

Officer = Annotated[Principal, Depends(require(Role.case_officer, scopes=(REFERRALS_WRITE,)))]
Reader = Annotated[
    Principal,
    Depends(require(Role.case_officer, Role.analyst, Role.monitor, scopes=(REFERRALS_READ,))),
]
PersonalDataReader = Annotated[Principal, Depends(require(Role.case_officer))]
Admin = Annotated[Principal, Depends(require(Role.admin))]


def fins(request: Request) -> FinProtector:
    return runtime_of(request).get(FinProtector)


FinsDep = Annotated[FinProtector, Depends(fins)]
