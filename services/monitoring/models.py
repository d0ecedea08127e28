"""Every monitoring table, for Alembic: each domain keeps its models in its own folder, and
importing the module registers its tables on Base.metadata."""

from monitoring.base import Base, partner_keys, shared_tables
from monitoring.cases import models as cases
from monitoring.grievances import models as grievances
from monitoring.readmodels import models as readmodels
from monitoring.visits import models as visits

__all__ = ["Base", "cases", "grievances", "partner_keys", "readmodels", "shared_tables", "visits"]
