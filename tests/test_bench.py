"""`make bench` at its quick size, to prove it works: every benchmark runs and writes its result
in the shape bench/results.json promises. No timing is asserted here: the figures are the
bench's to report, not the tests' to judge."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.results import Result, batch, latency, markdown, reported, throughput

ROOT = Path(__file__).resolve().parent.parent
# Every benchmark the suite runs, by the start of its name.
EXPECTED = [
    "/healthz",
    "load generator: wrk's capacity against the bare floor",
    "create applicant over HTTP, registry",
    "read one application over HTTP, registry",
    "create applicant over HTTP: larger registry / smaller",
    "read one application over HTTP: larger registry / smaller",
    "memory of intake after the load",
    "memory of plans after the load",
    "memory of assets after the load",
    "memory of monitoring after the load",
    "enrolled in intake -> plan opened in plans, p99",
    "outbox relay",
    "import of referral rows",
    "import: peak memory of the importing process",
    "selection",
    "funnel report",
    "participants per year report",
]
KEYS = {"name", "figure", "unit", "floor", "ratio", "goal", "meets_goal", "notes"}


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_the_quick_suite_writes_every_result(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=880,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    items = json.loads((tmp_path / "results.json").read_text())
    names = [item["name"] for item in items]
    for expected in EXPECTED:
        assert any(name.startswith(expected) for name in names), (expected, names)
    # Two sizes of the registry for each request-path benchmark.
    assert sum(name.startswith("create applicant over HTTP, registry") for name in names) == 2
    for item in items:
        assert set(item) == KEYS, item
        assert math.isfinite(item["figure"]), item
        assert item["figure"] > 0, item
        if item["floor"] is not None:
            assert math.isfinite(item["ratio"]), item
            assert item["ratio"] > 0, item
            assert item["goal"] is not None, item
            assert isinstance(item["meets_goal"], bool), item
            # Every figure against a floor had no failed request.
            assert item["notes"].get("failures", 0) == 0, item
    table = (tmp_path / "results.md").read_text()
    assert all(f"| {name} |" in table for name in names)


def test_a_ratio_is_the_figure_over_its_floor_held_to_its_goal() -> None:
    fast = throughput("create", 100.0, 400.0, 0.25, "req/s")
    assert (fast.ratio, fast.meets_goal) == (0.25, True)
    slow = latency("event", 0.4, 0.1, 3.0)
    assert slow.as_json()["figure"] == 400.0
    assert (slow.ratio, slow.meets_goal, slow.as_json()["goal"]) == (4.0, False, "<= 3")
    # A batch is a throughput: its ratio is the floor's time over its own.
    job = batch("import", 1000, 10.0, 1.0, 0.1, "rows/s")
    assert job.ratio == pytest.approx(0.1)
    assert job.meets_goal
    memory = reported("memory", 120.5, "MiB")
    assert (memory.ratio, memory.meets_goal, memory.as_json()["goal"]) == (None, None, None)


def test_a_figure_that_is_not_finite_is_refused() -> None:
    with pytest.raises(ValueError, match="not a finite figure"):
        Result("broken", float("nan"), "req/s").as_json()


def test_the_table_has_a_row_per_result_and_marks_missed_goals() -> None:
    items = [throughput("a", 1.0, 10.0, 0.5, "req/s").as_json()]
    table = markdown(items, {"size": "quick"})
    assert "- size: quick" in table
    assert "| a | 1.000 | req/s | 10 | 0.1 | >= 0.5 | **no** |" in table
