"""Reads of applicants, narrowed to what the caller may see (see `Applicant.__partner__`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, true

from intake.applicants.models import Applicant
from shared.auth import Principal
from shared.repository import Repository, partner_of


class ApplicantRepository(Repository[Applicant]):
    model = Applicant
    resource = "applicant"

    def query(self, principal: Principal, *filters: ColumnElement[bool]) -> Select[Applicant]:
        # An erased person is nobody's to read, change or apply for any more: 404 like a
        # missing one (privacy/erasure.py; the registry still knows the FIN's hash).
        return super().query(principal, Applicant.erased_at.is_(None), *filters)


def people_only(principal: Principal) -> ColumnElement[bool]:
    """What staff lists leave out: claims are partners' records awaiting review (GET
    /v1/referral-claims), not people. A partner's list keeps them: they are its referrals."""
    return true() if partner_of(principal) is not None else Applicant.claimed.is_(False)
