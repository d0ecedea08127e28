"""The programme's figures, aggregated in SQL over the read models' fact tables only: one module
per report, each saying who it counts where, and each publishing its figures through the one
small-cell suppression step (`suppression.publish`). Every function returns exact figures or,
with `suppress`, the small-cell-suppressed ones."""

from monitoring.reports.budgets import budget_use
from monitoring.reports.funnel import funnel
from monitoring.reports.grievances import grievance_report
from monitoring.reports.participants import participants_per_year
from monitoring.reports.partners import partner_reports
from monitoring.reports.survival import survival

__all__ = [
    "budget_use",
    "funnel",
    "grievance_report",
    "participants_per_year",
    "partner_reports",
    "survival",
]
