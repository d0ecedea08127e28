"""What intake does with other services' events. Each handler runs in the consumer's transaction."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.service import record_benefit
from intake.applications.models import Application
from shared.events import DeliveryCompleted, Envelope
from shared.messaging.consumer import Handler

log = logging.getLogger(__name__)


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


HANDLERS: dict[str, dict[str, Handler]] = {
    "assets": {DeliveryCompleted.type: on_delivery_completed},
}
