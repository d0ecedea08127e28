"""Partner A's calls on partner B's objects, one operation at a time, as routes.py says: for
test_partner_isolation and the hostile callers' matrix (test_hostile_callers)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx

from tests.isolation.conftest import World
from tests.isolation.routes import EXAMPLE, ROUTES, Entry

Operation = tuple[str, str]  # method, path template


def operations(spec: dict[str, Any]) -> set[Operation]:
    return {(method, path) for path, methods in spec["paths"].items() for method in methods}


def fill(value: Any, params: dict[str, str]) -> Any:
    """The body or path with B's objects for its "{param}" placeholders."""
    if isinstance(value, str):
        return value.format(**params) if "{" in value else value
    if isinstance(value, list):
        return [fill(item, params) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, params) for key, item in value.items()}
    return value


def example(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    """The JSON request body's example from the OpenAPI document, if the operation takes one."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    examples = schema.get("examples") or [content.get("example")]
    return examples[0]


def readable(path: str, spec: dict[str, Any]) -> str:
    """The route that reads the object a path names: the path itself or the nearest above it."""
    parts = path.split("/")
    while parts:
        candidate = "/".join(parts)
        if "get" in spec["paths"].get(candidate, {}) and "{" in candidate:
            return candidate
        parts.pop()
    raise AssertionError(f"no route reads the object of {path}")


def ids(params: dict[str, str]) -> list[str]:
    """The path parameters that hold ids (not codes, days or names)."""
    return [name for name, value in params.items() if name.endswith("_id") and is_uuid(value)]


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def problem(response: httpx.Response, asked: dict[str, str]) -> tuple[int, Any]:
    """A refusal as the caller sees it, but for the ids it asked about."""
    text = response.text
    for name, value in asked.items():
        text = text.replace(value, f"{{{name}}}")
    try:
        body = json.loads(text)
    except ValueError:
        return response.status_code, text
    body.pop("instance", None)
    return response.status_code, body


def sent_text(url: str, body: Any) -> str:
    return url + json.dumps(body, ensure_ascii=False)


def leaks(world: World, response: httpx.Response, sent: str) -> list[str]:
    """B's ids and personal data in the response, but for those A sent itself."""
    seen = response.text + " ".join(response.headers.values())
    return sorted(secret for secret in world.secrets if secret in seen and secret not in sent)


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    entry: Entry,
    body: Any,
) -> httpx.Response:
    return await client.request(
        method.upper(),
        url,
        headers={**headers, "If-Match": "*"},
        json=body if entry.files is None else None,
        files=entry.files,
    )


async def snapshot(world: World) -> dict[str, Any]:
    """What staff sees of every object a route reads by id (B's, and the staff's ones B's are
    tied to): it must not change under A's calls."""
    seen: dict[str, Any] = {}
    for name, service in world.services.items():
        for (method, path), entry in ROUTES[name].items():
            # An audit trail grows with every read, staff's own included.
            if method != "get" or "{" not in path or path.endswith("/audit"):
                continue
            url = fill(path, world.params[name]) + entry.query
            response = await service.client.get(url, headers=world.staff)
            is_json = response.headers.get("content-type", "").endswith("json")
            body = response.json() if is_json else hashlib.sha256(response.content).hexdigest()
            if path.endswith("/pdf"):
                body = None  # rendered afresh each time
            seen[url] = (response.status_code, response.headers.get("etag"), body)
    return seen


async def check(world: World, name: str, spec: dict[str, Any], method: str, path: str) -> list[str]:
    """A's call of one operation, as its entry says; what went wrong, if anything."""
    service, params, entry = world.services[name], world.params[name], ROUTES[name][(method, path)]
    route = f"{name}: {method.upper()} {path}"
    url = fill(path, params) + entry.query
    body = entry.body
    if body == EXAMPLE:
        body = example(spec, spec["paths"][path][method])
    body = fill(body, params)
    headers = {} if entry.kind == "public" else world.a
    response = await request(service.client, method, url, headers, entry, body)
    problems = []
    if response.status_code != entry.status:
        problems.append(
            f"{route}: A got {response.status_code}, not {entry.status}: {response.text[:300]}"
        )
    leaked = leaks(world, response, sent_text(url, body))
    if leaked:
        problems.append(f"{route}: A's answer holds B's {leaked}")
    if entry.kind == "owned":
        if response.headers.get("content-type") != "application/problem+json":
            problems.append(f"{route}: A's refusal is not a problem document")
        # No existence oracle: B's object is refused exactly like a missing one.
        b_ids = {param: params[param] for param in ids(params)}
        fresh = {param: str(uuid.uuid4()) for param in b_ids}
        missing = fill(path, {**params, **fresh}) + entry.query
        absent = await request(service.client, method, missing, world.a, entry, body)
        if problem(absent, fresh) != problem(response, b_ids):
            problems.append(
                f"{route}: A's refusal {response.text} is not a missing object's {absent.text}"
            )
        # B or staff reads the object, so A's refusal is about A, not a missing object.
        proof = readable(path, spec)
        proof_url = fill(proof, params) + (entry.query if proof == path else "")
        statuses = [
            (await service.client.get(proof_url, headers=who)).status_code
            for who in (world.b, world.staff)
        ]
        if 200 not in statuses:
            problems.append(f"{route}: B and staff got {statuses} from GET {proof_url}")
    if entry.kind == "listing":
        # The same call by B (or staff) shows B's: A's answer was filtered, not empty.
        found = []
        for who in (world.b, world.staff):
            theirs = await request(service.client, method, url, who, entry, body)
            found += [secret for secret in world.secrets if secret in theirs.text]
        if not found:
            problems.append(f"{route}: neither B nor staff see any of B's in {url}")
    return problems
