from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class MonitoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_", extra="ignore")

    service_name: str = "monitoring"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_monitoring"
    visit_months: list[int] = Field(
        default=[1, 3, 6, 12], description="Months after the handover at which visits are due"
    )
