"""Reads of business plans, narrowed to what the caller may see (a partner: the plans of the
participants it referred)."""

from plans.business_plans.models import BusinessPlan
from shared.repository import Repository


class PlanRepository(Repository[BusinessPlan]):
    model = BusinessPlan
    resource = "business-plan"
