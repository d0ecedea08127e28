"""Settings every service shares; each service subclasses `ServiceSettings` with its env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.devkeys import DEV_FOLDER_MARKER, DEV_SECRET_MARKER, DEV_TOKEN_ISSUER

# A closed set: a misspelt environment ("prod") refuses to start instead of skipping the checks.
Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    """Read from the environment: `DAYAQ_*` for what all services share, `<SERVICE>_*` for one."""

    # The refused input is never shown: it holds every secret of the environment.
    model_config = SettingsConfigDict(
        env_prefix="DAYAQ_", extra="ignore", hide_input_in_errors=True
    )

    service_name: str = ""
    environment: Environment = Field("development", description="development, test or production")
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq"
    # Processes serving the service (uvicorn --workers), read by what starts them: the image's
    # entry point (1 unless set) and `dayaq run` (one per core, at most 4, unless set).
    workers: int = Field(1, ge=1, le=64, description="Worker processes serving the service")
    # Each process's connection pool (shared.db): sized for the requests one process serves at
    # once, kept open between requests. Processes x (size + overflow) must stay within
    # PostgreSQL's max_connections.
    db_pool_size: int = Field(10, ge=1, description="Connections each process keeps open")
    db_max_overflow: int = Field(
        5, ge=0, description="Connections a process may open beyond the pool under a burst"
    )
    db_pool_recycle_seconds: float = Field(
        1800, gt=0, description="A pooled connection older than this is replaced at checkout"
    )
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
    jwt_issuer: str = DEV_TOKEN_ISSUER
    jwt_audience: str = "dayaq"

    # Messaging
    outbox_poll_seconds: float = 1.0
    consumer_max_attempts: int = 5
    consumer_retry_base_seconds: float = 0.5

    # Due process: a decision that hurts a person may be appealed for this many days.
    appeal_days: int = Field(30, ge=1, le=365)

    # Idempotency records: kept this long, and their request hashes keyed with this secret.
    idempotency_retention_hours: float = Field(24, gt=0)
    idempotency_hash_key: SecretStr = SecretStr("dev-only-idempotency-hash-key")
    # Requests: a body larger than this is refused before it is read (uploads declare their own).
    max_body_bytes: int = Field(1024 * 1024, gt=0)

    # Rate limits (shared.ratelimit): counted in memory, per replica, unless a shared storage of
    # the `limits` library is named here, e.g. "async+redis://redis:6379".
    rate_limit_storage_uri: str = "async+memory://"

    log_level: str = "INFO"
    log_json: bool = True

    # /metrics is served on this port only (none: not served), never on the API's.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_host: str = "0.0.0.0"  # noqa: S104 (Prometheus scrapes the pod's address)
    # Strict-Transport-Security max-age, for a service reached over TLS only (0: not sent).
    hsts_seconds: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            for name, value in self:
                text = value.get_secret_value() if isinstance(value, SecretStr) else value
                if isinstance(text, str) and DEV_SECRET_MARKER in text:
                    raise ValueError(f"{name} is a development secret; set a real one")
                # Key and credential files are the settings named `*_file`.
                if name.endswith("_file") and isinstance(value, Path) and _is_development(value):
                    raise ValueError(f"{name} is a development key file ({value}); set a real one")
            if self.jwks_url is None and self.jwks_file is None:
                raise ValueError("set jwks_url or jwks_file in production")
            if self.nats_nkey_seed is None and self.nats_nkey_seed_file is None:
                raise ValueError("set nats_nkey_seed or nats_nkey_seed_file in production")
            if self.jwt_issuer == DEV_TOKEN_ISSUER:
                raise ValueError(
                    f"jwt_issuer is the development issuer {DEV_TOKEN_ISSUER!r}; "
                    "set the identity provider's"
                )
        return self


def _is_development(path: Path) -> bool:
    """A file that `dayaq run` or `ensure_dev_keys` wrote: inside a folder they marked, or
    carrying the marker itself (the development JWKS names its key "dev-only-...")."""
    path = path.absolute()
    if any((folder / DEV_FOLDER_MARKER).exists() for folder in path.parents):
        return True
    try:
        with path.open("rb") as file:
            return DEV_SECRET_MARKER.encode() in file.read(1 << 20)
    except OSError:  # missing or unreadable: whatever reads it fails on its own
        return False
