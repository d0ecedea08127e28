"""The intake service: persons, applications, partners and enrolment."""

import asyncio

from fastapi import FastAPI

from intake.applicants.pii import FinProtector
from intake.applicants.routes import router as applicants
from intake.applications.routes import router as applications
from intake.handlers import HANDLERS
from intake.imports.routes import router as imports
from intake.imports.runner import add_import_worker
from intake.partners.routes import router as partners
from intake.partners.service import DatabaseApiKeyStore, publish_keys_snapshots
from intake.rounds.routes import router as rounds
from intake.selection.routes import router as selection
from intake.settings import IntakeSettings
from shared.app import create_service_app


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    async def on_startup(app: FastAPI) -> None:
        app.state.fins = FinProtector(settings)
        app.state.api_key_store = DatabaseApiKeyStore(app.state.sessionmaker)
        snapshots = publish_keys_snapshots(
            app.state.sessionmaker, settings.partner_keys_snapshot_seconds
        )
        app.state.runtime.tasks.append(asyncio.create_task(snapshots, name="keys-snapshots"))

    app = create_service_app(
        settings,
        title="Dayaq intake",
        description="Applicants, applications, partner organisations and enrolment.",
        routers=[applicants, applications, rounds, selection, partners, imports],
        handlers=HANDLERS,
        on_startup=on_startup,
    )
    # Bulk referral imports run in the background for as long as the app does.
    return add_import_worker(app)
