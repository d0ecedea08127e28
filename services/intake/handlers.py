"""What intake does with other services' events. Each handler runs in the consumer's transaction."""

import logging
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.service import record_benefit
from intake.applications.models import Application
from intake.applications.reassessment import reassess_application
from intake.exclusions import service as exclusions
from intake.privacy.erasure import on_case_closed
from intake.selection.service import keep_on_waitlist
from intake.settings import IntakeSettings
from shared.decisions import Reversal, appeal_handler
from shared.events import (
    CaseClosed,
    CaseFlagged,
    DeliveryCompleted,
    Envelope,
    FlagResolved,
    GrievanceResolved,
    IntakeDecisionReversed,
)
from shared.messaging.consumer import Handler

log = logging.getLogger(__name__)

REASSESSED = "reassessed"  # the effect of an upheld appeal against an ineligibility


async def on_delivery_completed(
    session: AsyncSession, event: DeliveryCompleted, envelope: Envelope
) -> None:
    """One person, one benefit: the person behind the participant has now received assets."""
    application = await session.get(Application, event.participant_id)
    if application is None:
        # Not ours to retry: no intake application will ever appear under this id.
        log.warning(
            "delivery %s names unknown participant %s", event.delivery_id, event.participant_id
        )
        return
    await record_benefit(
        session, application.applicant_id, at=envelope.time, application_id=application.id
    )


async def on_case_flagged(session: AsyncSession, event: CaseFlagged, envelope: Envelope) -> None:
    """A flag asking to exclude the participant (e.g. the assets were sold) is a proposal for a
    case officer; the person is not excluded yet."""
    await exclusions.propose(session, event, envelope.time)


async def on_flag_resolved(session: AsyncSession, event: FlagResolved, envelope: Envelope) -> None:
    """A flag found unfounded, or its report corrected, withdraws its pending proposal."""
    await exclusions.withdraw_for_flag(session, event, envelope.time)


def handlers(settings: IntakeSettings) -> dict[str, dict[str, Handler]]:
    """{producer: {event type: handler}}: one durable consumer per producer."""

    async def reassess(session: AsyncSession, decision: Row[Any], event: GrievanceResolved) -> str:
        """An upheld appeal against an ineligibility: the application is assessed again now."""
        await reassess_application(
            session, decision.application_id, appeal_days=settings.appeal_days
        )
        return REASSESSED

    reversals: dict[str, Reversal] = {
        "excluded": exclusions.lift,
        "ineligible": reassess,
        "waitlisted": keep_on_waitlist,
    }
    return {
        "assets": {DeliveryCompleted.type: on_delivery_completed},
        "monitoring": {
            CaseFlagged.type: on_case_flagged,
            FlagResolved.type: on_flag_resolved,
            GrievanceResolved.type: appeal_handler("intake", IntakeDecisionReversed, reversals),
            CaseClosed.type: on_case_closed,
        },
    }
