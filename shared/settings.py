"""Settings every service shares; each service subclasses `ServiceSettings` with its env prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development secrets that `dayaq run` writes; refused outside development.
DEV_SECRET_MARKER = "dev-only"  # noqa: S105


class ServiceSettings(BaseSettings):
    """Read from the environment: `DAYAQ_*` for what all services share, `<SERVICE>_*` for one."""

    model_config = SettingsConfigDict(env_prefix="DAYAQ_", extra="ignore")

    service_name: str = ""
    environment: str = Field("development", description="development, test or production")
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq"
    nats_url: str = "nats://127.0.0.1:4222"
    # Prefix for stream names and subjects, so that several environments (or tests) share one NATS.
    nats_namespace: str = ""
    # Copies of each stream in a NATS cluster: 1 on a single local server, 3 in production.
    nats_stream_replicas: int = Field(1, ge=1, le=5)
    # The service's NATS identity: its nkey seed, a value or a file (shared.messaging.identities).
    nats_nkey_seed: SecretStr | None = None
    nats_nkey_seed_file: Path | None = None
    # TLS to nats-server (a tls:// URL or a server that requires it): the CA, and a client
    # certificate when the server verifies clients.
    nats_tls_ca_file: Path | None = None
    nats_tls_cert_file: Path | None = None
    nats_tls_key_file: Path | None = None

    # Authentication: staff tokens are verified against a JWKS, from a URL or a local file.
    jwks_url: str | None = None
    jwks_file: Path | None = None
    jwt_issuer: str = "dayaq-dev"
    jwt_audience: str = "dayaq"

    # Messaging
    outbox_poll_seconds: float = 1.0
    consumer_max_attempts: int = 5
    consumer_retry_base_seconds: float = 0.5

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            for name, value in self:
                if isinstance(value, SecretStr) and DEV_SECRET_MARKER in value.get_secret_value():
                    raise ValueError(f"{name} is a development secret; set a real one")
            if self.jwks_url is None and self.jwks_file is None:
                raise ValueError("set jwks_url or jwks_file in production")
        return self
