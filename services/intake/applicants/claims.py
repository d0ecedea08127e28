"""Referral claims: a partner referred a FIN registered outside its own referrals. The partner got
a record of its own, answered as any new referral, so that it learns nothing of who is
registered; a case officer links that record to the registered person or refuses it. Functions
flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.duplicates import announce_merge
from intake.applicants.models import Applicant, ClaimStatus, Purpose, ReferralClaim
from intake.applicants.service import audit, resolve_merged
from intake.applications.models import Application, ApplicationStatus
from shared.auth import Principal
from shared.db import utcnow
from shared.problems import InvalidState, NotFound

# An application of the claim in a round the person had applied to already.
DUPLICATE_REFERRAL = "duplicate_referral"


async def get_claim(session: AsyncSession, claim_id: uuid.UUID) -> ReferralClaim:
    """For the staff routes of claims (role-checked), unscoped like duplicates."""
    claim = await session.get(ReferralClaim, claim_id)
    if claim is None:
        raise NotFound("referral-claim", claim_id)
    return claim


def _resolve(
    session: AsyncSession,
    claim: ReferralClaim,
    status: ClaimStatus,
    *,
    note: str,
    principal: Principal,
    consent: bool | None = None,
) -> None:
    if claim.status != ClaimStatus.pending:
        raise InvalidState(claim.status)
    claim.status = status
    claim.consent = consent
    claim.note = note
    claim.resolved_by = principal.id
    claim.resolved_at = utcnow()
    # Both records' audit logs say who decided, when, and (in the claim) why.
    for resource_id in (claim.applicant_id, claim.person_id):
        audit(
            session,
            principal,
            f"claim_{status.value}",
            resource_id,
            purpose=Purpose.duplicate_review.value,
            reason=f"claim:{claim.id}" + ("" if consent is None else f" consent:{consent}".lower()),
        )


async def refuse(
    session: AsyncSession, claim: ReferralClaim, *, note: str, principal: Principal
) -> ReferralClaim:
    """Not the partner's to refer: its record stays as it was (and is never selected), and it
    learns nothing."""
    _resolve(session, claim, ClaimStatus.refused, note=note, principal=principal)
    await session.flush()
    return claim


async def link(
    session: AsyncSession,
    claim: ReferralClaim,
    *,
    consent: bool,
    note: str,
    principal: Principal,
) -> ReferralClaim:
    """The partner referred the registered person. With the person's consent to share with the
    partner, its record is merged into the person's (as a duplicate merge does: its applications
    move over, emitting intake.applicant.merged) and the partner may read the person as its
    referral. Without consent the link is recorded for the ministry only: the partner's record
    stays as it was, is never selected, and the partner learns nothing."""
    if claim.status == ClaimStatus.pending:
        # The person may have been merged into another since the claim was made.
        person = await resolve_merged(session, await session.get_one(Applicant, claim.person_id))
        claim.person_id = person.id
    _resolve(session, claim, ClaimStatus.linked, note=note, principal=principal, consent=consent)
    if consent:
        await _merge_record(session, claim)
    await session.flush()
    return claim


async def _merge_record(session: AsyncSession, claim: ReferralClaim) -> None:
    """The partner's record merged into the person's: its applications move over, except those
    in rounds the person applied to already, which are closed."""
    record = await session.get_one(Applicant, claim.applicant_id, with_for_update=True)
    now = utcnow()
    # The person holds one application per round: the record's in those rounds are closed.
    taken = select(Application.round_id).where(
        Application.applicant_id == claim.person_id, Application.round_id.is_not(None)
    )
    await session.execute(
        update(Application)
        .where(Application.applicant_id == record.id, Application.round_id.in_(taken))
        .values(
            status=ApplicationStatus.withdrawn,
            closed_at=now,
            close_reason=DUPLICATE_REFERRAL,
            version=Application.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    moved = list(
        await session.scalars(
            update(Application)
            .where(
                Application.applicant_id == record.id,
                Application.round_id.is_(None) | Application.round_id.not_in(taken),
            )
            .values(applicant_id=claim.person_id, version=Application.version + 1)
            .returning(Application.id)
            .execution_options(synchronize_session=False)
        )
    )
    record.merged_into_id = claim.person_id
    await announce_merge(session, claim.person_id, record.id, moved, at=now)
