from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.key_strength import refuse_weak_key
from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_intake"
    # Keys for the FIN: a keyed hash for look-ups, and encryption for display to staff who need it.
    # In production each must be base64 of at least 32 random bytes (shared.key_strength).
    fin_hash_key: SecretStr = SecretStr("dev-only-fin-hash-key")
    fin_encryption_key: SecretStr = SecretStr("dev-only-fin-encryption-key")
    # Times a selection job may be taken up (a process that dies mid-run leaves it to be taken up
    # again) before it is failed with `attempts_exhausted`, so that a job that kills its worker
    # cannot take every instance down in turn.
    selection_max_attempts: int = Field(3, ge=1)
    partner_keys_snapshot_seconds: float = Field(
        3600.0,
        gt=0,
        description="How often the keys in force are sent as a snapshot, besides at each change",
    )

    @model_validator(mode="after")
    def _refuse_weak_keys_in_production(self) -> "IntakeSettings":
        if self.environment == "production":
            refuse_weak_key("fin_hash_key", self.fin_hash_key.get_secret_value())
            refuse_weak_key("fin_encryption_key", self.fin_encryption_key.get_secret_value())
        return self
