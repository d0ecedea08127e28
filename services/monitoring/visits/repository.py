"""Visits as the caller may see them: a partner, those of the participants it referred."""

from __future__ import annotations

from monitoring.visits.models import Visit
from shared.repository import Repository


class VisitRepository(Repository[Visit]):
    model = Visit
    resource = "visit"
