"""Settings fail closed: an unknown environment refuses to start, and production refuses
development keys, secrets, key files and issuer, and FIN keys that are short or not random."""

from __future__ import annotations

import base64
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pydantic import ValidationError

from intake.settings import IntakeSettings
from plans.settings import PlansSettings
from shared.devkeys import ensure_dev_keys, mark_development_folder
from shared.key_strength import key_weakness
from shared.settings import ServiceSettings


def strong_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def real_jwks(folder: Path) -> Path:
    """A JWKS as an identity provider publishes it: the public key only, its own kid."""
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(
        ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk | {"kid": "idp-2026", "alg": "ES256"}]}))
    return path


def production(**overrides: Any) -> dict[str, Any]:
    """What a production deployment sets; each test spoils one of them."""
    return {
        "environment": "production",
        "jwks_url": "https://login.example.invalid/realms/dayaq/certs",
        "jwt_issuer": "https://login.example.invalid/realms/dayaq",
        "fin_hash_key": strong_key(),
        "fin_encryption_key": strong_key(),
        "idempotency_hash_key": strong_key(),
        "nats_nkey_seed": "SUAEXAMPLESEEDOFTHESERVICESNATSIDENTITY",
    } | overrides


def test_a_production_configuration_starts() -> None:
    settings = IntakeSettings(**production())
    assert settings.environment == "production"


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_start_as_before(environment: str) -> None:
    # The development defaults (dev-only keys, the development issuer, no JWKS) are fine there.
    intake = IntakeSettings(environment=environment)
    assert intake.fin_hash_key.get_secret_value().startswith("dev-only")
    assert intake.jwt_issuer == "dayaq-dev"
    assert PlansSettings(environment=environment).environment == environment


@pytest.mark.parametrize("environment", ["prod", "Production", "staging", ""])
def test_an_unknown_environment_refuses_to_start(environment: str) -> None:
    # "prod" used to be taken for a non-production name, skipping every production check.
    with pytest.raises(ValidationError, match="environment") as error:
        IntakeSettings(**production(environment=environment))
    assert "'development', 'test' or 'production'" in str(error.value)


def test_the_environment_comes_from_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANS_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="environment"):
        PlansSettings()


@pytest.mark.parametrize("field", ["fin_hash_key", "fin_encryption_key"])
def test_development_fin_keys_are_refused(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} is a development secret"):
        IntakeSettings(**production(**{field: "dev-only-" + strong_key()}))


def test_the_development_token_issuer_is_refused() -> None:
    with pytest.raises(ValidationError, match="jwt_issuer is the development issuer"):
        IntakeSettings(**production(jwt_issuer="dayaq-dev"))


def test_the_jwks_of_the_development_key_folder_is_refused(tmp_path: Path) -> None:
    dev_jwks = ensure_dev_keys(tmp_path / "keys")
    with pytest.raises(ValidationError, match="jwks_file is a development key file"):
        PlansSettings(**production(jwks_url=None, jwks_file=dev_jwks))
    # Copied out of its folder, it still names its key as development.
    copy = tmp_path / "elsewhere" / "jwks.json"
    copy.parent.mkdir()
    copy.write_bytes(dev_jwks.read_bytes())
    with pytest.raises(ValidationError, match="jwks_file is a development key file"):
        PlansSettings(**production(jwks_url=None, jwks_file=copy))
    # The identity provider's own JWKS, from a file, is fine.
    settings = PlansSettings(**production(jwks_url=None, jwks_file=real_jwks(tmp_path / "idp")))
    assert settings.jwks_file is not None


class _WithCredentials(ServiceSettings):
    """A service with one more key file, as the NATS credentials are."""

    nats_credentials_file: Path | None = None


def test_any_key_file_under_the_development_data_folder_is_refused(tmp_path: Path) -> None:
    # `dayaq run` marks its data folder; whatever it writes below is development.
    data = tmp_path / ".dayaq"
    mark_development_folder(data)
    credentials = data / "nats" / "intake.creds"
    credentials.parent.mkdir()
    credentials.write_text("-----BEGIN NATS USER JWT-----\n...\n")
    with pytest.raises(ValidationError, match="nats_credentials_file is a development key file"):
        _WithCredentials(**production(nats_credentials_file=credentials))
    elsewhere = tmp_path / "secrets" / "intake.creds"
    elsewhere.parent.mkdir()
    elsewhere.write_text("-----BEGIN NATS USER JWT-----\n...\n")
    assert _WithCredentials(**production(nats_credentials_file=elsewhere)).nats_credentials_file


def test_a_development_secret_in_a_plain_setting_is_refused() -> None:
    url = "postgresql+asyncpg://intake:dev-only-abc@db/dayaq_intake"
    with pytest.raises(ValidationError, match="database_url is a development secret"):
        IntakeSettings(**production(database_url=url))


WEAK_KEYS = {
    "short": (os.urandom(16), "is 16 bytes long"),
    "identical bytes": (b"\x00" * 32, "repeats a shorter block"),
    "few distinct bytes": (bytes(random.choices(b"abcd", k=64)), "distinct byte values"),
    "a password": (b"passwordpassword1234567812345678", "distinct byte values"),
    "a counting sequence": (bytes(range(32)), "regular sequence"),
    "a repeated block": (os.urandom(16) * 2, "repeats a shorter block"),
}


@pytest.mark.parametrize("encoding", ["base64", "hex"])
@pytest.mark.parametrize("name", WEAK_KEYS)
@pytest.mark.parametrize("field", ["fin_hash_key", "fin_encryption_key"])
def test_weak_fin_keys_are_refused(field: str, name: str, encoding: str) -> None:
    key, reason = WEAK_KEYS[name]
    encoded = base64.b64encode(key).decode() if encoding == "base64" else key.hex()
    with pytest.raises(ValidationError, match=f"{field} [^;]*{reason}") as error:
        IntakeSettings(**production(**{field: encoded}))
    # Not even a piece of the refused key (or of the other settings) in the message.
    assert encoded[-8:] not in str(error.value)


def test_a_key_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ValidationError, match="fin_hash_key is neither hex nor base64"):
        IntakeSettings(**production(fin_hash_key="correct horse battery staple!"))


def test_random_keys_pass_in_hex_or_either_base64_alphabet() -> None:
    for _ in range(200):
        key = os.urandom(32)
        assert key_weakness(key) is None
        assert key_weakness(key + os.urandom(32)) is None
    url_safe = base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("=")
    settings = IntakeSettings(**production(fin_encryption_key=url_safe))
    assert settings.fin_encryption_key.get_secret_value() == url_safe
    # `openssl rand -hex 32`, as deploy/README.md has made them: 32 bytes, not base64 of hex.
    assert IntakeSettings(**production(fin_hash_key=os.urandom(32).hex()))
    with pytest.raises(ValidationError, match="fin_hash_key is 16 bytes long"):
        IntakeSettings(**production(fin_hash_key=os.urandom(16).hex()))


def test_production_needs_a_nats_identity() -> None:
    # nats-server lets in no anonymous client: a service without its seed could never start.
    with pytest.raises(ValidationError, match="nats_nkey_seed"):
        IntakeSettings(**production(nats_nkey_seed=None))
