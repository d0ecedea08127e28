"""Priority as data: points per category, per household member above a size, and per day waited,
each with an optional cap. A score is the sum of its breakdown, so it explains itself.

Weights, e.g.:
    {"categories": {"points": {"martyr_family": "50", "war_participant": "40"}, "cap": "60"},
     "household": {"above": 3, "per_member": "5", "cap": "20"},
     "waiting": {"per_day": "0.1", "cap": "30"}}
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from intake.applicants.models import Category
from intake.rounds.rules import Facts

CENT = Decimal("0.01")
Points = Decimal


class _Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryPoints(_Weights):
    points: dict[Category, Points] = Field(default_factory=dict)
    cap: Points | None = Field(None, ge=0, description="Most points from categories together")


class HouseholdPoints(_Weights):
    above: int = Field(0, ge=0, description="Members up to this size earn nothing")
    per_member: Points = Field(ge=0)
    cap: Points | None = Field(None, ge=0)


class WaitingPoints(_Weights):
    """Days from submission to the round's end: those who applied early rank higher."""

    per_day: Points = Field(ge=0)
    cap: Points | None = Field(None, ge=0)


class Weights(_Weights):
    categories: CategoryPoints | None = None
    household: HouseholdPoints | None = None
    waiting: WaitingPoints | None = None


class Factor(BaseModel):
    factor: str = Field(examples=["categories"])
    points: Decimal = Field(examples=["50.00"])
    detail: str = Field(examples=["martyr_family 50"])


def _capped(points: Decimal, cap: Decimal | None) -> tuple[Decimal, str]:
    if cap is not None and points > cap:
        return cap, f", capped at {cap}"
    return points, ""


def score(
    weights: Weights, facts: Facts, *, submitted_at: datetime, round_end: date
) -> tuple[Decimal, list[Factor]]:
    """The score and its breakdown; the score is exactly the sum of the factors' points."""
    factors: list[Factor] = []
    if weights.categories is not None:
        earned = {
            c.value: p for c, p in weights.categories.points.items() if c.value in facts.categories
        }
        if earned:
            points, capped = _capped(sum(earned.values(), Decimal(0)), weights.categories.cap)
            detail = " + ".join(f"{c} {p}" for c, p in sorted(earned.items())) + capped
            factors.append(Factor(factor="categories", points=points, detail=detail))
    if weights.household is not None and facts.household_size is not None:
        extra = facts.household_size - weights.household.above
        if extra > 0:
            points, capped = _capped(extra * weights.household.per_member, weights.household.cap)
            detail = (
                f"{extra} members above {weights.household.above} x "
                f"{weights.household.per_member}{capped}"
            )
            factors.append(Factor(factor="household", points=points, detail=detail))
    if weights.waiting is not None:
        days = max(0, (round_end - submitted_at.date()).days)
        if days > 0:
            points, capped = _capped(days * weights.waiting.per_day, weights.waiting.cap)
            detail = f"{days} days to {round_end.isoformat()} x {weights.waiting.per_day}{capped}"
            factors.append(Factor(factor="waiting", points=points, detail=detail))
    factors = [f.model_copy(update={"points": f.points.quantize(CENT)}) for f in factors]
    return sum((f.points for f in factors), Decimal(0)).quantize(CENT), factors
