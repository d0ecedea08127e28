"""The assets service: orders for approved plans and the handover of assets in kind."""

from fastapi import FastAPI

from assets.catalogue.routes import router as catalogue
from assets.deliveries.routes import router as deliveries
from assets.funds.routes import router as funds
from assets.handlers import handlers
from assets.orders.routes import router as orders
from assets.person import gather
from assets.settings import AssetsSettings
from shared.app import create_service_app
from shared.filestore import FileStore, store_from_settings
from shared.partner_keys import partner_key_reconciliation
from shared.subject_access import subject_access_router


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    settings = settings or AssetsSettings()
    return create_service_app(
        settings,
        title="Dayaq assets",
        description="Orders for approved business plans and deliveries of assets in kind.",
        routers=[catalogue, funds, orders, deliveries, subject_access_router("assets", gather)],
        handlers=handlers(settings),
        parts={FileStore: lambda runtime: store_from_settings(settings)},
        workers={"assets-partner-keys": partner_key_reconciliation},
    )
