"""What assets does with other services' events. Each handler runs in the consumer's transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from assets.deliveries.service import on_item_status_reported
from assets.orders import service
from assets.person import on_applicant_erased
from assets.settings import AssetsSettings
from shared.consent import on_consent_changed
from shared.decisions import appeal_handler
from shared.events import (
    ApplicantErased,
    AssetsDecisionReversed,
    ConsentChanged,
    Envelope,
    GrievanceResolved,
    ItemStatusReported,
    PlanApproved,
    PlanStateChanged,
)
from shared.messaging.consumer import Handler
from shared.partner_keys import PARTNER_KEY_HANDLERS


async def on_plan_approved(session: AsyncSession, event: PlanApproved, envelope: Envelope) -> None:
    await service.open_order_for(session, event)


async def on_plan_state_changed(
    session: AsyncSession, event: PlanStateChanged, envelope: Envelope
) -> None:
    if event.state == "cancelled":
        await service.cancel_for_plan(session, event.plan_id)


def handlers(settings: AssetsSettings) -> dict[str, dict[str, Handler]]:
    """{producer: {event type: handler}}: one durable consumer per producer."""
    return {
        "plans": {
            PlanApproved.type: on_plan_approved,
            PlanStateChanged.type: on_plan_state_changed,
        },
        # Partners' API keys, so that assets authenticates partners without asking intake.
        # A person's consent to share with the referring partner, and their erasure.
        "intake": {
            **PARTNER_KEY_HANDLERS,
            ConsentChanged.type: on_consent_changed,
            ApplicantErased.type: on_applicant_erased,
        },
        "monitoring": {
            # Monitors' findings about delivered items: missing, sold, dead, broken.
            ItemStatusReported.type: on_item_status_reported,
            # An upheld appeal against a cancellation restores the order.
            GrievanceResolved.type: appeal_handler(
                "assets", AssetsDecisionReversed, {"order_cancelled": service.restore_cancelled}
            ),
        },
    }
