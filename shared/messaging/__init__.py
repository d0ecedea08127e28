"""Events between services: outbox and relay on the way out, durable consumers and the inbox on
the way in, and dead letters for what could not be applied."""
