"""Flag rules: each kind's parameters and the check of one visit report against them. The rules
themselves are rows of `flag_rules` (seeded by the migration, edited by admins)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from monitoring.cases.models import RuleKind
from shared.events import VisitReported

LostStatus = Literal["missing", "sold", "dead", "broken"]


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotOperatingParameters(_Parameters):
    """The business was found not operating at a visit. No parameters."""


class ItemStatusParameters(_Parameters):
    """An item handed over was found in one of these states."""

    statuses: list[LostStatus] = Field(min_length=1, examples=[["missing", "sold"]])


class IncomeBelowPlanParameters(_Parameters):
    """Reported monthly income below `ratio` times what the plan expects for that month."""

    ratio: Decimal = Field(gt=0, le=1, examples=["0.5"])


class VisitOverdueParameters(_Parameters):
    """A scheduled visit not reported more than `days` after its due date."""

    days: int = Field(ge=1, le=365, examples=[30])


PARAMETERS: dict[RuleKind, type[_Parameters]] = {
    RuleKind.not_operating: NotOperatingParameters,
    RuleKind.item_status: ItemStatusParameters,
    RuleKind.income_below_plan: IncomeBelowPlanParameters,
    RuleKind.visit_overdue: VisitOverdueParameters,
}

# Kinds a visit report is checked against (overdue visits are looked for on a schedule).
REPORT_KINDS = (RuleKind.not_operating, RuleKind.item_status, RuleKind.income_below_plan)


def parse_parameters(kind: RuleKind, parameters: Mapping[str, Any]) -> _Parameters:
    """The parameters as the kind's model; pydantic's ValidationError when they do not fit."""
    return PARAMETERS[kind].model_validate(dict(parameters))


@dataclass(frozen=True)
class Finding:
    """A rule fired: the coded facts that made it fire."""

    details: dict[str, Any]


def check_report(
    kind: RuleKind,
    parameters: Mapping[str, Any],
    report: VisitReported,
    expected_income: Decimal | None,
) -> Finding | None:
    """Whether a visit report trips a rule of this kind; `expected_income` is what the plan
    expects for the visit's month (None when not known)."""
    params = parse_parameters(kind, parameters)
    if isinstance(params, NotOperatingParameters):
        return None if report.operating else Finding({"operating": False})
    if isinstance(params, ItemStatusParameters):
        found = [item for item in report.items if item.status in params.statuses]
        if not found:
            return None
        return Finding(
            {
                "items": [
                    {
                        "asset_type": item.asset_type,
                        "serial": item.serial,
                        "unit_id": str(item.unit_id) if item.unit_id else None,
                        "status": item.status,
                    }
                    for item in found
                ]
            }
        )
    if isinstance(params, IncomeBelowPlanParameters):
        return check_income(params, report.month, report.income, expected_income)
    return None


def check_income(
    params: IncomeBelowPlanParameters,
    month: int,
    income: Decimal | None,
    expected_income: Decimal | None,
) -> Finding | None:
    """Whether a month's reported income is below `ratio` times what the plan expects."""
    if income is None or not expected_income:
        return None
    if income >= params.ratio * expected_income:
        return None
    return Finding(
        {
            "month": month,
            "income": str(income),
            "expected": str(expected_income),
            "ratio": str(params.ratio),
        }
    )
