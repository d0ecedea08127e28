"""The plans service: business plans and their review (trainings come later)."""

from fastapi import FastAPI

from plans import routes
from plans.handlers import HANDLERS
from plans.settings import PlansSettings
from shared.app import create_service_app
from shared.partner_keys import PartnerKeyStore


async def on_startup(app: FastAPI) -> None:
    app.state.api_key_store = PartnerKeyStore(app.state.sessionmaker)


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or PlansSettings(),
        title="Dayaq plans",
        description="Participants' business plans, their review and approval.",
        routers=[routes.router],
        handlers=HANDLERS,
        on_startup=on_startup,
    )
