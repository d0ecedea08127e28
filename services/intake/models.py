"""Every intake table, for Alembic: each domain keeps its models in its own folder."""

from intake.applicants.models import Applicant, AuditEntry, Category
from intake.applications.models import Application, ApplicationStatus
from intake.base import Base, shared_tables

# Each domain's tables register themselves on Base.metadata when their module is imported.
from intake.imports import models as _imports  # noqa: F401
from intake.partners.models import ApiKey, Partner
from intake.rounds import models as _rounds  # noqa: F401
from intake.selection import models as _selection  # noqa: F401

__all__ = [
    "ApiKey",
    "Applicant",
    "Application",
    "ApplicationStatus",
    "AuditEntry",
    "Base",
    "Category",
    "Partner",
    "shared_tables",
]
