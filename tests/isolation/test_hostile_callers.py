"""Hostile callers on every operation of every service's OpenAPI: no credentials, bad tokens
(expired, another key's, unsigned, another audience's or issuer's), an unknown or a revoked partner
key get 401; each staff role the route's checks refuse, a token with no Dayaq role and a partner
key with every scope but the route's get 403, as does a token of partner A's own staff where
partners are closed out; partner A's key on partner B's objects gets what routes.py says
(test_partner_isolation's check), and A's staff get 403 or 404 there. Every refusal is a problem
document with no stack trace, no personal field and nothing of B's; staff roles that may not see
personal data read none on any route they may call. Nothing of B's changes. Who may call a route
is read from its dependencies (tests/isolation/callers_support.py)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Role, Scope
from shared.devkeys import mint_token
from tests.api.partner_keys_support import READS, refused_everywhere, status
from tests.isolation.callers_support import (
    DECIDES_INSIDE,
    Callers,
    Headers,
    accepted_twin,
    bearer,
    may_see_personal,
    named_fields,
    other_scopes,
    personal_fields,
    public_operations,
    refused_tokens,
    route_callers,
)
from tests.isolation.conftest import B_APPLICANT, TWIN, World, all_applied, post
from tests.isolation.isolation_support import (
    check,
    example,
    fill,
    leaks,
    operations,
    request,
    sent_text,
    snapshot,
)
from tests.isolation.routes import EXAMPLE, ROUTES
from tests.journey_support import eventually
from tests.service_fixtures import FACTORIES, Auth

# B's personal data: no role that may not see personal data may read it anywhere.
B_PERSONAL = {
    str(person[field])
    for person in (B_APPLICANT, TWIN)
    for field in ("fin", "first_name", "last_name", "birth_date", "phone")
}

# The applicant's personal fields, from intake's OpenAPI document: fin, first_name, last_name,
# patronymic, birth_date, phone, address, category_details.
FIELDS = personal_fields(FACTORIES["intake"][1](None).openapi())


def test_every_route_says_who_may_call_it() -> None:
    """A route's callers come from its `require` checks; one that authenticates without them
    needs a reason in DECIDES_INSIDE, and one that authenticates nobody must be public."""
    problems = []
    for name, (_, create_app) in FACTORIES.items():
        app = create_app(None)
        callers = route_callers(app)
        assert set(callers) == operations(app.openapi()), name
        open_to_all = {op for op, found in callers.items() if found and found.roles is None}
        unauthenticated = {op for op, found in callers.items() if found is None}
        problems += [
            f"{name}: {m.upper()} {p} checks no role or scope and has no reason in DECIDES_INSIDE"
            for m, p in sorted(open_to_all - set(DECIDES_INSIDE[name]))
        ]
        problems += [
            f"{name}: {m.upper()} {p} (DECIDES_INSIDE) is gone, checks roles or is public"
            for m, p in sorted(set(DECIDES_INSIDE[name]) - open_to_all)
        ]
        problems += [
            f"{name}: {m.upper()} {p} authenticates nobody but is not a public entry of routes.py"
            for m, p in sorted(unauthenticated - public_operations(name))
        ]
        problems += [
            f"{name}: {m.upper()} {p} is a public entry of routes.py but authenticates"
            for m, p in sorted(public_operations(name) - unauthenticated)
        ]
    assert not problems, "\n".join(problems)


@dataclass
class Hostile:
    refused: dict[str, Headers]  # every service answers 401, by what is wrong
    roles: dict[Role, Headers]  # a staff token of that role only
    no_role: Headers  # a staff token with roles Dayaq does not know
    partner_staff: Headers  # partner A's own staff: a token bound to A, every role but admin
    # Partner A's keys with every scope but a route's: one for each set of scopes routes name.
    keys_without: dict[frozenset[str], Headers]


async def known_everywhere(world: World, key: str) -> bool:
    """Intake's key events have reached the other services: the key is no longer unknown."""
    return all([await status(world.services[name], name, key) != 401 for name in READS])


def scope_sets(world: World) -> set[frozenset[str]]:
    """The scopes the routes accept, each set once, but for those that take any key."""
    found = {
        callers.scopes
        for service in world.services.values()
        for callers in route_callers(service.app).values()
        if callers is not None and callers.scopes is not None
    }
    return {scopes for scopes in found if other_scopes(scopes)}


@pytest.fixture
async def hostile(world: World, auth: Auth, dev_keys: Path) -> Hostile:
    intake = world.services["intake"]
    me = await intake.client.get("/v1/partners/me", headers=world.a)
    keys_url = f"/v1/partners/{me.json()['id']}/api-keys"

    async def key(scopes: list[str]) -> dict[str, Any]:
        return await post(intake, keys_url, json={"scopes": scopes}, headers=world.staff)

    keys_without = {}
    for scopes in scope_sets(world):
        keys_without[scopes] = {"X-API-Key": (await key(other_scopes(scopes)))["key"]}
    revoked = await key(list(Scope))
    # Every key in force everywhere first: the revoked one is then refused for its revocation,
    # not for being unknown yet.
    for issued in [*(headers["X-API-Key"] for headers in keys_without.values()), revoked["key"]]:
        await eventually(partial(known_everywhere, world, issued), "a key in every service")
    await post(
        intake,
        f"{keys_url}/{revoked['id']}/revoke",
        headers={**world.staff, "If-Match": '"1"'},
    )
    services = {name: world.services[name] for name in READS}
    await eventually(partial(refused_everywhere, services, revoked["key"]), "the revoked key")
    # The forged tokens' claims, signed by the development key, pass: the forged ones are
    # refused for their signature alone.
    for name, url in (("intake", "/v1/rounds"), *READS.items()):
        control = await world.services[name].client.get(url, headers=accepted_twin(dev_keys))
        assert control.status_code == 200, (name, control.text)
    return Hostile(
        refused={
            "no credentials": {},
            **refused_tokens(dev_keys),
            "a revoked partner key": {"X-API-Key": revoked["key"]},
        },
        roles={
            role: auth(role.value, subject=f"matrix-{role.value}")
            for role in Role
            if role is not Role.admin
        },
        no_role=auth("superuser", "root", subject="matrix-no-role"),
        partner_staff=bearer(
            mint_token(
                dev_keys,
                roles=[role.value for role in Role if role is not Role.admin],
                subject="matrix-partner-staff",
                partner_id=uuid.UUID(me.json()["id"]),
            )
        ),
        keys_without=keys_without,
    )


@dataclass
class Call:
    """One operation as the matrix calls it: B's objects in the path, the entry's body."""

    service: str
    client: httpx.AsyncClient
    method: str
    path: str
    url: str
    body: Any

    @property
    def name(self) -> str:
        return f"{self.service}: {self.method.upper()} {self.path}"

    async def send(self, headers: Headers) -> httpx.Response:
        entry = ROUTES[self.service][(self.method, self.path)]
        return await request(self.client, self.method, self.url, headers, entry, self.body)


def prepared(world: World, name: str, spec: dict[str, Any], method: str, path: str) -> Call:
    params, entry = world.params[name], ROUTES[name][(method, path)]
    body = example(spec, spec["paths"][path][method]) if entry.body == EXAMPLE else entry.body
    url = fill(path, params) + entry.query
    return Call(name, world.services[name].client, method, path, url, fill(body, params))


def refusal_problems(
    world: World, call: Call, who: str, sent: Headers, response: httpx.Response, expected: int
) -> list[str]:
    """What is wrong with a hostile caller's answer, if anything."""
    said = f"{call.name}: {who} got {response.status_code}"
    if response.status_code != expected:
        return [f"{said}, not {expected}: {response.text[:300]}"]
    problems = []
    credentials = [value.removeprefix("Bearer").strip() for value in sent.values()]
    if any(credential and credential in response.text for credential in credentials):
        problems.append(f"{said} that repeats the credentials sent")
    if response.headers.get("content-type") != "application/problem+json":
        problems.append(f"{said} without a problem document")
    if expected == 401 and not response.headers.get("www-authenticate", "").startswith("Bearer"):
        problems.append(f"{said} without a WWW-Authenticate challenge")
    if "Traceback" in response.text or 'File "' in response.text:
        problems.append(f"{said} with a stack trace")
    leaked = leaks(world, response, sent_text(call.url, call.body))
    named = named_fields(json.loads(response.text or "null"), FIELDS)
    if leaked or named:
        problems.append(f"{said} with B's {leaked} and personal fields {sorted(named)}")
    return problems


def hostile_callers(hostile: Hostile, callers: Callers) -> list[tuple[str, Headers, int]]:
    """Who calls a route and what each must get."""
    made = [(who, headers, 401) for who, headers in hostile.refused.items()]
    if callers.roles is not None:
        made += [
            (f"a {role.value} token", hostile.roles[role], 403) for role in callers.wrong_roles()
        ]
        made.append(("a token with no Dayaq role", hostile.no_role, 403))
    if callers.scopes == frozenset():
        made.append(("a token of partner A's own staff", hostile.partner_staff, 403))
    if callers.scopes is not None and callers.scopes in hostile.keys_without:
        scopes = ", ".join(sorted(callers.scopes)) or "none"
        made.append(
            (f"a key with every scope but {scopes}", hostile.keys_without[callers.scopes], 403)
        )
    return made


async def personal_reads(
    hostile: Hostile, call: Call, callers: Callers, made: Counter[str]
) -> list[str]:
    """A read by each staff role the route lets through but that may not see personal data
    shows none: no personal field, none of B's personal data."""
    problems = []
    for role in callers.allowed_roles():
        if may_see_personal(call.service, role):
            continue
        response = await call.send(hostile.roles[role])
        made["read without personal data"] += 1
        if response.status_code >= 500:
            problems.append(f"{call.name}: a {role.value} token got {response.status_code}")
        is_json = response.headers.get("content-type", "").endswith("json")
        named = named_fields(response.json(), FIELDS) if is_json else set()
        shown = sorted(value for value in B_PERSONAL if value in response.text)
        if named or shown:
            problems.append(f"{call.name}: a {role.value} token reads {sorted(named)} {shown}")
    return problems


async def hostile_calls(
    world: World, hostile: Hostile, call: Call, callers: Callers, made: Counter[str]
) -> list[str]:
    """Every hostile caller on one operation: what went wrong, if anything."""
    expected = hostile_callers(hostile, callers)
    # All are refused before anything is done: they may run at once.
    answers = await asyncio.gather(*(call.send(headers) for _, headers, _ in expected))
    problems = []
    for (who, headers, status_), response in zip(expected, answers, strict=True):
        problems += refusal_problems(world, call, who, headers, response, status_)
        made[str(status_)] += 1
    return problems


async def partner_staff_calls(
    world: World, hostile: Hostile, call: Call, made: Counter[str]
) -> list[str]:
    """Partner A's own staff on B's objects: refused (403 by role or 404 as A's key is) and shown
    nothing of B's in listings."""
    kind = ROUTES[call.service][(call.method, call.path)].kind
    if kind not in ("owned", "listing"):
        return []  # the others are A's own doings or the programme's, as for A's key
    response = await call.send(hostile.partner_staff)
    made["A's staff on B"] += 1
    who = "a token of partner A's own staff"
    if kind == "owned":
        expected = response.status_code if response.status_code in (403, 404) else 404
        return refusal_problems(world, call, who, hostile.partner_staff, response, expected)
    leaked = leaks(world, response, sent_text(call.url, call.body))
    return [f"{call.name}: {who} sees B's {leaked}"] if leaked else []


async def test_hostile_callers_are_refused_on_every_route(world: World, hostile: Hostile) -> None:
    before = await snapshot(world)
    started = time.perf_counter()
    problems: list[str] = []
    routes = calls = 0
    made: Counter[str] = Counter()  # the matrix's calls by what they expect

    async def count(request: httpx.Request) -> None:
        nonlocal calls
        calls += 1

    for name, service in world.services.items():
        spec = service.app.openapi()
        callers = route_callers(service.app)
        service.client.event_hooks["request"].append(count)
        for method, path in sorted(operations(spec)):
            routes += 1
            assert (method, path) in ROUTES[name], f"{name}: {method} {path} has no entry"
            found = callers[(method, path)]
            if found is None:  # public, as test_every_route_says_who_may_call_it checks
                continue
            call = prepared(world, name, spec, method, path)
            problems += await hostile_calls(world, hostile, call, found, made)
            problems += await check(world, name, spec, method, path)
            made["A on B"] += 1
            problems += await partner_staff_calls(world, hostile, call, made)
            if method == "get":
                problems += await personal_reads(hostile, call, found, made)
        service.client.event_hooks["request"].remove(count)
    assert not problems, "\n".join(problems)
    assert routes == sum(len(entries) for entries in ROUTES.values())
    seconds = time.perf_counter() - started
    print(f"hostile callers: {routes} routes, {calls} calls in {seconds:.0f} s; {dict(made)}")
    services = tuple(world.services.values())
    await eventually(partial(all_applied, services), "every event to be applied")
    after = await snapshot(world)
    assert [url for url in before if after[url] != before[url]] == []
