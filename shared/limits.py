"""Limits on what a request may send, enforced before anything is parsed: one pure ASGI middleware.

- Body size: `max_body_bytes` (1 MB) for JSON and every other body; a route that takes uploads
  declares its own limit with `@upload_limit("<setting>")` under its route decorator. A body is
  refused with 413 as soon as its Content-Length says too much, or as soon as the bytes streamed
  (chunked bodies too) pass the limit.
- Credentials: a route that needs a principal verifies it before the first byte of the body is
  read, so an anonymous or forged caller cannot make the service read (and hold) a large body.
- NUL characters, which PostgreSQL cannot store in text: refused with 422 naming the field, in the
  path, the query string, the headers and every string (or key) of a JSON body; in a JSON body
  also half a surrogate pair (`\\ud800` alone), which is no UTF-8 text at all.

The checks that need the route run at the body's first read: by then the router has put the
route in the scope, and the body parsing has not started. A refusal raised there is an
HTTPException, which FastAPI lets through its body parsing to our problem handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import authenticate, get_principal
from shared.i18n import add_messages
from shared.problems import FieldError, Problem, ValidationProblem, problem_response
from shared.routes import needs_principal
from shared.settings import ServiceSettings

# Multipart boundaries, part headers and the small form fields beside an uploaded file.
UPLOAD_OVERHEAD_BYTES = 64 * 1024

add_messages(
    {
        "detail.body-too-large": {
            "az": "Sorğunun gövdəsi {limit} baytdan böyük ola bilməz",
            "en": "The request body may be at most {limit} bytes",
            "ru": "Тело запроса может быть не больше {limit} байт",
        },
        "field.body-too-large": {
            "az": "Gövdə həddən böyükdür",
            "en": "The body is over the size limit",
            "ru": "Тело больше допустимого размера",
        },
        "field.unpaired-surrogate": {
            "az": "Cütü olmayan UTF-16 surroqatı (\\ud800–\\udfff) qəbul edilmir",
            "en": "Half a UTF-16 surrogate pair (\\ud800–\\udfff) is not accepted",
            "ru": "Непарный суррогат UTF-16 (\\ud800–\\udfff) не допускается",
        },
        "field.null-character": {
            "az": "NUL simvolu (\\u0000) qəbul edilmir",
            "en": "The NUL character (\\u0000) is not accepted",
            "ru": "Символ NUL (\\u0000) не допускается",
        },
    }
)

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_UPLOAD_LIMIT_ATTRIBUTE = "__dayaq_upload_limit_setting__"


def upload_limit(setting: str) -> Callable[[Endpoint], Endpoint]:
    """Marks a route as an upload: its body may be as large as the service setting `setting`
    (bytes of the file) plus the multipart overhead, instead of `max_body_bytes`. Goes under the
    route decorator:

        @router.post("/deliveries/{delivery_id}/act", ...)
        @upload_limit("max_upload_bytes")
        async def upload_act(...): ...
    """

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _UPLOAD_LIMIT_ATTRIBUTE, setting)
        return endpoint

    return mark


class RequestRefused(StarletteHTTPException):
    """A request refused by these limits; carries the problem to answer with."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.status)
        self.problem = problem


def body_too_large(limit: int) -> Problem:
    return Problem(
        413,
        "payload-too-large",
        detail="detail.body-too-large",
        params={"limit": limit},
        errors=[FieldError(field="body", code="too_large", message="field.body-too-large")],
        extras={"limit": limit},
    )


def _nul(field: str) -> FieldError:
    return FieldError(field=field, code="null_character", message="field.null-character")


_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,64}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(0000|[dD][89abcdefABCDEF])")


def _nul_fields_outside_body(scope: Scope) -> list[FieldError]:
    errors: list[FieldError] = []
    if "\x00" in scope["path"]:
        errors.append(_nul("path"))
    query = scope.get("query_string", b"").decode("latin-1")
    if "\x00" in query or "%00" in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                # The parameter's name when it is one, never text the caller made up.
                clean = name.replace("\x00", "")
                errors.append(_nul(f"query.{clean}" if _SAFE_NAME.fullmatch(clean) else "query"))
    for name, value in scope["headers"]:
        if b"\x00" in value:
            errors.append(_nul(f"header.{name.decode('latin-1')}"))
    return errors


def _unstorable(text: str) -> FieldError | None:
    """NUL, or half a UTF-16 surrogate pair (no UTF-8 text holds one): PostgreSQL stores neither."""
    if "\x00" in text:
        return _nul("")
    if _SURROGATE.search(text):
        return FieldError(field="", code="unpaired_surrogate", message="field.unpaired-surrogate")
    return None


def _unstorable_fields_in_json(value: Any, location: str) -> Iterator[FieldError]:
    if isinstance(value, str):
        if error := _unstorable(value):
            yield error.model_copy(update={"field": location})
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable_fields_in_json(item, f"{location}.{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if error := _unstorable(key):
                yield error.model_copy(update={"field": location})
            else:
                # A key the caller made up is not echoed: the object's location names it.
                where = f"{location}.{key}" if _SAFE_NAME.fullmatch(key) else location
                yield from _unstorable_fields_in_json(item, where)


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type = bytes(value).decode("latin-1").split(";")[0].strip().lower()
            return media_type == "application/json" or media_type.endswith("+json")
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class _RoutePolicy:
    protected: bool
    upload_setting: str | None


class RequestLimits:
    """The middleware; `install_request_limits` puts it in an app."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings) -> None:
        self.app = app
        self.settings = settings
        # By id: routes compare by value, and each lives as long as the app.
        self._policies: dict[int, _RoutePolicy] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if errors := _nul_fields_outside_body(scope):
            await _answer(scope, receive, send, ValidationProblem(errors))
            return
        body = _GuardedBody(self, scope, receive)
        started = False

        async def send_started(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, body.receive, send_started)
        except RequestRefused as refused:
            # Raised where no problem handler runs (a middleware reading the body, say).
            if started:
                raise
            await _answer(scope, receive, send, refused.problem)

    def policy(self, route: BaseRoute | None, app: Any) -> _RoutePolicy:
        if route is None:
            return _RoutePolicy(protected=False, upload_setting=None)
        if id(route) not in self._policies:
            dependant = getattr(route, "dependant", None)
            overridden = get_principal in getattr(app, "dependency_overrides", {})
            self._policies[id(route)] = _RoutePolicy(
                protected=dependant is not None and not overridden and needs_principal(dependant),
                upload_setting=getattr(
                    getattr(route, "endpoint", None), _UPLOAD_LIMIT_ATTRIBUTE, None
                ),
            )
        return self._policies[id(route)]

    def limit(self, policy: _RoutePolicy) -> int:
        if policy.upload_setting is None:
            return self.settings.max_body_bytes
        return int(getattr(self.settings, policy.upload_setting)) + UPLOAD_OVERHEAD_BYTES


class _GuardedBody:
    """The request's `receive`, checking before the first read and counting every byte."""

    def __init__(self, limits: RequestLimits, scope: Scope, receive: Receive) -> None:
        self.limits = limits
        self.scope = scope
        self._receive = receive
        self.limit: int | None = None
        self.received = 0
        self.json_chunks: list[bytes] | None = [] if _is_json(scope) else None

    async def receive(self) -> Message:
        if self.limit is None:
            self.limit = await self._before_first_read()
        message = await self._receive()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            self.received += len(chunk)
            if self.received > self.limit:
                raise RequestRefused(body_too_large(self.limit))
            if self.json_chunks is not None:
                self.json_chunks.append(chunk)
                if not message.get("more_body", False):
                    self._check_json(b"".join(self.json_chunks))
                    self.json_chunks = None
        return message

    async def _before_first_read(self) -> int:
        policy = self.limits.policy(self.scope.get("route"), self.scope.get("app"))
        if policy.protected:
            try:
                await authenticate(Request(self.scope))
            except Problem as problem:
                raise RequestRefused(problem) from None
        limit = self.limits.limit(policy)
        length = _content_length(self.scope)
        if length is not None and length > limit:
            raise RequestRefused(body_too_large(limit))
        return limit

    @staticmethod
    def _check_json(body: bytes) -> None:
        # A JSON string holds NUL and lone surrogates only as escapes (\u0000, \ud800): parse
        # only the bodies that have one.
        if not _UNSTORABLE_ESCAPE.search(body):
            return
        try:
            document = json.loads(body)
        except ValueError:
            return  # not JSON after all: the route's own parsing says so
        if errors := list(_unstorable_fields_in_json(document, "body")):
            raise RequestRefused(ValidationProblem(errors))


async def _answer(scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
    response = problem_response(Request(scope, receive), problem)
    await response(scope, receive, send)


async def _handle_refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestRefused)
    return problem_response(request, exc.problem)


def install_request_limits(app: FastAPI, settings: ServiceSettings) -> None:
    app.add_exception_handler(RequestRefused, _handle_refused)
    app.add_middleware(RequestLimits, settings=settings)
