from pydantic_settings import SettingsConfigDict

from shared.filestore import FileStoreSettings
from shared.partner_keys import PartnerKeySettings
from shared.settings import ServiceSettings


class AssetsSettings(ServiceSettings, FileStoreSettings, PartnerKeySettings):
    """Scans and photos of signed handover acts go to the file store (shared.filestore): a local
    folder, or an S3-compatible bucket with ASSETS_FILESTORE_S3_BUCKET."""

    model_config = SettingsConfigDict(env_prefix="ASSETS_", extra="ignore")

    service_name: str = "assets"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_assets"
