"""The plans service: self-employment directions, trainings, and business plans with review."""

from fastapi import FastAPI

from plans.business_plans.routes import router as business_plans
from plans.directions.routes import router as directions
from plans.handlers import handlers
from plans.participants.routes import router as participants
from plans.person import gather
from plans.settings import PlansSettings
from plans.trainings.routes import router as trainings
from shared.app import create_service_app
from shared.partner_keys import partner_key_reconciliation
from shared.subject_access import subject_access_router


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    settings = settings or PlansSettings()
    return create_service_app(
        settings,
        title="Dayaq plans",
        description="Participants' business plans, their review and approval.",
        routers=[
            directions,
            participants,
            trainings,
            business_plans,
            subject_access_router("plans", gather),
        ],
        handlers=handlers(settings),
        workers={"plans-partner-keys": partner_key_reconciliation},
    )
