"""Eligibility rules as data. A round holds a list like
`[{"rule": "age_between", "min": 18, "max": 45}, {"rule": "not_benefited"}]`: each rule type has a
pydantic model for its parameters and a small function that checks one applicant's facts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from intake.applicants.models import Category
from shared.regions import RegionCode


@dataclass(frozen=True)
class Facts:
    """What the rules and the score look at: coded facts about the applicant, and the round's
    reference dates. Unknown facts are None (e.g. household size not yet recorded)."""

    birth_date: date | None
    sex: str | None
    household_size: int | None
    categories: frozenset[str]
    region: str
    benefited_at: datetime | None
    reference_date: date  # the round's start: ages are counted at this date
    excluded_rule: str | None = None  # the flag's rule (e.g. asset_lost) a case officer excluded on


class RuleResult(BaseModel):
    rule: str
    passed: bool
    observed: int | str | list[str] | None = Field(
        description="The applicant's value the rule looked at (coded, never personal data)"
    )
    explanation: str


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgeBetween(_Rule):
    """Age in full years at the round's start, bounds included."""

    rule: Literal["age_between"]
    min: int = Field(ge=0, le=120)
    max: int = Field(ge=0, le=120)

    @model_validator(mode="after")
    def _ordered(self) -> AgeBetween:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class CategoryIn(_Rule):
    """At least one of the applicant's categories is listed."""

    rule: Literal["category_in"]
    categories: list[Category] = Field(min_length=1)


class RegionIn(_Rule):
    rule: Literal["region_in"]
    regions: list[RegionCode] = Field(min_length=1)


class NotBenefited(_Rule):
    """Has never received the programme's assets (one person, one benefit)."""

    rule: Literal["not_benefited"]


class HouseholdSizeAtLeast(_Rule):
    rule: Literal["household_size_at_least"]
    min: int = Field(ge=1, le=50)


class SexIn(_Rule):
    rule: Literal["sex_in"]
    sexes: list[Literal["male", "female"]] = Field(min_length=1)


Rule = Annotated[
    AgeBetween | CategoryIn | RegionIn | NotBenefited | HouseholdSizeAtLeast | SexIn,
    Field(discriminator="rule"),
]
RULES_ADAPTER: TypeAdapter[list[Rule]] = TypeAdapter(list[Rule])

R = TypeVar("R", bound=_Rule)
_CHECKS: dict[type[_Rule], Callable[[Any, Facts], RuleResult]] = {}


def _check(
    model: type[R],
) -> Callable[[Callable[[R, Facts], RuleResult]], Callable[[R, Facts], RuleResult]]:
    def register(function: Callable[[R, Facts], RuleResult]) -> Callable[[R, Facts], RuleResult]:
        _CHECKS[model] = function
        return function

    return register


def age_at(birth_date: date, on: date) -> int:
    """Completed years, as `relativedelta(on, birth_date).years` counts them (born on 29 February:
    a year older on 28 February of other years), by arithmetic: it runs for every assessed row."""
    if on < birth_date:
        return relativedelta(on, birth_date).years
    try:
        birthday = birth_date.replace(year=on.year)
    except ValueError:  # 29 February in a year without one
        birthday = date(on.year, 2, 28)
    return on.year - birth_date.year - (on < birthday)


@_check(AgeBetween)
def age_between(rule: AgeBetween, facts: Facts) -> RuleResult:
    if facts.birth_date is None:
        return RuleResult(
            rule=rule.rule, passed=False, observed=None, explanation="birth date unknown"
        )
    age = age_at(facts.birth_date, facts.reference_date)
    passed = rule.min <= age <= rule.max
    return RuleResult(
        rule=rule.rule,
        passed=passed,
        observed=age,
        explanation=f"age {age} on {facts.reference_date.isoformat()} is "
        f"{'within' if passed else 'outside'} {rule.min}-{rule.max}",
    )


@_check(CategoryIn)
def category_in(rule: CategoryIn, facts: Facts) -> RuleResult:
    wanted = {c.value for c in rule.categories}
    matching = sorted(facts.categories & wanted)
    return RuleResult(
        rule=rule.rule,
        passed=bool(matching),
        observed=sorted(facts.categories),
        explanation=f"in {', '.join(matching)}"
        if matching
        else f"none of {', '.join(sorted(wanted))}",
    )


@_check(RegionIn)
def region_in(rule: RegionIn, facts: Facts) -> RuleResult:
    passed = facts.region in rule.regions
    return RuleResult(
        rule=rule.rule,
        passed=passed,
        observed=facts.region,
        explanation=f"region {facts.region} is {'' if passed else 'not '}one of the round's",
    )


@_check(NotBenefited)
def not_benefited(rule: NotBenefited, facts: Facts) -> RuleResult:
    if facts.benefited_at is None:
        return RuleResult(
            rule=rule.rule, passed=True, observed=None, explanation="has not benefited before"
        )
    on = facts.benefited_at.date().isoformat()
    return RuleResult(
        rule=rule.rule, passed=False, observed=on, explanation=f"already benefited on {on}"
    )


@_check(HouseholdSizeAtLeast)
def household_size_at_least(rule: HouseholdSizeAtLeast, facts: Facts) -> RuleResult:
    size = facts.household_size
    if size is None:
        return RuleResult(
            rule=rule.rule, passed=False, observed=None, explanation="household size unknown"
        )
    passed = size >= rule.min
    return RuleResult(
        rule=rule.rule,
        passed=passed,
        observed=size,
        explanation=f"household of {size} is {'at least' if passed else 'below'} {rule.min}",
    )


@_check(SexIn)
def sex_in(rule: SexIn, facts: Facts) -> RuleResult:
    passed = facts.sex in rule.sexes
    return RuleResult(
        rule=rule.rule,
        passed=passed,
        observed=facts.sex,
        explanation=f"sex {facts.sex or 'unknown'} is {'' if passed else 'not '}"
        f"one of {', '.join(rule.sexes)}",
    )


NOT_EXCLUDED = "not_excluded"


def exclusion(facts: Facts) -> list[RuleResult]:
    """Not a round's rule but the programme's: a person a case officer excluded on a monitoring
    flag (e.g. for selling the assets) is not eligible again, in any round or none, unless an
    upheld appeal lifted the exclusion."""
    if facts.excluded_rule is None:
        return []
    return [
        RuleResult(
            rule=NOT_EXCLUDED,
            passed=False,
            observed=facts.excluded_rule,
            explanation=f"excluded from the programme ({facts.excluded_rule})",
        )
    ]


def evaluate(rules: Sequence[_Rule], facts: Facts) -> list[RuleResult]:
    """Every rule's result, in the round's order (all are checked, so the officer sees each)."""
    return [_CHECKS[type(rule)](rule, facts) for rule in rules]


def parse_rules(data: Sequence[dict[str, Any]]) -> list[Rule]:
    return RULES_ADAPTER.validate_python(list(data))
