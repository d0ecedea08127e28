"""Who may do what in monitoring: every role dependency of its routes, named by what it allows.

Admin-only routes take `shared.auth.Admin`. A partner's API key passes only where a scope is named.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, Scope, require

# Staff who follow the businesses read visits, cases, flags, rules and timelines; a partner
# (monitoring:read) those of its own participants.
ReadsMonitoring = Annotated[
    Principal,
    Depends(
        require(Role.monitor, Role.case_officer, Role.analyst, scopes=(Scope.monitoring_read,))
    ),
]

# Field staff and officers report visits and add photos; a partner's key needs monitoring:write.
ReportsVisits = Annotated[
    Principal,
    Depends(require(Role.monitor, Role.case_officer, scopes=(Scope.monitoring_write,))),
]

# Photos show people's homes and businesses: not for analysts.
SeesPhotos = Annotated[
    Principal,
    Depends(require(Role.monitor, Role.case_officer, scopes=(Scope.monitoring_read,))),
]

# Those who take flags on and resolve them: staff only.
HandlesFlags = Annotated[Principal, Depends(require(Role.case_officer, Role.monitor))]

# Grievances and appeals are lodged through a case officer or the referring partner's key.
LodgesGrievances = Annotated[
    Principal, Depends(require(Role.case_officer, scopes=(Scope.monitoring_write,)))
]

# Case officers close cases, give visits to monitors and see the monitors' loads.
ManagesCases = Annotated[Principal, Depends(require(Role.case_officer))]

# The grievance report: counts of complaints about the programme, for its analysts and admins.
ReadsGrievanceReport = Annotated[Principal, Depends(require(Role.analyst))]

# The programme's figures; partners with either scope see their own, with small cells withheld.
ReadsReports = Annotated[
    Principal,
    Depends(
        require(
            Role.analyst,
            Role.case_officer,
            Role.monitor,
            scopes=(Scope.monitoring_read, Scope.reports_read),
        )
    ),
]

# A report's free-text notes and exact place describe a person's home and life: only the staff who
# visit and decide (and admins) read them; analysts and partners' keys get them null.
NOTES_READERS = (Role.monitor, Role.case_officer)


def reads_notes(principal: Principal) -> bool:
    return principal.kind == "staff" and principal.has_any_role(*NOTES_READERS)
