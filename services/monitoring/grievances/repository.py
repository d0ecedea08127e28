"""Grievances as the caller may see them: a partner, those of the people it referred."""

from __future__ import annotations

from monitoring.grievances.models import Grievance
from shared.repository import Repository


class GrievanceRepository(Repository[Grievance]):
    model = Grievance
    resource = "grievance"
