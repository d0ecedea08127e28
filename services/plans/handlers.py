"""What plans does with other services' events. Each handler runs in the consumer's transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from plans.business_plans import service
from plans.person import on_applicant_erased
from plans.settings import PlansSettings
from plans.trainings.service.memoranda import record_memorandum
from plans.trainings.service.participants import cancel_participant_places
from shared.consent import on_consent_changed
from shared.decisions import appeal_handler
from shared.events import (
    ApplicantErased,
    CaseFlagged,
    ConsentChanged,
    EnrollmentCancelled,
    Envelope,
    GrievanceResolved,
    MemorandumRecorded,
    ParticipantEnrolled,
    PlansDecisionReversed,
)
from shared.messaging.consumer import Handler
from shared.partner_keys import PARTNER_KEY_HANDLERS

REVISE_PLAN = "revise_plan"


async def on_participant_enrolled(
    session: AsyncSession, event: ParticipantEnrolled, envelope: Envelope
) -> None:
    await service.open_plan_for(session, event)


async def on_enrollment_cancelled(
    session: AsyncSession, event: EnrollmentCancelled, envelope: Envelope
) -> None:
    await service.cancel_open_plans(session, event.participant_id, event.reason)
    await cancel_participant_places(session, event.participant_id)


async def on_case_flagged(session: AsyncSession, event: CaseFlagged, envelope: Envelope) -> None:
    # `action` is the first of `actions`: a rule may ask for a revision after something else.
    if REVISE_PLAN in {event.action, *event.actions}:
        await service.reopen_for_revision(session, event.participant_id, event.rule)


async def on_memorandum_recorded(
    session: AsyncSession, event: MemorandumRecorded, envelope: Envelope
) -> None:
    # The envelope's time orders the versions of one memorandum.
    await record_memorandum(session, event, envelope.time)


def handlers(settings: PlansSettings) -> dict[str, dict[str, Handler]]:
    """{producer: {event type: handler}}: one durable consumer per producer."""
    return {
        "intake": {
            ParticipantEnrolled.type: on_participant_enrolled,
            EnrollmentCancelled.type: on_enrollment_cancelled,
            MemorandumRecorded.type: on_memorandum_recorded,
            ConsentChanged.type: on_consent_changed,
            ApplicantErased.type: on_applicant_erased,
            **PARTNER_KEY_HANDLERS,
        },
        "monitoring": {
            CaseFlagged.type: on_case_flagged,
            # An upheld appeal against a rejection reopens the plan.
            GrievanceResolved.type: appeal_handler(
                "plans", PlansDecisionReversed, {"plan_rejected": service.reopen_rejected}
            ),
        },
    }
