"""The assets service: orders for approved plans and the handover of assets in kind."""

from fastapi import FastAPI

from assets.catalogue.routes import router as catalogue
from assets.deliveries.routes import router as deliveries
from assets.funds.routes import router as funds
from assets.handlers import HANDLERS
from assets.orders.routes import router as orders
from assets.settings import AssetsSettings
from shared.app import create_service_app
from shared.partner_keys import PartnerKeyStore, start_reconciliation


async def on_startup(app: FastAPI) -> None:
    app.state.api_key_store = PartnerKeyStore(app.state.sessionmaker)
    await start_reconciliation(app)


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or AssetsSettings(),
        title="Dayaq assets",
        description="Orders for approved business plans and deliveries of assets in kind.",
        routers=[catalogue, funds, orders, deliveries],
        handlers=HANDLERS,
        on_startup=on_startup,
    )
