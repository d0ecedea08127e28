"""Connecting to NATS and naming streams and subjects.

One stream per producing service (`INTAKE` with subjects `intake.>`, ...), file storage. A namespace
prefixes both, so that several environments or test runs can share one NATS without meeting.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

if TYPE_CHECKING:  # identities names its permissions from this module's names
    from shared.messaging.identities import NatsIdentity

log = logging.getLogger(__name__)

PRODUCERS = ("intake", "plans", "assets", "monitoring")
DEADLETTER = "deadletter"
DUPLICATE_WINDOW = timedelta(minutes=2)


def subject_for(namespace: str, event_type: str) -> str:
    return f"{namespace}.{event_type}" if namespace else event_type


def event_type_of(namespace: str, subject: str) -> str:
    return subject.removeprefix(f"{namespace}.") if namespace else subject


def durable_name(namespace: str, consumer: str) -> str:
    return f"{namespace}_{consumer}" if namespace else consumer


def stream_name(namespace: str, service: str) -> str:
    name = service.upper()
    return f"{namespace.upper()}_{name}" if namespace else name


def stream_config(namespace: str, service: str, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=stream_name(namespace, service),
        subjects=[subject_for(namespace, f"{service}.>")],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW.total_seconds(),
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to this configuration; safe to repeat. Only
    the operator's identity may update a stream (see `create_stream_if_missing`)."""
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        try:
            await js.add_stream(config)
            return
        except BadRequestError:  # created by another service at the same moment
            pass
    await js.update_stream(config)


async def ensure_streams(
    js: JetStreamContext, namespace: str, *services: str, replicas: int = 1
) -> None:
    for service in services:
        await ensure_stream(js, stream_config(namespace, service, replicas))


async def create_stream_if_missing(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream unless it exists, never changing one that does: what a service does at
    start, for its own stream and the dead letters. Only the operator may change a stream's
    configuration (`dayaq streams`), so a compromised service cannot redirect its events (say,
    by a republish into another service's subjects)."""
    try:
        await js.add_stream(config)
    except BadRequestError as error:
        if error.err_code != _STREAM_NAME_IN_USE:
            raise
        log.warning(
            "stream %s exists with another configuration; `dayaq streams` (the operator) "
            "brings it up to date",
            config.name,
        )


async def provision_streams(
    nats_url: str, namespace: str, *, identity: NatsIdentity, replicas: int = 1
) -> int:
    """The operator's `dayaq streams`: every service's stream and the dead letters, created or
    updated to this release's configuration."""
    nc = await nats.connect(
        nats_url, connect_timeout=5, max_reconnect_attempts=0, **identity.connect_options()
    )
    try:
        js = nc.jetstream()
        for service in (*PRODUCERS, DEADLETTER):
            config = stream_config(namespace, service, replicas)
            await ensure_stream(js, config)
            print(f"{config.name}\t{', '.join(config.subjects or [])}")
    finally:
        await nc.close()
    return 0


async def ensure_own_stream(
    js: JetStreamContext, namespace: str, service: str, replicas: int = 1
) -> None:
    await create_stream_if_missing(js, stream_config(namespace, service, replicas))


# JetStream's answer to creating a stream that exists with another configuration.
_STREAM_NAME_IN_USE = 10058


async def connect(
    url: str,
    name: str,
    on_reconnect: Callable[[], Awaitable[None]] | None = None,
    **options: Any,
) -> NATS:
    """A connection that keeps reconnecting for as long as the service runs. `options` go to
    `nats.connect`: the identity's credentials and TLS (`NatsIdentity.connect_options()`)."""

    async def disconnected() -> None:
        log.warning("nats disconnected", extra={"nats_url": url})

    async def reconnected() -> None:
        log.info("nats reconnected", extra={"nats_url": url})
        if on_reconnect is not None:
            await on_reconnect()

    async def error(exc: Exception) -> None:
        log.warning("nats error: %s", exc.__class__.__name__)

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        allow_reconnect=True,
        # A shutdown must not wait half a minute for subscriptions that will never drain.
        drain_timeout=5,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
        **options,
    )
