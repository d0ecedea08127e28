"""What intake does with other services' events. Each handler runs in the consumer's transaction."""

from shared.messaging.consumer import Handler

HANDLERS: dict[str, dict[str, Handler]] = {}
