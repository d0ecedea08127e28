from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.ratelimit import RateLimitSetting
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
