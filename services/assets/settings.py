from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AssetsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSETS_", extra="ignore")

    service_name: str = "assets"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_assets"
    # Scans and photos of signed handover acts (shared.filestore): a local folder.
    filestore_path: Path = Path(".dayaq/files/assets")
    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0)
