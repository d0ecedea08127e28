"""Exclusion proposals: raised by monitoring's flags, decided by a case officer, withdrawn by
monitoring while pending, lifted by an upheld appeal. Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.service import lift_exclusion, record_exclusion
from intake.applications.models import Application
from intake.exclusions.models import ExclusionProposal, ProposalStatus
from intake.exclusions.schemas import ProposalDecisionIn
from shared.auth import Principal
from shared.db import utcnow
from shared.decisions import record_decision
from shared.events import (
    CaseFlagged,
    ExclusionProposalWithdrawn,
    ExclusionProposed,
    FlagResolved,
    GrievanceResolved,
    IntakeDecisionRecorded,
)
from shared.messaging.outbox import add_event
from shared.problems import InvalidState

log = logging.getLogger(__name__)

EXCLUDE_FROM_PROGRAMME = "exclude_from_programme"
Withdrawal = Literal["flag_unfounded", "report_corrected", "declined_by_officer"]
# Resolutions of a flag that take back what it proposed, as the withdrawal's reason.
WITHDRAWING_RESOLUTIONS: dict[str, Withdrawal] = {
    "unfounded": "flag_unfounded",
    "false_alarm": "flag_unfounded",
    "report_corrected": "report_corrected",
}
EXCLUSION_LIFTED = "exclusion_lifted"


def proposals_query(
    status: ProposalStatus | None, applicant_id: uuid.UUID | None
) -> sa.Select[ExclusionProposal]:
    query = sa.select(ExclusionProposal)
    if status is not None:
        query = query.where(ExclusionProposal.status == status)
    if applicant_id is not None:
        query = query.where(ExclusionProposal.applicant_id == applicant_id)
    return query


async def propose(session: AsyncSession, event: CaseFlagged, at: datetime) -> None:
    """A flag asking to exclude the participant becomes a proposal (once per flag); the person
    is not excluded until a case officer decides."""
    if EXCLUDE_FROM_PROGRAMME not in {event.action, *event.actions}:
        return
    application = await session.get(Application, event.participant_id)
    if application is None:
        log.warning("flag %s names unknown participant %s", event.flag_id, event.participant_id)
        return
    known = await session.scalar(
        sa.select(ExclusionProposal.id).where(ExclusionProposal.flag_id == event.flag_id)
    )
    if known is not None:
        return
    proposal = ExclusionProposal(
        application_id=application.id,
        applicant_id=application.applicant_id,
        flag_id=event.flag_id,
        rule=event.rule,
        status=ProposalStatus.pending,
        proposed_at=at,
    )
    session.add(proposal)
    await session.flush()
    await add_event(
        session,
        ExclusionProposed(
            proposal_id=proposal.id,
            application_id=proposal.application_id,
            applicant_id=proposal.applicant_id,
            flag_id=proposal.flag_id,
            rule=proposal.rule,
            proposed_at=at,
        ),
    )


async def withdraw_for_flag(session: AsyncSession, event: FlagResolved, at: datetime) -> None:
    """A flag resolved as unfounded or corrected withdraws its pending proposal. A decided one
    stays: the person appeals the decision instead."""
    reason = WITHDRAWING_RESOLUTIONS.get(event.resolution)
    if reason is None:
        return
    proposal = await session.scalar(
        sa.select(ExclusionProposal)
        .where(ExclusionProposal.flag_id == event.flag_id)
        .with_for_update()
    )
    if proposal is None or proposal.status != ProposalStatus.pending:
        return
    await _withdraw(session, proposal, ProposalStatus.withdrawn, reason, reason, at)


async def decide(
    session: AsyncSession,
    proposal: ExclusionProposal,
    body: ProposalDecisionIn,
    *,
    principal: Principal,
    appeal_days: int,
) -> ExclusionProposal:
    """The case officer's decision: exclude (recorded as an adverse decision, which may be
    appealed) or decline (the proposal is withdrawn)."""
    if proposal.status != ProposalStatus.pending:
        raise InvalidState(proposal.status)
    now = utcnow()
    proposal.decided_by = principal.id
    proposal.note = body.note
    if body.decision == "decline":
        await _withdraw(
            session, proposal, ProposalStatus.declined, body.reason, "declined_by_officer", now
        )
        return proposal
    await record_exclusion(
        session, proposal.applicant_id, at=now, rule=proposal.rule, flag_id=proposal.flag_id
    )
    partner_id = await session.scalar(
        sa.select(Application.partner_id).where(Application.id == proposal.application_id)
    )
    proposal.decision_id = await record_decision(
        session,
        IntakeDecisionRecorded,
        application_id=proposal.application_id,
        kind="excluded",
        reason=body.reason,
        note=body.note,
        decided_by=principal.id,
        ref_id=proposal.id,
        partner_id=partner_id,
        appeal_days=appeal_days,
        decided_at=now,
    )
    proposal.status = ProposalStatus.excluded
    proposal.reason = body.reason
    proposal.decided_at = now
    await session.flush()
    return proposal


async def _withdraw(
    session: AsyncSession,
    proposal: ExclusionProposal,
    status: ProposalStatus,
    reason: str,
    announced: Withdrawal,
    at: datetime,
) -> None:
    """Ends a pending proposal without excluding: `reason` is kept, `announced` is sent."""
    proposal.status = status
    proposal.reason = reason
    proposal.decided_at = at
    await session.flush()
    await add_event(
        session,
        ExclusionProposalWithdrawn(
            proposal_id=proposal.id,
            application_id=proposal.application_id,
            flag_id=proposal.flag_id,
            reason=announced,
            withdrawn_at=at,
        ),
    )


async def lift(session: AsyncSession, decision: Row[Any], event: GrievanceResolved) -> str:
    """The reversal of an "excluded" decision on an upheld appeal: the exclusion is lifted, so a
    later application passes `not_excluded`."""
    proposal = await session.get(ExclusionProposal, decision.ref_id, with_for_update=True)
    if proposal is None:
        log.warning("decision %s names unknown exclusion proposal %s", decision.id, decision.ref_id)
        return EXCLUSION_LIFTED
    await lift_exclusion(session, proposal.flag_id)
    proposal.status = ProposalStatus.lifted
    await session.flush()
    return EXCLUSION_LIFTED
