"""Every intake table, for Alembic: each domain keeps its models in its own folder, and importing
the module registers its tables on Base.metadata."""

from intake.applicants import models as applicants
from intake.applications import models as applications
from intake.base import Base, shared_tables
from intake.exclusions import models as exclusions
from intake.imports import models as imports
from intake.partners import models as partners
from intake.privacy import models as privacy
from intake.rounds import models as rounds
from intake.selection import models as selection

__all__ = [
    "Base",
    "applicants",
    "applications",
    "exclusions",
    "imports",
    "partners",
    "privacy",
    "rounds",
    "selection",
    "shared_tables",
]
