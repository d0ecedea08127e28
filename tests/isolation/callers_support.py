"""Who may call each route, read from the route's dependencies rather than from a hand list, and
the hostile callers that may not.

A route's callers are the `shared.auth.require` checks in its dependency tree (their `roles` and
`scopes`): a staff role outside the roles (admin passes always) and a partner key without one of
the scopes are refused with 403. A route that authenticates without `require` decides inside and
needs a reason in DECIDES_INSIDE; a route that does not authenticate at all must be a `public`
entry of routes.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from time import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from intake.applicants.service import may_see_personal_data
from monitoring.access import reads_notes
from shared.auth import CLOCK_SKEW_SECONDS, Principal, Role, RoleCheck, Scope, get_principal
from shared.devkeys import DEV_TOKEN_ISSUER, mint_token
from tests.isolation.isolation_support import Operation
from tests.isolation.routes import ROUTES

Headers = dict[str, str]

# Routes any signed-in caller may call: what they decide inside, and why that is enough.
DECIDES_INSIDE: dict[str, dict[Operation, str]] = {
    "intake": {},
    "plans": {
        ("get", "/v1/directions"): "the programme's directions, the same for every caller",
        ("get", "/v1/directions/{code}"): "the programme's directions, the same for every caller",
    },
    "assets": {},
    "monitoring": {},
}


@dataclass(frozen=True)
class Callers:
    """Who passes a route's checks; roles and scopes are None where the route checks none (any
    signed-in caller passes)."""

    roles: frozenset[Role] | None
    scopes: frozenset[str] | None

    def wrong_roles(self) -> list[Role]:
        if self.roles is None:
            return []
        return [role for role in Role if role is not Role.admin and role not in self.roles]

    def allowed_roles(self) -> list[Role]:
        return [role for role in Role if self.roles is None or role in self.roles]


def other_scopes(scopes: frozenset[str]) -> list[str]:
    """Every scope but these: a partner key holding them all is still refused."""
    return [scope.value for scope in Scope if scope not in scopes]


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def route_callers(app: FastAPI) -> dict[Operation, Callers | None]:
    """Each operation's callers, None for one that authenticates nobody (public)."""
    found: dict[Operation, Callers | None] = {}
    # The routes as the OpenAPI document sees them, included routers flattened.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        calls = list(_calls(route.dependant))
        checks: list[RoleCheck] = [call for call in calls if hasattr(call, "roles")]
        callers = None
        if get_principal in calls:
            # Every check must pass: the callers are those all of them let through.
            roles = [check.roles for check in checks]
            scopes = [check.scopes for check in checks]
            callers = Callers(
                frozenset.intersection(*roles) if roles else None,
                frozenset.intersection(*scopes) if scopes else None,
            )
        for method in route.methods or ():
            found[(method.lower(), str(route.path_format))] = callers
    return found


def personal_fields(intake_spec: dict[str, Any]) -> frozenset[str]:
    """The applicant's personal fields: what its full record shows beyond the summary that roles
    without personal data get."""
    schemas = intake_spec["components"]["schemas"]
    full, summary = schemas["ApplicantOut"]["properties"], schemas["ApplicantSummary"]["properties"]
    return frozenset(full) - frozenset(summary)


def may_see_personal(service: str, role: Role) -> bool:
    """Whether staff of this role may read the personal data a service shows (the services' own
    rules: intake's personal fields, monitoring's notes on a person's home and life)."""
    principal = Principal(kind="staff", subject="matrix", roles=frozenset({role}))
    if service == "intake":
        return may_see_personal_data(principal)
    if service == "monitoring":
        return reads_notes(principal)
    return role is Role.admin  # plans and assets hold no personal fields


def named_fields(value: Any, fields: frozenset[str]) -> set[str]:
    """The personal fields, with a value, anywhere in a JSON answer."""
    if isinstance(value, dict):
        found = {key for key, item in value.items() if key in fields and item is not None}
        for item in value.values():
            found |= named_fields(item, fields)
        return found
    if isinstance(value, list):
        return set().union(*(named_fields(item, fields) for item in value))
    return set()


def public_operations(service: str) -> set[Operation]:
    return {operation for operation, entry in ROUTES[service].items() if entry.kind == "public"}


# --- Tokens the services must refuse ---------------------------------------------------------

EVERY_ROLE = [role.value for role in Role]


def _claims() -> dict[str, Any]:
    """Claims the services would accept, as mint_token makes them: only the signature is wrong."""
    now = int(time())
    return {
        "iss": DEV_TOKEN_ISSUER,
        "aud": "dayaq",
        "sub": "intruder",
        "iat": now,
        "exp": now + 600,
        "roles": EVERY_ROLE,
    }


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def accepted_twin(dev_keys: Path) -> Headers:
    """The claims of the forged tokens below, signed by the development key."""
    return bearer(mint_token(dev_keys, roles=EVERY_ROLE, extra_claims=_claims()))


def refused_tokens(dev_keys: Path) -> dict[str, Headers]:
    """Staff tokens with every role that no service may accept, by what is wrong with them."""
    good = mint_token(dev_keys, roles=EVERY_ROLE)
    kid = jwt.get_unverified_header(good)["kid"]
    stranger_ec = ec.generate_private_key(ec.SECP256R1())
    stranger_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "an expired token": bearer(
            mint_token(dev_keys, roles=EVERY_ROLE, ttl_seconds=-(CLOCK_SKEW_SECONDS + 60))
        ),
        "another audience's token": bearer(
            mint_token(dev_keys, roles=EVERY_ROLE, audience="another-system")
        ),
        "another issuer's token": bearer(
            mint_token(dev_keys, roles=EVERY_ROLE, issuer="someone-else")
        ),
        "a token signed by another key under the JWKS's kid": bearer(
            jwt.encode(_claims(), stranger_ec, algorithm="ES256", headers={"kid": kid})
        ),
        "a token signed by another RSA key and kid": bearer(
            jwt.encode(_claims(), stranger_rsa, algorithm="RS256", headers={"kid": "stranger"})
        ),
        "an unsigned token": bearer(
            jwt.encode(_claims(), "", algorithm="none", headers={"kid": kid})
        ),
        "a bearer scheme without a token": {"Authorization": "Bearer"},
        "a key never issued": {"X-API-Key": f"dq_{'x' * 8}_{uuid.uuid4().hex * 2}"},
    }
