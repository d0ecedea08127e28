"""What the current request or event is about, carried in context variables so that logs and the
events written during it name the same correlation id and principal without passing them around."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


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
