from typing import Annotated

from pydantic import Field, SecretStr, StringConstraints, model_validator
from pydantic_settings import SettingsConfigDict

from shared.key_strength import refuse_weak_key
from shared.ratelimit import RateLimitSetting
from shared.settings import ServiceSettings

# Key ids are written into ciphertexts: short, and of safe characters.
KEY_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"
KeyId = Annotated[str, StringConstraints(pattern=KEY_ID_PATTERN)]


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_intake"
    # Keys for the FIN: a keyed hash for look-ups, and encryption for display to staff who need it.
    # In production each must be base64 of at least 32 random bytes (shared.key_strength).
    fin_hash_key: SecretStr = SecretStr("dev-only-fin-hash-key")
    # The FIN encryption keyring: the current key (new ciphertexts) and its id, written into each
    # ciphertext; `fin_encryption_old_keys` ({"id": "key"}, JSON in the environment) are the keys
    # still read, kept until a rotation has re-encrypted every row under them.
    fin_encryption_key: SecretStr = SecretStr("dev-only-fin-encryption-key")
    fin_encryption_key_id: KeyId = "1"
    fin_encryption_old_keys: dict[KeyId, SecretStr] = {}
    # Times a selection job may be taken up (a process that dies mid-run leaves it to be taken up
    # again) before it is failed with `attempts_exhausted`, so that a job that kills its worker
    # cannot take every instance down in turn.
    selection_max_attempts: int = Field(3, ge=1)
    partner_keys_snapshot_seconds: float = Field(
        3600.0,
        gt=0,
        description="How often the keys in force are sent as a snapshot, besides at each change",
    )

    # A person's access request gathers the other services' parts from these (`make run`'s
    # ports by default), forwarding the caller's token; a service slower than the timeout is
    # marked missing in the export.
    plans_url: str = "http://127.0.0.1:8002"
    assets_url: str = "http://127.0.0.1:8003"
    monitoring_url: str = "http://127.0.0.1:8004"
    subject_access_timeout_seconds: float = Field(10.0, gt=0)
    # Erasure: a person whose every case closed this many days ago is erased, checked this often.
    retention_days: int = Field(1825, ge=1)
    retention_check_seconds: float = Field(3600.0, gt=0)

    @model_validator(mode="after")
    def _refuse_weak_keys_in_production(self) -> "IntakeSettings":
        if self.environment == "production":
            refuse_weak_key("fin_hash_key", self.fin_hash_key.get_secret_value())
            for key_id, key in self.fin_keyring.items():
                refuse_weak_key(f"fin_encryption_key {key_id}", key.get_secret_value())
        return self

    @property
    def fin_keyring(self) -> dict[str, SecretStr]:
        """Every FIN encryption key by id, the current one included."""
        return {**self.fin_encryption_old_keys, self.fin_encryption_key_id: self.fin_encryption_key}

    # Bulk imports: the file's size, its rows, and (XLSX) what it may unpack to, so that a
    # small zip cannot unpack to gigabytes or millions of strings held in memory.
    import_max_file_bytes: int = Field(50 * 1024 * 1024, gt=0)
    import_max_rows: int = Field(100_000, gt=0)
    import_xlsx_max_uncompressed_bytes: int = Field(256 * 1024 * 1024, gt=0)
    import_xlsx_max_shared_strings: int = Field(1_000_000, gt=0)
    # Rate limits per partner key or staff user, moving window ("10/minute", "100 per hour").
    rate_limit_imports: RateLimitSetting = "10/minute"
    rate_limit_selections: RateLimitSetting = "5/minute"
    rate_limit_searches: RateLimitSetting = "60/minute"
