"""What every route of a service answers besides its own results, said once for all of them:

- the problem responses it can give, added to its OpenAPI operation by what the route has (a body:
  400, 413 and 422; parameters: 422; a path parameter: 404; credentials: 401 and 403; a rate
  limit: 429; every route: 500), so that no route is documented without them;
- the OpenAPI links (`links`) from an answer to the operations it leads to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from shared.auth import get_principal
from shared.problems import problem_responses
from shared.ratelimit import RateLimit


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def needs_principal(dependant: Dependant) -> bool:
    return any(call is get_principal for call in _calls(dependant))


def error_statuses(route: Any) -> set[int]:
    """The problem statuses the route (an APIRoute, or FastAPI's context of an included one) can
    answer, from what it takes."""
    dependant = route.dependant
    statuses = {500}
    if route.body_field is not None:
        statuses |= {400, 413, 422}
    if dependant.path_params:
        statuses |= {404, 422}
    if dependant.query_params or dependant.header_params or dependant.cookie_params:
        statuses.add(422)
    if needs_principal(dependant):
        statuses |= {401, 403}
    if any(isinstance(call, RateLimit) for call in _calls(dependant)):
        statuses.add(429)
    return statuses


def document_error_responses(app: FastAPI) -> None:
    """After the service's routers are included: its OpenAPI document gives every operation the
    problem responses of `error_statuses` that the route does not document itself."""
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build_openapi()  # cached by FastAPI: changed in place
        paths = schema.get("paths", {})
        for route in iter_route_contexts(app.routes):
            operations = paths.get(route.path_format, {})
            if not isinstance(route.original_route, APIRoute) or not operations:
                continue
            for method in route.methods or ():
                responses = operations.get(method.lower(), {}).get("responses")
                if responses is None:
                    continue
                for status, response in problem_responses(*sorted(error_statuses(route))).items():
                    responses.setdefault(str(status), response)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


RESPONSE_ID = "$response.body#/id"
"""The `id` of the answer's body: what a create route's links usually pass on."""


def links(
    *targets: str, status: int = 201, if_match: bool = False, **parameters: str
) -> dict[str, Any]:
    """A route's `openapi_extra`: its `status` answer leads on to the operations `targets`
    ("GET /v1/rounds/{round_id}"), so that clients (and schemathesis' stateful phase) chain them.
    Each target gets the runtime expressions in `parameters` for the path parameters it has, and
    with `if_match` a target that changes something gets the answer's ETag as its If-Match."""
    declared: dict[str, Any] = {}
    for target in targets:
        method, path = target.split(" ", 1)
        values = {name: value for name, value in parameters.items() if f"{{{name}}}" in path}
        if if_match and method != "GET":
            values["header.If-Match"] = "$response.header.ETag"
        name = re.sub(r"[^A-Za-z0-9]+", "-", f"{method.lower()}{path}").strip("-")
        pointer = path.replace("~", "~0").replace("/", "~1")
        declared[name] = {
            "operationRef": f"#/paths/{pointer}/{method.lower()}",
            "parameters": values,
        }
    return {"responses": {str(status): {"links": declared}}}
