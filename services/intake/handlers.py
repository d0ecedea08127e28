"""What intake does with other services' events. Each handler runs in the consumer's transaction."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.service import record_benefit, record_exclusion
from intake.applications.models import Application
from intake.privacy.erasure import on_case_closed
from intake.settings import IntakeSettings
from shared.events import CaseClosed, CaseFlagged, DeliveryCompleted, Envelope
from shared.messaging.consumer import Handler

log = logging.getLogger(__name__)

EXCLUDE_FROM_PROGRAMME = "exclude_from_programme"


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
    """A flag asking to exclude the participant (e.g. the assets were sold) excludes the person
    behind them: later applications are not eligible."""
    if EXCLUDE_FROM_PROGRAMME not in {event.action, *event.actions}:
        return
    application = await session.get(Application, event.participant_id)
    if application is None:
        log.warning("flag %s names unknown participant %s", event.flag_id, event.participant_id)
        return
    await record_exclusion(
        session, application.applicant_id, at=envelope.time, rule=event.rule, flag_id=event.flag_id
    )


def handlers(settings: IntakeSettings) -> dict[str, dict[str, Handler]]:
    """{producer: {event type: handler}}: one durable consumer per producer."""
    return {
        "assets": {DeliveryCompleted.type: on_delivery_completed},
        "monitoring": {CaseFlagged.type: on_case_flagged, CaseClosed.type: on_case_closed},
    }
