"""`make faults` at CI size: about a hundred journeys through the four services as processes, each
service killed with SIGKILL, nats-server killed and PostgreSQL stopped fast once while journeys
are in flight, one event dead-lettered and replayed; nothing is lost, doubled or overspent.

The run starts PostgreSQL and nats-server of its own (it stops them), whatever DATABASE_URL and
NATS_URL say."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.faults.run import FAULTS, run

pytestmark = pytest.mark.e2e

JOURNEYS = 100
CONCURRENCY = 20


@pytest.mark.timeout(900)
async def test_journeys_survive_every_fault() -> None:
    # Not tmp_path: the PostgreSQL user must be able to traverse the folder.
    folder = Path(tempfile.mkdtemp(prefix="dayaq-test-faults-"))
    try:
        outcome = await run(JOURNEYS, CONCURRENCY, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert outcome.problems == []
    assert outcome.line() == (
        f"journeys={JOURNEYS} lost=0 duplicated=0 dead_lettered=1 replayed=1 overspent=0"
    )
    assert [entry.split(" with ")[0] for entry in outcome.faults] == [name for name, _ in FAULTS]
    assert all(" with 0 journeys" not in entry for entry in outcome.faults), outcome.faults
