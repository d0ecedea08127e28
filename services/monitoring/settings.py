from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.filestore import FileStoreSettings
from shared.partner_keys import PartnerKeySettings
from shared.ratelimit import RateLimitSetting
from shared.settings import ServiceSettings


class MonitoringSettings(ServiceSettings, FileStoreSettings, PartnerKeySettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_", extra="ignore")

    service_name: str = "monitoring"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dayaq_monitoring"
    visit_months: list[int] = Field(
        default=[1, 3, 6, 12], description="Months after the handover at which visits are due"
    )
    # Visit photos (shared.filestore), kept like assets' handover acts.
    filestore_path: Path = Path(".dayaq/files/monitoring")
    # Reports, per partner key or staff user, moving window; each query's time is bounded too.
    rate_limit_reports: RateLimitSetting = "60/minute"
    report_statement_timeout_ms: int = Field(30_000, gt=0)
    max_photos_per_visit: int = Field(20, ge=1, description="Photos a visit may keep")
    # Checked from the image's header before it is decoded: 50 megapixels, ~150 MB decoded.
    photo_max_pixels: int = Field(50_000_000, gt=0)
    visit_due_window_days: int = Field(
        14, ge=0, description="A visit is `due` from this many days before its due date"
    )
    overdue_check_seconds: float = Field(
        3600.0, gt=0, description="How often overdue visits are looked for and flagged"
    )
    # Grievances and appeals: deadlines in days from the day they are lodged.
    grievance_acknowledge_days: int = Field(3, ge=1, le=90)
    grievance_resolve_days: int = Field(30, ge=1, le=365)
    appeal_resolve_days: int = Field(15, ge=1, le=365, description="An appeal's own resolve days")
    grievance_escalation_check_seconds: float = Field(
        3600.0, gt=0, description="How often grievances past a deadline are escalated"
    )


async def _settings(request: Request) -> MonitoringSettings:
    settings: MonitoringSettings = request.app.state.settings
    return settings


# The running app's settings, for a route (async: a plain def runs in the thread pool).
Settings = Annotated[MonitoringSettings, Depends(_settings)]
