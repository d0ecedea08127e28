"""The monitoring service: visits after the handover, and read models of the whole lifecycle."""

from fastapi import FastAPI

from monitoring.cases.routes import router as cases
from monitoring.handlers import handlers
from monitoring.readmodels.routes import router as readmodels
from monitoring.reports.routes import router as reports
from monitoring.settings import MonitoringSettings
from monitoring.visits.routes import router as visits
from shared.app import create_service_app
from shared.partner_keys import PartnerKeyStore


async def on_startup(app: FastAPI) -> None:
    app.state.api_key_store = PartnerKeyStore(app.state.sessionmaker)


def create_app(settings: MonitoringSettings | None = None) -> FastAPI:
    settings = settings or MonitoringSettings()
    return create_service_app(
        settings,
        title="Dayaq monitoring",
        description=(
            "Visits after the handover, case flags and outcomes, participants' timelines and "
            "the programme's figures."
        ),
        routers=[visits, cases, readmodels, reports],
        handlers=handlers(settings),
        on_startup=on_startup,
    )
