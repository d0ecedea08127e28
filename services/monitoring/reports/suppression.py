"""Small-cell suppression, so that no vulnerable person can be picked out of a published figure.

The rule: in partner and public outputs every count from 1 to 4 is withheld, and so is every
figure derived from a withheld count (a rate or growth it is part of, a median or a sum of money
over the same people). 0 is shown: it describes nobody. In JSON a withheld figure is `null` and its
name is listed in the row's `suppressed`; CSV and XLSX show "<5". Analysts and admins see exact
figures unless they ask for `audience=public`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

THRESHOLD = 5
MARK = "<5"


def small(count: int | None) -> bool:
    return count is not None and 0 < count < THRESHOLD


@dataclass
class Row:
    """One row of a report: its figures, and the names of those withheld."""

    values: dict[str, Any]
    suppressed: set[str] = field(default_factory=set)

    def hide(self, *names: str) -> None:
        for name in names:
            self.values[name] = None
            self.suppressed.add(name)

    def hidden(self, name: str) -> bool:
        return name in self.suppressed

    def hide_if_small(self, count: str, *derived: str) -> None:
        """Withholds `count` when it is 1 to 4, and with it the figures derived from it."""
        if small(self.values.get(count)):
            self.hide(count, *derived)

    def out(self) -> dict[str, Any]:
        return {**self.values, "suppressed": sorted(self.suppressed)}
