"""The monitoring service: visits after the handover, and read models of the whole lifecycle."""

from fastapi import FastAPI

from monitoring import routes
from monitoring.handlers import handlers
from monitoring.settings import MonitoringSettings
from shared.app import create_service_app
from shared.partner_keys import PartnerKeyStore


async def on_startup(app: FastAPI) -> None:
    app.state.api_key_store = PartnerKeyStore(app.state.sessionmaker)


def create_app(settings: MonitoringSettings | None = None) -> FastAPI:
    settings = settings or MonitoringSettings()
    return create_service_app(
        settings,
        title="Dayaq monitoring",
        description="Visit schedules, participants' timelines and the programme's figures.",
        routers=[routes.router],
        handlers=handlers(settings),
        on_startup=on_startup,
    )
