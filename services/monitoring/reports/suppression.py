"""Small-cell suppression, so that no vulnerable person can be picked out of a published figure.

Primary suppression: in partner and public outputs every count from 1 to 4 is withheld, and so is
every figure derived from a withheld count (a rate or growth it is part of, a median or a sum of
money over the same people). 0 is shown: it describes nobody.

Secondary (complementary) suppression, so that a withheld count cannot be worked out by
subtraction:
- A group is a published total with the parts that add up to it (a year's participants and that
  year's cells by region, direction, partner or category; a budget's allocated money and its
  reserved, spent and available parts). Wherever exactly one figure of a group is withheld, the
  smallest figure of the group still shown and not 0 is withheld too (a 0 would give the hidden
  one away), the first in the table's order on a tie; this repeats until no group has a single
  figure withheld (`complete`).
- A chain is a count with the counts nested inside it (the funnel's stages, each a part of the one
  before; a partner's enrolled persons, those with assets, those operating; a survival curve's
  businesses followed and still at risk at each month). Those who stop between two shown counts
  are an unpublished cell, so two shown counts of a chain may not differ by 1 to 4: the later,
  smaller one is withheld (`separate`).
- What derives from a count is withheld with it whichever rule withheld it, and a rate or growth
  is shown only when both its counts are (`hide_ratio_unless`).

In JSON a withheld figure is `null` and its name is listed in the row's `suppressed`; CSV and XLSX
show "<5" for it (whether withheld as small or to protect another). Analysts and admins see exact
figures unless they ask for `audience=public`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

THRESHOLD = 5
MARK = "<5"

F = TypeVar("F")
R = TypeVar("R")


def publish(
    figures: F,
    *,
    withhold: Callable[[F], None],
    render: Callable[[F, int | None], R],
    suppress: bool,
) -> R:
    """The one step every report goes through: its exact `figures`, with `withhold` (the report's
    own primary and secondary rules) applied when `suppress`, rendered with the threshold they were
    suppressed below (None: exact figures)."""
    if suppress:
        withhold(figures)
    return render(figures, THRESHOLD if suppress else None)


def ratio(part: int | None, whole: int | None, digits: int = 4) -> float | None:
    """A rate or growth of two counts (withheld with either: `hide_ratio_unless`)."""
    if part is None or not whole:
        return None
    return round(part / whole, digits)


def small(count: int | None) -> bool:
    return count is not None and 0 < count < THRESHOLD


@dataclass
class Row:
    """One row of a report: its figures, and the names of those withheld."""

    values: dict[str, Any]
    suppressed: set[str] = field(default_factory=set)
    withheld: dict[str, Any] = field(default_factory=dict)  # the exact values of those withheld

    def hide(self, *names: str) -> None:
        for name in names:
            self.withheld.setdefault(name, self.values.get(name))
            self.values[name] = None
            self.suppressed.add(name)

    def exact(self, name: str) -> Any:
        return self.withheld[name] if name in self.withheld else self.values.get(name)

    def hidden(self, name: str) -> bool:
        return name in self.suppressed

    def hide_if_small(self, count: str, *derived: str) -> None:
        """Withholds `count` when it is 1 to 4, and with it the figures derived from it."""
        if small(self.values.get(count)):
            self.hide(count, *derived)

    def cell(self, name: str, *derived: str) -> Cell:
        return Cell(self, name, derived)

    def out(self) -> dict[str, Any]:
        return {**self.values, "suppressed": sorted(self.suppressed)}


class Cell:
    """One figure of a row that takes part in a group or chain, with the figures derived from it."""

    __slots__ = ("derived", "name", "row")

    def __init__(self, row: Row, name: str, derived: tuple[str, ...] = ()) -> None:
        self.row, self.name, self.derived = row, name, derived

    @property
    def value(self) -> Any:
        """The exact figure, even once withheld: the rules compare sizes."""
        return self.row.exact(self.name)

    @property
    def hidden(self) -> bool:
        return self.row.hidden(self.name)

    def hide(self) -> None:
        self.row.hide(self.name, *self.derived)


def complete(groups: Iterable[Sequence[Cell]]) -> None:
    """Secondary suppression of groups (a total and its parts, the total last): no group keeps a
    single withheld figure that its total minus the shown parts would give away."""
    groups = [list(group) for group in groups]
    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(cell.hidden for cell in group) != 1:
                continue
            shown = [cell for cell in group if not cell.hidden and cell.value]
            if shown:  # none left only if the rest are 0s, then the withheld total is its part
                min(shown, key=lambda cell: cell.value).hide()  # min: the first of equals
                changed = True


def separate(chain: Sequence[Cell]) -> None:
    """Secondary suppression of a chain of nested counts (largest first): no two shown counts
    differ by 1 to 4, which would publish the few who stopped between them."""
    last: Cell | None = None
    for cell in chain:
        if cell.hidden or cell.value is None:
            continue
        if last is not None and small(last.value - cell.value):
            cell.hide()
        else:
            last = cell


def hide_ratio_unless(row: Row, ratio: str, *counts: Cell | None) -> None:
    """A rate or growth is shown only when every count it is computed from is."""
    if any(count is not None and count.hidden for count in counts):
        row.hide(ratio)
