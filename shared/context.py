"""What the current request or event is about, carried in context variables so that logs and the
events written during it name the same correlation id and principal without passing them around."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from uuid import UUID, uuid4

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Trace:
    correlation_id: str | None = None
    causation_id: str | None = None
    principal: str | None = None
    request_id: str | None = None


_current: ContextVar[Trace] = ContextVar("dayaq_trace", default=Trace())  # noqa: B039


def current_trace() -> Trace:
    return _current.get()


@contextmanager
def traced(**changes: str | None) -> Iterator[Trace]:
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_trace(**changes: str | None) -> None:
    """For middleware whose context ends with the request's own task."""
    _current.set(replace(_current.get(), **changes))


# --- The request's ids, set by one pure ASGI middleware -----------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
CORRELATION_ID_HEADER = "X-Correlation-ID"
# What a caller's X-Correlation-ID may be (a UUID is one); anything else is replaced.
SAFE_CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_log = logging.getLogger(__name__)


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


class RequestIds:
    """Gives every HTTP request its request id and correlation id, in the trace (so in every log
    line and event) and on the response.

    - `X-Request-ID`: the caller's when it is a UUID (a 32-hex id from nginx or OpenTelemetry is
      one), else a new one; the request's own headers carry it on, as the response's do.
    - `X-Correlation-ID`: joins the request to a larger piece of work. It goes into every log
      line and event, so only a short safe token (1-64 of `[A-Za-z0-9._-]`, a UUID is one) is
      kept as the caller sent it; anything else is replaced by the request id.

    Pure ASGI, in the request's own task: what it sets in the trace is what the route sees.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = MutableHeaders(scope=scope)
        sent_request_id = headers.get(REQUEST_ID_HEADER)
        if sent_request_id and _is_uuid(sent_request_id):
            request_id = sent_request_id
        else:
            request_id = uuid4().hex
            if sent_request_id:
                _log.warning("request id replaced by %s: the one sent is not a UUID", request_id)
            headers[REQUEST_ID_HEADER] = request_id
        sent = headers.get(CORRELATION_ID_HEADER, "")
        correlation = sent if SAFE_CORRELATION_ID.fullmatch(sent) else request_id
        set_trace(request_id=request_id, correlation_id=correlation)

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers[CORRELATION_ID_HEADER] = correlation
                response_headers.append(REQUEST_ID_HEADER, request_id)
            await send(message)

        await self.app(scope, receive, send_with_ids)
