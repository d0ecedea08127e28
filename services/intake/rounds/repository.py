"""Reads of rounds: reference data every caller who may read rounds sees alike."""

from __future__ import annotations

from intake.rounds.models import Round
from shared.repository import Repository


class RoundRepository(Repository[Round]):
    model = Round
    resource = "round"
