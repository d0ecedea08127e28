"""Staff JWTs (ES256 and RS256 against a JWKS file), partner API keys, roles and scopes."""

from __future__ import annotations

import functools
import json
import stat
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from jwt.algorithms import RSAAlgorithm

from shared.auth import (
    CLOCK_SKEW_SECONDS,
    ApiKeyRecord,
    CurrentPrincipal,
    Principal,
    Role,
    TokenCache,
    api_key_prefix,
    generate_api_key,
    hash_api_key,
    require,
    verified_tokens,
    verify_bearer,
)
from shared.devkeys import JWKS_FILE, PRIVATE_KEY_FILE, ensure_dev_keys, mint_token
from shared.problems import Unauthorized, install_problem_handlers
from shared.settings import ServiceSettings

PARTNER_ID = uuid.UUID("7d6f1c1e-0000-4000-8000-000000000001")


class InMemoryApiKeyStore:
    """An ApiKeyStore over a dict: the same protocol intake backs with its table."""

    def __init__(self) -> None:
        self.records: dict[str, ApiKeyRecord] = {}

    def add(self, *, scopes: frozenset[str], **changes) -> str:
        key, prefix, key_hash = generate_api_key()
        record = ApiKeyRecord(
            key_id=uuid.uuid4(), partner_id=PARTNER_ID, key_hash=key_hash, scopes=scopes
        )
        self.records[prefix] = replace(record, **changes)
        return key

    async def find(self, prefix: str) -> ApiKeyRecord | None:
        return self.records.get(prefix)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """The dev EC key, plus an RSA key in the same JWKS file (kid "rsa-1")."""
    directory = tmp_path_factory.mktemp("keys")
    jwks_path = ensure_dev_keys(directory)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_jwk = RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True) | {"kid": "rsa-1"}
    jwks = json.loads(jwks_path.read_text())
    combined = directory / "combined.json"
    combined.write_text(json.dumps({"keys": [*jwks["keys"], rsa_jwk]}))
    return directory, combined, rsa_key


@pytest.fixture
def client(served):
    return served[1]


@pytest.fixture
def store() -> InMemoryApiKeyStore:
    return InMemoryApiKeyStore()


@pytest.fixture
async def served(keys, store):
    _, jwks_file, _ = keys
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = ServiceSettings(
        jwks_url=None, jwks_file=jwks_file, jwt_issuer="dayaq-dev", jwt_audience="dayaq"
    )
    app.state.runtime = SimpleNamespace(api_key_store=store)  # a service's runtime, in part

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, object]:
        return {
            "id": principal.id,
            "roles": sorted(principal.roles),
            "partner_id": str(principal.partner_id) if principal.partner_id else None,
        }

    @app.post("/referrals")
    async def refer(
        principal: Annotated[
            Principal, Depends(require(Role.case_officer, scopes=("referrals:write",)))
        ],
    ) -> dict[str, str]:
        return {"id": principal.id}

    @app.get("/reports", dependencies=[Depends(require(Role.analyst))])
    async def reports() -> dict[str, bool]:
        return {"ok": True}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield app, c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://dayaq.az/problems/unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_es256_token_is_accepted(client, keys):
    directory, _, _ = keys
    token = mint_token(directory, roles=["case_officer", "no-such-role"], subject="u-1")
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"id": "staff:u-1", "roles": ["case_officer"], "partner_id": None}


async def test_rs256_token_is_accepted(client, keys):
    _, _, rsa_key = keys
    now = int(time.time())
    claims = {"iss": "dayaq-dev", "aud": "dayaq", "sub": "u-2", "exp": now + 60, "roles": ["admin"]}
    token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["roles"] == ["admin"]


async def test_token_signed_by_another_key_is_refused(client, tmp_path):
    # Another folder's key: same algorithm, unknown kid.
    assert_401(await client.get("/me", headers=bearer(mint_token(tmp_path, roles=["admin"]))))


async def test_token_with_our_kid_but_another_signature_is_refused(client, keys, tmp_path):
    directory, _, _ = keys
    ours = jwt.get_unverified_header(mint_token(directory, roles=[]))["kid"]
    forged = mint_token(tmp_path, roles=["admin"])
    other = jwt.encode(
        jwt.decode(forged, options={"verify_signature": False}),
        (tmp_path / PRIVATE_KEY_FILE).read_bytes(),
        algorithm="ES256",
        headers={"kid": ours},
    )
    response = await client.get("/me", headers=bearer(other))
    assert_401(response)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_expired_token_is_refused(client, keys):
    directory, _, _ = keys
    token = mint_token(directory, roles=["admin"], ttl_seconds=-120)
    assert_401(await client.get("/me", headers=bearer(token)))


async def test_wrong_audience_and_issuer_are_refused(client, keys):
    directory, _, _ = keys
    for token in (
        mint_token(directory, roles=["admin"], audience="someone-else"),
        mint_token(directory, roles=["admin"], issuer="https://evil.example"),
    ):
        assert_401(await client.get("/me", headers=bearer(token)))


async def test_hmac_and_unsigned_tokens_are_refused(client):
    claims = {"iss": "dayaq-dev", "aud": "dayaq", "sub": "x", "exp": int(time.time()) + 60}
    hs = jwt.encode(claims, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256")
    unsigned = jwt.encode(claims, "", algorithm="none")
    for token in (hs, unsigned, "not-a-jwt"):
        assert_401(await client.get("/me", headers=bearer(token)))


async def test_no_credentials_is_401_with_challenge(client):
    response = await client.get("/me")
    assert_401(response)
    assert response.headers["www-authenticate"] == "Bearer"
    assert_401(await client.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}))


async def test_an_authorization_header_of_another_kind_is_refused_beside_an_api_key(client):
    # Not ignored for the key: the caller meant those credentials, and they are not ours.
    response = await client.get(
        "/me", headers={"Authorization": "Basic dXNlcjpwYXNz", "X-API-Key": "dyq_anything"}
    )
    assert_401(response)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_wrong_role_is_403_and_admin_passes(client, keys):
    directory, _, _ = keys
    monitor = mint_token(directory, roles=["monitor"])
    response = await client.post("/referrals", headers=bearer(monitor))
    assert response.status_code == 403
    assert response.json()["type"] == "https://dayaq.az/problems/forbidden"
    officer = mint_token(directory, roles=["case_officer"], subject="co")
    assert (await client.post("/referrals", headers=bearer(officer))).json() == {"id": "staff:co"}
    admin = mint_token(directory, roles=["admin"])
    assert (await client.post("/referrals", headers=bearer(admin))).status_code == 200
    assert (await client.get("/reports", headers=bearer(admin))).status_code == 200


async def test_a_partner_bound_staff_token_is_closed_out_where_partners_are(client, keys):
    """A partner's own staff log in with its partner_id: their roles open only what the
    partner's keys may reach, never the routes that span every partner's referrals."""
    directory, _, _ = keys
    for roles in (["case_officer", "analyst"], ["admin"]):
        token = mint_token(directory, roles=roles, partner_id=PARTNER_ID)
        assert (await client.post("/referrals", headers=bearer(token))).status_code == 200
        refused = await client.get("/reports", headers=bearer(token))
        assert refused.status_code == 403
        assert refused.json()["type"] == "https://dayaq.az/problems/forbidden"


async def test_api_key_is_accepted_with_the_partner(client, store):
    key = store.add(scopes=frozenset({"referrals:write"}))
    response = await client.get("/me", headers={"X-API-Key": key})
    assert response.status_code == 200
    assert response.json()["partner_id"] == str(PARTNER_ID)
    assert response.json()["id"].startswith("partner:")
    assert (await client.post("/referrals", headers={"X-API-Key": key})).status_code == 200


async def test_bad_api_keys_are_refused(client, store):
    good = store.add(scopes=frozenset({"referrals:write"}))
    prefix = api_key_prefix(good)
    wrong_secret = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    revoked = store.add(scopes=frozenset({"referrals:write"}), revoked_at=datetime.now(UTC))
    expired = store.add(
        scopes=frozenset({"referrals:write"}),
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    unknown, _, _ = generate_api_key()
    for key in (wrong_secret, revoked, expired, unknown, "dq_short", f"dq_{prefix}_x", "junk"):
        assert_401(await client.get("/me", headers={"X-API-Key": key}))


async def test_api_key_without_the_scope_is_403(client, store):
    key = store.add(scopes=frozenset({"trainings:write"}))
    response = await client.post("/referrals", headers={"X-API-Key": key})
    assert response.status_code == 403
    # A route that names no scope is closed to partners.
    key = store.add(scopes=frozenset({"referrals:write"}))
    assert (await client.get("/reports", headers={"X-API-Key": key})).status_code == 403


async def test_api_keys_are_refused_without_a_store(served, store):
    app, client = served
    key = store.add(scopes=frozenset({"referrals:write"}))
    del app.state.runtime.api_key_store
    assert_401(await client.get("/me", headers={"X-API-Key": key}))


def test_generated_api_keys():
    key, prefix, key_hash = generate_api_key()
    assert key.startswith(f"dq_{prefix}_")
    assert len(prefix) == 8
    assert len(key) >= 3 + 8 + 1 + 43
    assert api_key_prefix(key) == prefix
    assert key_hash == hash_api_key(key)
    assert len(key_hash) == 64
    assert key not in key_hash
    assert generate_api_key()[0] != key


def test_dev_keys_are_created_once(tmp_path):
    jwks_path = ensure_dev_keys(tmp_path)
    pem = (tmp_path / PRIVATE_KEY_FILE).read_bytes()
    assert jwks_path == tmp_path / JWKS_FILE
    assert stat.S_IMODE((tmp_path / PRIVATE_KEY_FILE).stat().st_mode) == 0o600
    ensure_dev_keys(tmp_path)
    assert (tmp_path / PRIVATE_KEY_FILE).read_bytes() == pem
    kid = json.loads(jwks_path.read_text())["keys"][0]["kid"]
    assert jwt.get_unverified_header(mint_token(tmp_path, roles=[]))["kid"] == kid


async def test_openapi_declares_both_schemes(client):
    schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Staff: a JWT from the ministry's identity provider.",
    }
    assert schemes["APIKeyHeader"]["in"] == "header"
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"


async def test_keys_can_come_from_a_jwks_url(keys, served):
    """The identity provider publishes its keys at a URL; the verifier fetches them from there."""
    directory, combined, _ = keys
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(combined.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app, client = served
    try:
        app.state.settings = ServiceSettings(
            jwks_url=f"http://127.0.0.1:{server.server_address[1]}/{combined.name}",
            jwt_issuer="dayaq-dev",
            jwt_audience="dayaq",
        )
        token = mint_token(directory, roles=["analyst"], subject="from-url")
        response = await client.get("/me", headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.json()["id"] == "staff:from-url"
        forged = mint_token(directory / "other", roles=["analyst"])
        assert_401(await client.get("/me", headers=bearer(forged)))
    finally:
        server.shutdown()
        server.server_close()


# --- Verified tokens are kept until they expire -------------------------------------------------


async def test_a_verified_token_is_not_verified_again(keys):
    directory, jwks_file, _ = keys
    settings = ServiceSettings(jwks_file=jwks_file, jwt_issuer="dayaq-dev", jwt_audience="dayaq")
    token = mint_token(directory, roles=["case_officer"], subject="cached")
    first = await verify_bearer(token, settings)
    # The same object: taken from the cache, not decoded again.
    assert await verify_bearer(token, settings) is first
    # Another verifier (here another audience) verifies the token itself, and refuses it.
    with pytest.raises(Unauthorized):
        await verify_bearer(token, replace_settings(settings, jwt_audience="other"))


def replace_settings(settings: ServiceSettings, **changes: object) -> ServiceSettings:
    return ServiceSettings(**{**settings.model_dump(), **changes})


async def test_a_cached_token_is_kept_no_longer_than_it_is_valid(keys):
    directory, jwks_file, _ = keys
    settings = ServiceSettings(jwks_file=jwks_file, jwt_issuer="dayaq-dev", jwt_audience="dayaq")
    token = mint_token(directory, roles=["admin"], ttl_seconds=60)
    principal = await verify_bearer(token, settings)
    key = TokenCache.key(token, settings)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    # Until the expiry and its leeway, as the verification itself accepts it: then verified anew.
    assert verified_tokens.get(key, exp + CLOCK_SKEW_SECONDS - 1) is principal
    assert verified_tokens.get(key, exp + CLOCK_SKEW_SECONDS) is None


async def test_an_expired_token_is_refused_though_it_was_cached(keys):
    directory, jwks_file, _ = keys
    settings = ServiceSettings(jwks_file=jwks_file, jwt_issuer="dayaq-dev", jwt_audience="dayaq")
    token = mint_token(directory, roles=["admin"], ttl_seconds=60)
    principal = await verify_bearer(token, settings)
    key = TokenCache.key(token, settings)
    # The entry a minute past its end, as the clock would leave it: the token is decoded again,
    # and refused only if the decoding refuses it (here it is still valid).
    verified_tokens.put(key, principal, until=time.time() - 1)
    assert verified_tokens.get(key, time.time()) is None
    assert await verify_bearer(token, settings) == principal
    expired = mint_token(directory, roles=["admin"], ttl_seconds=-120)
    with pytest.raises(Unauthorized):
        await verify_bearer(expired, settings)
    assert verified_tokens.get(TokenCache.key(expired, settings), time.time()) is None


def test_the_token_cache_is_bounded():
    cache = TokenCache(size=3)
    principal = Principal(kind="staff", subject="u")
    for number in range(5):
        cache.put(bytes([number]), principal, until=10.0)
    assert len(cache) == 3
    assert cache.get(bytes([0]), now=1.0) is None  # the least recently used went first
    assert cache.get(bytes([4]), now=1.0) is principal
