"""The monitoring service: visits after the handover, and read models of the whole lifecycle."""

import asyncio

from fastapi import FastAPI

from monitoring.cases.routes import router as cases
from monitoring.cases.service import check_overdue_periodically
from monitoring.handlers import handlers
from monitoring.readmodels.routes import router as readmodels
from monitoring.reports.routes import router as reports
from monitoring.settings import MonitoringSettings
from monitoring.visits.routes import router as visits
from shared.app import Runtime, create_service_app
from shared.partner_keys import PartnerKeyStore, start_reconciliation


async def on_startup(app: FastAPI) -> None:
    app.state.api_key_store = PartnerKeyStore(app.state.sessionmaker)
    await start_reconciliation(app)
    # Overdue visits are flagged on a schedule; the task is cancelled with the others on shutdown.
    settings: MonitoringSettings = app.state.settings
    runtime: Runtime = app.state.runtime
    runtime.tasks.append(
        asyncio.create_task(
            check_overdue_periodically(app.state.sessionmaker, settings.overdue_check_seconds),
            name="monitoring-overdue-check",
        )
    )


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
