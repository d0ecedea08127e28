"""Every intake table, for Alembic: each domain keeps its models in its own folder."""

from intake.applicants.models import Applicant, AuditEntry, Category
from intake.applications.models import Application, ApplicationStatus
from intake.base import Base, shared_tables
from intake.partners.models import ApiKey, Partner

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
