"""What a benchmark reports: a figure, the floor measured in the same run, their ratio and the
goal it is held to; and the two files the suite writes, bench/results.json and bench/results.md.

Every ratio is figure / floor. A throughput's (and a batch's, given as rows per second) must reach
its goal (`>= goal`); a latency's must stay within it (`<= goal`). A figure with no floor (memory)
is reported, its ratio and goal left empty.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Direction = Literal[">=", "<="]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench"  # the full suite's, kept in the repo
SCRATCH_DIR = Path(__file__).resolve().parents[2] / ".dayaq" / "bench"  # any other run's


@dataclass(frozen=True)
class Result:
    name: str
    figure: float
    unit: str
    floor: float | None = None
    # The goal on the ratio: "higher is better" (>=, throughputs) or "lower" (<=, times).
    goal: float | None = None
    direction: Direction = ">="
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0:
            return None
        return self.figure / self.floor

    @property
    def meets_goal(self) -> bool | None:
        ratio = self.ratio
        if ratio is None or self.goal is None:
            return None
        return ratio >= self.goal if self.direction == ">=" else ratio <= self.goal

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            "figure": _rounded(self.figure),
            "unit": self.unit,
            "floor": None if self.floor is None else _rounded(self.floor),
            "ratio": None if ratio is None else round(ratio, 4),
            "goal": None if self.goal is None else f"{self.direction} {self.goal:g}",
            "meets_goal": self.meets_goal,
            "notes": self.notes,
        }


def _rounded(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"not a finite figure: {value}")
    return round(value, 4) if abs(value) < 100 else round(value, 1)


def throughput(
    name: str, figure: float, floor: float, goal: float, unit: str, **notes: Any
) -> Result:
    """Per second, higher is better: ratio = figure / floor >= goal."""
    return Result(name, figure, unit, floor, goal, ">=", dict(notes))


def batch(
    name: str,
    items: int,
    seconds: float,
    floor_seconds: float,
    goal: float,
    unit: str,
    **notes: Any,
) -> Result:
    """A batch of `items` done in `seconds`, its floor in `floor_seconds`: as throughputs, so
    that the ratio is the share of the floor's speed (floor seconds / seconds) >= goal."""
    seconds_noted = {"seconds": round(seconds, 3), "floor_seconds": round(floor_seconds, 3)}
    return throughput(
        name, items / seconds, items / floor_seconds, goal, unit, **seconds_noted, **notes
    )


def latency(name: str, seconds: float, floor: float, goal: float, **notes: Any) -> Result:
    """A latency, lower is better: ratio = figure / floor <= goal."""
    return Result(name, seconds * 1000, "ms", floor * 1000, goal, "<=", dict(notes))


def reported(name: str, figure: float, unit: str, **notes: Any) -> Result:
    return Result(name, figure, unit, notes=dict(notes))


def write(results: Sequence[Result], folder: Path = RESULTS_DIR, **run: Any) -> None:
    """bench/results.json (a list, one item per result) and bench/results.md (a table)."""
    folder.mkdir(parents=True, exist_ok=True)
    items = [result.as_json() for result in results]
    (folder / "results.json").write_text(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
    (folder / "results.md").write_text(markdown(items, run))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def markdown(items: Sequence[dict[str, Any]], run: dict[str, Any]) -> str:
    lines = ["# Benchmark results", ""]
    lines += [f"- {key}: {value}" for key, value in run.items()]
    lines += [
        "",
        "| benchmark | figure | unit | floor | ratio | goal | meets goal |",
        "| --- | ---: | --- | ---: | ---: | --- | --- |",
    ]
    for item in items:
        meets = {True: "yes", False: "**no**", None: ""}[item["meets_goal"]]
        lines.append(
            f"| {item['name']} | {_number(item['figure'])} | {item['unit']} "
            f"| {_number(item['floor'])} | {_ratio(item['ratio'])} | {item['goal'] or ''} "
            f"| {meets} |"
        )
    lines += ["", "## Notes", ""]
    for item in items:
        if item["notes"]:
            notes = ", ".join(f"{key}={value}" for key, value in item["notes"].items())
            lines.append(f"- {item['name']}: {notes}")
    return "\n".join(lines) + "\n"
