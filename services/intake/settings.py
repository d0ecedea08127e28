from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_intake"
    # Keys for the FIN: a keyed hash for look-ups, and encryption for display to staff who need it.
    fin_hash_key: SecretStr = SecretStr("dev-only-fin-hash-key")
    fin_encryption_key: SecretStr = SecretStr("dev-only-fin-encryption-key")
