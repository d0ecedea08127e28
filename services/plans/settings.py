from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.partner_keys import PartnerKeySettings
from shared.settings import ServiceSettings


class PlansSettings(ServiceSettings, PartnerKeySettings):
    model_config = SettingsConfigDict(env_prefix="PLANS_", extra="ignore")

    service_name: str = "plans"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_plans"
    approval_requires_training: bool = Field(
        False,
        description="Approve a plan only when its participant completed a training in the "
        "plan's direction (PLANS_APPROVAL_REQUIRES_TRAINING)",
    )
