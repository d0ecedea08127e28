"""Cases and flags as the caller may see them: a partner, those of the participants it referred."""

from __future__ import annotations

from monitoring.cases.models import Case, Flag
from shared.repository import Repository


class CaseRepository(Repository[Case]):
    model = Case  # looked up by participant id (Case.id)
    resource = "case"


class FlagRepository(Repository[Flag]):
    model = Flag
    resource = "flag"
