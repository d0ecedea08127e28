"""Every plans table, for Alembic: each domain keeps its models in its own folder, and importing
the module registers its tables on Base.metadata."""

from plans.base import Base, partner_keys, shared_tables
from plans.business_plans import models as business_plans
from plans.directions import models as directions
from plans.participants import models as participants
from plans.trainings import models as trainings

__all__ = [
    "Base",
    "business_plans",
    "directions",
    "participants",
    "partner_keys",
    "shared_tables",
    "trainings",
]
