"""The plans service: self-employment directions, trainings, and business plans with review."""

from fastapi import FastAPI

from plans.business_plans.routes import router as business_plans
from plans.directions.routes import router as directions
from plans.handlers import HANDLERS
from plans.participants.routes import router as participants
from plans.settings import PlansSettings
from plans.trainings.routes import router as trainings
from shared.app import create_service_app
from shared.partner_keys import PartnerKeyStore, start_reconciliation


async def on_startup(app: FastAPI) -> None:
    app.state.api_key_store = PartnerKeyStore(app.state.sessionmaker)
    await start_reconciliation(app)


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or PlansSettings(),
        title="Dayaq plans",
        description="Participants' business plans, their review and approval.",
        routers=[directions, participants, trainings, business_plans],
        handlers=HANDLERS,
        on_startup=on_startup,
    )
