"""Reads of selection jobs: staff only (their results name every applicant of a round)."""

from __future__ import annotations

from intake.selection.models import Selection
from shared.repository import Repository


class SelectionRepository(Repository[Selection]):
    model = Selection
    resource = "selection"
