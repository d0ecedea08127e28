"""Reads of exclusion proposals: staff only."""

from __future__ import annotations

from intake.exclusions.models import ExclusionProposal
from shared.repository import Repository


class ExclusionProposalRepository(Repository[ExclusionProposal]):
    model = ExclusionProposal
    resource = "exclusion-proposal"
