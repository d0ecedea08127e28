"""What plans does with other services' events. Each handler runs in the consumer's transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from plans.business_plans import service
from shared.events import Envelope, ParticipantEnrolled
from shared.messaging.consumer import Handler
from shared.partner_keys import PARTNER_KEY_HANDLERS


async def on_participant_enrolled(
    session: AsyncSession, event: ParticipantEnrolled, envelope: Envelope
) -> None:
    await service.open_plan_for(session, event)


HANDLERS: dict[str, dict[str, Handler]] = {
    "intake": {ParticipantEnrolled.type: on_participant_enrolled, **PARTNER_KEY_HANDLERS},
}
