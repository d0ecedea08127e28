from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_intake"
    # Keys for the FIN: a keyed hash for look-ups, and encryption for display to staff who need it.
    fin_hash_key: SecretStr = SecretStr("dev-only-fin-hash-key")
    fin_encryption_key: SecretStr = SecretStr("dev-only-fin-encryption-key")
    # Times a selection job may be taken up (a process that dies mid-run leaves it to be taken up
    # again) before it is failed with `attempts_exhausted`, so that a job that kills its worker
    # cannot take every instance down in turn.
    selection_max_attempts: int = Field(3, ge=1)
