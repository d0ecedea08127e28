"""A durable pull consumer with an inbox: each event is applied at most once, and acked only after
the transaction that applied it (and recorded its id in the inbox) has committed.

A failing event is retried with a growing delay while later events keep flowing; past the
attempt limit it goes to the dead-letter stream. Attempts are counted in the database, since
JetStream's own delivery count can reset. The loop survives fetch time-outs, hung fetches and
nats-server restarts: any failure of the subscription makes it subscribe again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.context import traced
from shared.events import EVENT_TYPES, Envelope, Event, event_model
from shared.messaging.cancel import raise_if_cancelling
from shared.messaging.deadletters import dead_letter
from shared.messaging.jetstream import durable_name, event_type_of, stream_name, subject_for
from shared.metrics import (
    EVENTS_APPLIED,
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    EVENTS_REFUSED,
)
from shared.tables import SHARED_TABLES

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Any, Envelope], Awaitable[None]]
"""An event handler: applies the event in the given session; it must not commit."""


def error_code(exc: BaseException) -> str:
    """What is kept of a failure, in the inbox and in dead-letter headers: the exception's class
    and the database's SQLSTATE, never its message (PostgreSQL's DETAIL repeats row values)."""
    name = exc.__class__.__name__
    sqlstate = getattr(exc, "sqlstate", None) or getattr(
        getattr(exc, "orig", None), "sqlstate", None
    )
    return f"{name} (SQLSTATE {sqlstate})" if isinstance(sqlstate, str) else name


class Consumer:
    def __init__(
        self,
        *,
        name: str,
        producer: str,
        handlers: Mapping[str, Handler],
        sessionmaker: async_sessionmaker[AsyncSession],
        nc: NATS,
        namespace: str = "",
        max_attempts: int = 5,
        retry_base_seconds: float = 0.5,
        batch_size: int = 50,
        fetch_timeout: float = 2.0,
    ) -> None:
        self.name = name  # the durable consumer's name, and the inbox's consumer column
        self._producer = producer
        self._handlers = dict(handlers)
        self._sessionmaker = sessionmaker
        self._nc = nc
        self._namespace = namespace
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self._resubscribe = asyncio.Event()

    @property
    def durable(self) -> str:
        return durable_name(self._namespace, self.name)

    def reconnected(self) -> None:
        """Called on a NATS reconnect: subscriptions made before a server restart may be dead."""
        self._resubscribe.set()

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise_if_cancelling()
                log.warning("consumer %s resubscribing after %s", self.name, exc.__class__.__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            else:
                backoff = 0.2

    async def _consume(self) -> None:
        js = self._nc.jetstream()
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30,
            # The inbox counts attempts; this only stops a message looping if the database is away.
            max_deliver=-1,
            max_ack_pending=1000,
        )
        subscription = await js.pull_subscribe(
            subject_for(self._namespace, f"{self._producer}.>"),
            durable=self.durable,
            stream=stream_name(self._namespace, self._producer),
            config=config,
        )
        self._resubscribe.clear()
        try:
            while not self._resubscribe.is_set():
                try:
                    # A fetch has been seen to hang past its own timeout: bound it from outside.
                    messages = await asyncio.wait_for(
                        subscription.fetch(self._batch_size, timeout=self._fetch_timeout),
                        timeout=self._fetch_timeout + 5,
                    )
                    raise_if_cancelling()
                except (NatsTimeoutError, TimeoutError):
                    raise_if_cancelling()
                    continue  # nothing to do: an empty fetch raises instead of returning []
                for message in messages:
                    await self.handle(message)
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def handle(self, message: Msg) -> None:
        try:
            envelope = Envelope.model_validate_json(message.data)
        except ValidationError:
            # Not an event at all: retrying cannot help.
            await self._dead_letter(message, None, "malformed envelope", attempts=1)
            return
        refusal = self._refusal(message, envelope)
        if refusal is not None:
            await self._refuse(message, refusal)
            return
        handler = self._handlers.get(envelope.type)
        if handler is None:
            await message.ack()
            return
        try:
            applied = await self._apply(handler, envelope)
        except Exception as exc:
            await self._failed(message, envelope, exc)
            return
        (EVENTS_APPLIED if applied else EVENTS_DUPLICATE).labels(self.name, envelope.type).inc()
        await message.ack()

    def _refusal(self, message: Msg, envelope: Envelope) -> str | None:
        """Why an event on this producer's stream cannot be its producer's, if it cannot.

        NATS lets only the producer publish on its stream; this also catches an event that claims
        another sender, of a type another service owns, or under another subject than its type."""
        if envelope.source != f"/dayaq/{self._producer}":
            return "source"
        if event_type_of(self._namespace, message.subject) != envelope.type:
            return "subject"
        model = EVENT_TYPES.get(envelope.type)
        if model is not None and model.source_service != self._producer:
            return "type"
        return None

    async def _refuse(self, message: Msg, reason: str) -> None:
        EVENTS_REFUSED.labels(self.name, reason).inc()
        # Nothing of the event's content is logged: it did not come from who it claims.
        log.error(
            "consumer %s refused the event at stream sequence %d: %s does not match the stream",
            self.name,
            message.metadata.sequence.stream,
            reason,
        )
        # Dead-lettered, so that an operator sees it; never applied.
        await self._dead_letter(message, None, f"refused: {reason} mismatch", attempts=1)

    async def _apply(self, handler: Handler, envelope: Envelope) -> bool:
        """Apply in one transaction with the inbox row; False when it was applied before."""
        event: Event = event_model(envelope)
        inbox = SHARED_TABLES.inbox
        async with self._sessionmaker() as session, session.begin():
            first_time = await session.scalar(
                insert(inbox)
                .values(consumer=self.name, event_id=envelope.id, event_type=envelope.type)
                .on_conflict_do_nothing()
                .returning(inbox.c.event_id)
            )
            if first_time is None:
                return False
            with traced(
                correlation_id=envelope.correlationid,
                causation_id=str(envelope.id),
                principal=envelope.principal,
            ):
                await handler(session, event, envelope)
        return True

    async def _failed(self, message: Msg, envelope: Envelope, exc: Exception) -> None:
        EVENTS_FAILED.labels(self.name, envelope.type).inc()
        # Never the message: a database error's text can carry row values (personal data).
        error = error_code(exc)
        log.warning(
            "consumer %s failed on %s %s: %s",
            self.name,
            envelope.type,
            envelope.id,
            exc.__class__.__name__,
        )
        try:
            attempts = await self._count_attempt(message, envelope, error)
        except Exception:
            await message.nak(delay=self._retry_base)  # the database itself is away
            return
        if attempts >= self._max_attempts:
            await self._dead_letter(message, envelope, error, attempts)
        else:
            await message.nak(delay=self._retry_base * 2 ** (attempts - 1))

    async def _count_attempt(self, message: Msg, envelope: Envelope, error: str) -> int:
        table = SHARED_TABLES.delivery_attempts
        first = insert(table).values(
            consumer=self.name,
            stream_sequence=message.metadata.sequence.stream,
            event_id=envelope.id,
            attempts=1,
            last_error=error,
        )
        statement = first.on_conflict_do_update(
            index_elements=[table.c.consumer, table.c.stream_sequence],
            set_={
                "attempts": table.c.attempts + 1,
                "last_error": first.excluded.last_error,
                "updated_at": func.now(),
            },
        ).returning(table.c.attempts)
        async with self._sessionmaker() as session, session.begin():
            attempts: int | None = await session.scalar(statement)
        assert attempts is not None
        return attempts

    async def _dead_letter(
        self, message: Msg, envelope: Envelope | None, error: str, attempts: int
    ) -> None:
        event_type = envelope.type if envelope else "unknown"
        await dead_letter(
            self._nc.jetstream(),
            namespace=self._namespace,
            consumer=self.name,
            original_subject=event_type_of(self._namespace, message.subject),
            stream_sequence=message.metadata.sequence.stream,
            data=message.data,
            error=error,
            attempts=attempts,
        )
        EVENTS_DEAD_LETTERED.labels(self.name, event_type).inc()
        log.error("consumer %s dead-lettered %s after %d attempts", self.name, event_type, attempts)
        await message.ack()
