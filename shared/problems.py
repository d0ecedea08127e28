"""RFC 9457 problem+json: domain errors raised by service code, and the handlers that render them.

Service code raises `Problem` (or a subclass); one handler per app turns it into a localized
`application/problem+json` response. Never raise `HTTPException` from service code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.context import current_trace
from shared.i18n import has_message, negotiate_language, translate
from shared.logs import mark_logged

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE_URI = "https://dayaq.az/problems/"


class FieldError(BaseModel):
    """One field's error: `field` is a dotted path such as "body.fin" or "query.cursor"."""

    field: str
    code: str
    message: str


class ProblemDetails(BaseModel):
    """The problem+json body. Extra members (e.g. `current_state`) may follow the standard ones."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "https://dayaq.az/problems/validation-error",
                "title": "The request is not valid",
                "status": 422,
                "instance": "/v1/applicants",
                "errors": [{"field": "body.fin", "code": "missing", "message": "Field required"}],
            }
        },
    )

    type: str = Field(
        description="URI of the problem type, e.g. https://dayaq.az/problems/conflict"
    )
    title: str = Field(description="Short summary, in the negotiated language")
    status: int
    detail: str | None = Field(None, description="What happened in this occurrence")
    instance: str | None = Field(None, description="The request path")
    errors: list[FieldError] = Field(default_factory=list, description="Field-level errors")


class Problem(Exception):
    """A domain error with an HTTP status and a problem type.

    `title_key` and `detail` are catalog keys (see shared.i18n) or literal text; `params` fill the
    detail's placeholders. `extras` become extra members of the body.
    """

    def __init__(
        self,
        status: int,
        type: str,
        *,
        detail: str | None = None,
        params: Mapping[str, Any] | None = None,
        errors: Sequence[FieldError] = (),
        extras: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        title_key: str | None = None,
    ) -> None:
        super().__init__(type)
        self.status = status
        self.type = type
        self.title_key = title_key or f"title.{type}"
        self.detail = detail
        self.params: dict[str, Any] = dict(params or {})
        self.errors: list[FieldError] = list(errors)
        self.extras: dict[str, Any] = dict(extras or {})
        self.headers: dict[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, type={self.type!r})"


class NotFound(Problem):
    def __init__(self, resource: str, id: object) -> None:
        super().__init__(
            404, "not-found", detail="detail.not-found", params={"resource": resource, "id": id}
        )


class Conflict(Problem):
    def __init__(
        self,
        detail: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        errors: Sequence[FieldError] = (),
        extras: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            409, "conflict", detail=detail, params=params, errors=errors, extras=extras
        )


class InvalidState(Problem):
    """The aggregate's state does not allow the operation; `current_state` is in the body."""

    def __init__(
        self,
        current_state: str,
        detail: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        extras: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            409,
            "invalid-state",
            detail=detail or "detail.invalid-state",
            params={"current_state": current_state, **(params or {})},
            extras={"current_state": current_state, **(extras or {})},
        )


class PreconditionFailed(Problem):
    def __init__(self, detail: str | None = None) -> None:
        super().__init__(412, "precondition-failed", detail=detail or "detail.precondition-failed")


class PreconditionRequired(Problem):
    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            428, "precondition-required", detail=detail or "detail.precondition-required"
        )


class Forbidden(Problem):
    def __init__(self, detail: str | None = None) -> None:
        super().__init__(403, "forbidden", detail=detail)


class Unauthorized(Problem):
    def __init__(self, detail: str | None = None, *, invalid_token: bool = False) -> None:
        # RFC 6750: say which scheme to use, and whether the token sent was the problem.
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        super().__init__(
            401, "unauthorized", detail=detail, headers={"WWW-Authenticate": challenge}
        )


class ValidationProblem(Problem):
    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        super().__init__(422, "validation-error", detail=detail, errors=errors)


def request_language(request: Request) -> str:
    return negotiate_language(request.headers.get("accept-language"))


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    language = request_language(request)
    type_uri = problem.type if ":" in problem.type else PROBLEM_BASE_URI + problem.type
    body: dict[str, Any] = {
        "type": type_uri,
        "title": translate(problem.title_key, language),
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = translate(problem.detail, language, problem.params)
    body["instance"] = request.url.path
    body["errors"] = [
        {"field": e.field, "code": e.code, "message": translate(e.message, language)}
        for e in problem.errors
    ]
    for name, value in jsonable_encoder(problem.extras).items():
        body.setdefault(name, value)  # extras never replace the standard members
    headers = {"Content-Language": language, "Vary": "Accept-Language", **problem.headers}
    return JSONResponse(
        body, status_code=problem.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def _field_message(error: Mapping[str, Any], language: str) -> str:
    """pydantic's message in `language`; pydantic's English text for types not in the catalog."""
    key = f"pydantic.{error['type']}"
    fallback = str(error.get("msg", error["type"]))
    if not has_message(key):
        return fallback
    context = {name: str(value) for name, value in (error.get("ctx") or {}).items()}
    try:
        return translate(key, language).format_map(context)
    except (KeyError, IndexError, ValueError):
        return fallback


def field_errors(errors: Sequence[Mapping[str, Any]], language: str) -> list[FieldError]:
    """pydantic errors as FieldErrors. The input values are left out: they may be personal data."""
    return [
        FieldError(
            field=".".join(str(part) for part in error["loc"]),
            code=str(error["type"]),
            message=_field_message(error, language),
        )
        for error in errors
    ]


# HTTP errors raised by the framework (unknown route, wrong method, ...) and their problem types.
_HTTP_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "too-many-requests",
    503: "service-unavailable",
}


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(request, exc)


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors(), request_language(request))
    return problem_response(request, ValidationProblem(errors))


def _allowed_methods(request: Request) -> list[str]:
    """Every method that some route takes on the request's path: Starlette's 405 names only
    those of the first route matching the path, and a path may have one route per method."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    slug = _HTTP_TYPES.get(exc.status_code)
    detail: str | None = exc.detail if exc.detail and exc.detail != phrase else None
    if exc.status_code == 404 and detail is None:
        detail = "detail.route-not-found"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    problem = Problem(
        exc.status_code,
        slug or "about:blank",
        detail=detail,
        headers=headers,
        title_key=None if slug else phrase,
    )
    return problem_response(request, problem)


async def _handle_stale_data(request: Request, exc: Exception) -> JSONResponse:
    # A versioned UPDATE matched no row: someone else changed the aggregate meanwhile.
    return problem_response(request, PreconditionFailed())


def current_request_id(request: Request) -> str:
    return current_trace().request_id or request.headers.get("x-request-id") or "-"


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = current_request_id(request)
    # Neither the body nor the query string is logged: both may hold personal data. The
    # exception is formatted without its message (shared.logs), and once: not again by uvicorn
    # when Starlette re-raises it after this response.
    logger.error(
        "unhandled %s on %s %s (request %s)",
        type(exc).__qualname__,
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
        extra={"request_id": request_id},
    )
    mark_logged(exc)
    problem = Problem(
        500, "internal-error", detail="detail.internal-error", params={"request_id": request_id}
    )
    return problem_response(request, problem)


_PROBLEM_SCHEMA_REF = {"$ref": "#/components/schemas/ProblemDetails"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's `responses=`: documents each status as a problem+json response."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA_REF}},
        }
        for status in statuses
    }


def _install_openapi_schemas(app: FastAPI) -> None:
    """Adds ProblemDetails to the OpenAPI components, and documents 422 as a problem."""
    build_openapi: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = ProblemDetails.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(problem_schema.pop("$defs", {}))
        components["ProblemDetails"] = problem_schema
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                response = (
                    operation.get("responses", {}).get("422")
                    if isinstance(operation, dict)
                    else None
                )
                if response is not None:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA_REF}}
        # FastAPI's own 422 schemas are now unused (unless a service named a model the same).
        components.pop("HTTPValidationError", None)
        if '"#/components/schemas/ValidationError"' not in json.dumps(schema):
            components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(StaleDataError, _handle_stale_data)
    # Starlette routes an `Exception` handler to its outermost middleware, which answers with our
    # problem and then re-raises so that the server sees the failure too.
    app.add_exception_handler(Exception, _handle_unexpected)
    _install_openapi_schemas(app)
