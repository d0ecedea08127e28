"""Who is calling: staff with a JWT from the identity provider, or a partner with an API key.

Routes take `CurrentPrincipal` (anyone authenticated) or `Depends(require(...))` (roles for staff,
scopes for partners).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
import time
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, cast, runtime_checkable
from uuid import UUID

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool

from shared.context import set_trace
from shared.problems import Forbidden, Unauthorized
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


class Role(StrEnum):
    admin = "admin"
    case_officer = "case_officer"
    plan_reviewer = "plan_reviewer"
    asset_officer = "asset_officer"
    monitor = "monitor"
    analyst = "analyst"


_ROLE_VALUES = frozenset(role.value for role in Role)


class Scope(StrEnum):
    """Every scope a partner's API key may carry; each service's routes name those they accept."""

    referrals_read = "referrals:read"
    referrals_write = "referrals:write"
    plans_read = "plans:read"
    plans_write = "plans:write"
    trainings_write = "trainings:write"
    assets_read = "assets:read"
    monitoring_read = "monitoring:read"
    monitoring_write = "monitoring:write"
    reports_read = "reports:read"


@dataclass(frozen=True)
class Principal:
    kind: Literal["staff", "partner"]
    subject: str  # the staff user's id (JWT `sub`) or the API key's id
    roles: frozenset[Role] = frozenset()
    partner_id: UUID | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        """Stable id for audit records and idempotency keys, e.g. "staff:<sub>"."""
        return f"{self.kind}:{self.subject}"

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and Role.admin in self.roles

    def has_any_role(self, *roles: Role) -> bool:
        """Admin counts as every role."""
        return self.is_admin or not self.roles.isdisjoint(roles)


# --- Staff: JWT bearer tokens -------------------------------------------------------------------

ALGORITHMS = ("RS256", "ES256")  # asymmetric only: a shared HMAC secret could mint tokens
CLOCK_SKEW_SECONDS = 30


@lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL: it caches the key set and refetches when an unknown kid appears.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


@lru_cache(maxsize=8)
def _jwks_from_file(path: Path) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))


def _key_from_set(jwks: jwt.PyJWKSet, token: str) -> jwt.PyJWK:
    kid = jwt.get_unverified_header(token).get("kid")
    if kid is None and len(jwks.keys) == 1:
        return jwks.keys[0]
    try:
        return jwks[str(kid)]
    except KeyError:
        raise jwt.InvalidKeyError("no key for the token's kid") from None


async def _signing_key(token: str, settings: ServiceSettings) -> jwt.PyJWK:
    if settings.jwks_url:
        # PyJWKClient fetches with blocking urllib; keep it off the event loop.
        client = _jwks_client(settings.jwks_url)
        return await run_in_threadpool(client.get_signing_key_from_jwt, token)
    if settings.jwks_file is not None:
        return _key_from_set(_jwks_from_file(settings.jwks_file), token)
    raise jwt.InvalidKeyError("no JWKS configured")


def _roles(claim: Any) -> frozenset[Role]:
    if not isinstance(claim, list):
        return frozenset()
    # Roles the identity provider knows but Dayaq does not are ignored, not refused.
    return frozenset(Role(value) for value in claim if value in _ROLE_VALUES)


# A verified token's principal is kept until the token expires (with the same leeway the
# verification allows), and at most as long as a fetched key set is trusted: a key withdrawn
# from the identity provider's set stops working as soon as it did before the cache.
TOKEN_CACHE_SIZE = 4096
TOKEN_CACHE_MAX_SECONDS = 300.0


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    until: float  # time.time() after which the token is verified again


class TokenCache:
    """Bounded (least recently used out first) verified tokens, by a hash of the token and of
    the settings that verified it. Only successes are kept: a refused token is refused anew."""

    def __init__(self, size: int = TOKEN_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, _Verified] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def key(token: str, settings: ServiceSettings) -> bytes:
        verifier = (
            settings.jwks_url,
            settings.jwks_file,
            settings.jwt_issuer,
            settings.jwt_audience,
        )
        return hashlib.sha256(f"{verifier!r}\n{token}".encode()).digest()

    def get(self, key: bytes, now: float) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.until <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.principal

    def put(self, key: bytes, principal: Principal, until: float) -> None:
        self._entries[key] = _Verified(principal, until)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


verified_tokens = TokenCache()


async def verify_bearer(token: str, settings: ServiceSettings) -> Principal:
    """The token's principal: verified once, then taken from `verified_tokens` until it expires."""
    key = TokenCache.key(token, settings)
    now = time.time()
    if (principal := verified_tokens.get(key, now)) is not None:
        return principal
    try:
        signing_key = await _signing_key(token, settings)
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=list(ALGORITHMS),
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
        partner_id = claims.get("partner_id")
        principal = Principal(
            kind="staff",
            subject=str(claims["sub"]),
            roles=_roles(claims.get("roles")),
            partner_id=UUID(str(partner_id)) if partner_id is not None else None,
        )
    except (jwt.PyJWTError, ValueError) as exc:
        # The reason only (expired, bad audience, ...): never the token itself.
        logger.info("bearer token refused: %s", type(exc).__name__)
        raise Unauthorized("detail.token-invalid", invalid_token=True) from None
    until = min(float(claims["exp"]) + CLOCK_SKEW_SECONDS, now + TOKEN_CACHE_MAX_SECONDS)
    verified_tokens.put(key, principal, until)
    return principal


# --- Partners: API keys -------------------------------------------------------------------------

API_KEY_SCHEME = "dq"
API_KEY_PREFIX_LENGTH = 8
_SECRET_MIN_LENGTH = 43  # 32 random bytes in base64url without padding
_URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: UUID
    partner_id: UUID
    key_hash: str
    scopes: frozenset[str]
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyStore(Protocol):
    """Each service's runtime holds one (intake backs it with its table, the others a copy)."""

    async def find(self, prefix: str) -> ApiKeyRecord | None: ...


@runtime_checkable
class KeyUseRecorder(Protocol):
    """A store that also keeps when each key was last used (intake's); others need not."""

    async def record_use(self, key_id: UUID) -> None: ...


def hash_api_key(key: str) -> str:
    # The key carries 256 random bits, so a fast unsalted hash is enough to make a leak useless.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_api_key() -> tuple[str, str, str]:
    """A new key as (full key to show once, prefix to list and look up, hash to store)."""
    prefix = secrets.token_urlsafe(6)  # 6 bytes -> 8 characters
    key = f"{API_KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_api_key(key)


def api_key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else None. Sliced, not split: base64url may contain "_"."""
    head = f"{API_KEY_SCHEME}_"
    end = len(head) + API_KEY_PREFIX_LENGTH
    if (
        not key.startswith(head)
        or len(key) < end + 1 + _SECRET_MIN_LENGTH
        or key[end] != "_"
        or not set(key[len(head) :]) <= _URLSAFE
    ):
        return None
    return key[len(head) : end]


async def verify_api_key(key: str, store: ApiKeyStore) -> Principal:
    prefix = api_key_prefix(key)
    record = await store.find(prefix) if prefix is not None else None
    now = datetime.now(UTC)
    if (
        record is None
        or not hmac.compare_digest(hash_api_key(key), record.key_hash)
        or record.revoked_at is not None
        or (record.expires_at is not None and record.expires_at <= now)
    ):
        logger.info("api key refused (prefix %s)", prefix)
        raise Unauthorized("detail.api-key-invalid")
    if isinstance(store, KeyUseRecorder):
        await store.record_use(record.key_id)
    return Principal(
        kind="partner",
        subject=str(record.key_id),
        partner_id=record.partner_id,
        scopes=record.scopes,
    )


# --- FastAPI dependencies -----------------------------------------------------------------------

# auto_error=False: these only document the schemes in OpenAPI and read the headers; the
# decisions (and the problem+json answers) are ours.
bearer_scheme = HTTPBearer(
    auto_error=False, description="Staff: a JWT from the ministry's identity provider."
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Partner organisations: an API key."
)


# Where the request's verified principal is kept, so that it is verified once per request.
PRINCIPAL_SCOPE_KEY = "dayaq.principal"


async def authenticate(request: Request) -> Principal:
    """The caller, from a bearer token (tried first) or an API key; 401 when neither verifies.

    Verified once per request: shared.limits calls it before reading a body, get_principal after.
    """
    known = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(known, Principal):
        principal = known
    else:
        # The same headers, read the same way, as bearer_scheme and api_key_scheme.
        authorization = request.headers.get("authorization")
        scheme, token = get_authorization_scheme_param(authorization)
        api_key = request.headers.get(api_key_scheme.model.name)
        if authorization is not None and not (token and scheme.lower() == "bearer"):
            # Credentials of a kind we do not take are refused, not ignored for an API key.
            raise Unauthorized("detail.token-invalid", invalid_token=True)
        if token and scheme.lower() == "bearer":
            settings: ServiceSettings = request.app.state.settings
            principal = await verify_bearer(token, settings)
        elif api_key:
            runtime = getattr(request.app.state, "runtime", None)
            store: ApiKeyStore | None = getattr(runtime, "api_key_store", None)
            if store is None:
                raise Unauthorized("detail.api-key-invalid")
            principal = await verify_api_key(api_key, store)
        else:
            raise Unauthorized("detail.credentials-missing")
        request.scope[PRINCIPAL_SCOPE_KEY] = principal
    # Logs and the events written during this request name who acted.
    set_trace(principal=principal.id)
    return principal


async def get_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller (see `authenticate`); the two schemes document the headers in OpenAPI."""
    return await authenticate(request)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class RoleCheck(Protocol):
    """What `require` returns: the dependency, and whom it lets through (for tests and docs that
    read a route's callers from its dependencies)."""

    roles: frozenset[Role]  # admin passes as well
    scopes: frozenset[str]

    def __call__(self, principal: Principal) -> Awaitable[Principal]: ...


def require(*roles: Role, scopes: tuple[str, ...] = ()) -> RoleCheck:
    """A dependency giving the principal, or 403.

    Staff need one of `roles` (admin passes always). Partners need one of `scopes`: a route that
    names no scope is closed to partners, and to staff tokens bound to a partner.
    """

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.kind == "partner":
            if principal.scopes.isdisjoint(scopes):
                raise Forbidden("detail.scope-required")
        elif not principal.has_any_role(*roles):
            raise Forbidden("detail.role-required")
        elif principal.partner_id is not None and not scopes:
            # A partner's own staff (a token bound to it) may do by role what the partner may:
            # the routes closed to partners span every partner's referrals.
            raise Forbidden("detail.role-required")
        return principal

    check = cast(RoleCheck, dependency)
    check.roles = frozenset(roles)
    check.scopes = frozenset(scopes)
    return check


Admin = Annotated[Principal, Depends(require(Role.admin))]
"""Programme set-up and other admin-only changes; the one definition every service uses.

Every other role dependency lives in its service's `access.py`, named by what it allows (e.g.
`ReadsPlans`, `ReviewsPlans`), so that a route's signature says who may call it."""
