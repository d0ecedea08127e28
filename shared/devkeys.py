"""Development signing key and tokens, standing in for the identity provider.

`ensure_dev_keys` writes an EC P-256 key and its JWKS into a folder (services read the JWKS through
`jwks_file`); `mint_token` signs ES256 tokens with it. Tests use their own folder the same way.

Everything development makes is marked so that production settings refuse it (shared.settings):
secrets contain DEV_SECRET_MARKER, the JWKS names its key "dev-only-...", a folder of development
keys holds a DEV_FOLDER_MARKER file, and tokens carry the DEV_TOKEN_ISSUER.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import uuid
from pathlib import Path
from time import time
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

PRIVATE_KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
DEV_SECRET_MARKER = "dev-only"  # noqa: S105
DEV_FOLDER_MARKER = "DEV-ONLY"
DEV_TOKEN_ISSUER = "dayaq-dev"  # noqa: S105


def mark_development_folder(directory: Path) -> None:
    """Marks `directory` and everything under it as development: refused in production."""
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / DEV_FOLDER_MARKER
    if not marker.exists():
        marker.write_text("Development keys and secrets: production settings refuse files here.\n")


def _key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode("ascii")
    return f"{DEV_SECRET_MARKER}-{digest}"


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Writes `path` only if it does not exist, atomically: several services may start at once."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        # link() fails if another process got there first; then theirs is kept.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _write_replacing(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.fchmod(fd, 0o644)  # public key only
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(tmp, path)


def _load_private_key(directory: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key((directory / PRIVATE_KEY_FILE).read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{directory / PRIVATE_KEY_FILE} is not an EC private key")
    return key


def ensure_dev_keys(directory: Path) -> Path:
    """Creates the key (mode 0600) and `jwks.json` in `directory` unless present; returns the
    JWKS path."""
    mark_development_folder(directory)
    key_path = directory / PRIVATE_KEY_FILE
    if not key_path.exists():
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_new(key_path, pem, 0o600)
    public_key = _load_private_key(directory).public_key()
    kid = _key_id(public_key)
    jwks_path = directory / JWKS_FILE
    if kid not in _kids(jwks_path):  # missing, or left over from a deleted key
        jwk: dict[str, Any] = ECAlgorithm.to_jwk(public_key, as_dict=True)
        jwk.update(kid=kid, use="sig", alg="ES256")
        _write_replacing(jwks_path, json.dumps({"keys": [jwk]}, indent=2).encode())
    return jwks_path


def _kids(jwks_path: Path) -> set[str]:
    try:
        return {str(key.get("kid")) for key in json.loads(jwks_path.read_text())["keys"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()


def mint_token(
    directory: Path,
    *,
    roles: list[str],
    subject: str = "dev-user",
    issuer: str = DEV_TOKEN_ISSUER,
    audience: str = "dayaq",
    ttl_seconds: int = 8 * 3600,
    partner_id: UUID | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """An ES256 token signed with the folder's key; `extra_claims` override the defaults."""
    ensure_dev_keys(directory)
    private_key = _load_private_key(directory)
    now = int(time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
        "roles": list(roles),
    }
    if partner_id is not None:
        claims["partner_id"] = str(partner_id)
    claims.update(extra_claims or {})
    return jwt.encode(
        claims, private_key, algorithm="ES256", headers={"kid": _key_id(private_key.public_key())}
    )
