"""Runs the schemathesis CLI against one running service and keeps what it printed.

DAYAQ_GENERATED_EXAMPLES sets the examples per operation and phase (5 by default, for CI: the
module runs in a few minutes); DAYAQ_GENERATED_REPORTS a folder to keep each run's output and
JUnit report in (the test's tmp_path by default)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.api.partner_keys_support import REFERRER_SCOPES

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
EXAMPLES = int(os.environ.get("DAYAQ_GENERATED_EXAMPLES", "5"))
STATEFUL_FACTOR = 6
HOOKS = "tests.api.schemathesis_hooks"
ROOT = Path(__file__).parent.parent.parent

# Every check of schemathesis applies, less these:
EXCLUDED_CHECKS = (
    # Schema-valid input that the services rightly refuse for reasons no JSON Schema can state:
    # a cursor they did not sign, an If-Match that is not the current ETag, an Idempotency-Key
    # sent again with another body, a NUL that PostgreSQL cannot store, a birth date in the
    # future, a code another record has. Each is a 4xx problem the operation documents.
    "positive_data_acceptance",
    # Needs two principals' resources side by side: the hostile-caller matrix of
    # tests/isolation covers partner isolation route by route.
    "object_level_authorization",
)


@dataclass
class Result:
    failed: bool
    output: str


def reports_folder(default: Path) -> Path:
    folder = os.environ.get("DAYAQ_GENERATED_REPORTS")
    return Path(folder) if folder else default


async def run_schemathesis(
    url: str,
    headers: Mapping[str, str],
    *,
    report: Path,
    phases: Sequence[str] = ALL_PHASES,
    examples: int = EXAMPLES,
) -> Result:
    """The whole OpenAPI document of the service at `url`, every operation, with these headers.
    Runs in `report`, where schemathesis keeps its cache, its report and what it printed."""
    await asyncio.to_thread(_configure, report, examples)
    args = [sys.executable, "-m", "schemathesis.cli", "--config-file", "schemathesis.toml"]
    args += ["run", f"{url}/openapi.json"]
    args += ["--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS)]
    args += ["--phases", ",".join(phases)]
    # Reproducible: the same seed, one worker, no database of past failures between runs.
    args += ["--seed", "1", "--workers", "1", "--generation-database", "none"]
    args += ["--no-color", "--report", "junit", "--report-dir", "."]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=report,
        env={**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    printed, _ = await process.communicate()
    output = printed.decode(errors="replace")
    await asyncio.to_thread((report / "output.txt").write_text, output)
    return Result(failed=process.returncode != 0, output=output)


def _configure(report: Path, examples: int) -> None:
    report.mkdir(parents=True, exist_ok=True)
    # The stateful phase's scenarios are chains of calls: more of them than single examples.
    (report / "schemathesis.toml").write_text(
        f"[generation]\nmax-examples = {examples}\n\n"
        f"[phases.stateful]\nmax-steps = 12\n\n"
        f"[phases.stateful.generation]\nmax-examples = {examples * STATEFUL_FACTOR}\n"
    )


def failures(results: Mapping[str, Result]) -> str:
    """What the failed runs printed, to read in the test's assertion."""
    return "\n\n".join(f"== {name}\n{result.output[-20000:]}" for name, result in results.items())


async def partner_key_headers(intake_url: str, admin: Mapping[str, str]) -> dict[str, str]:
    """The X-API-Key of a new referring partner, issued through intake's API."""
    async with httpx.AsyncClient(base_url=intake_url, headers=dict(admin)) as client:
        partner = await client.post("/v1/partners", json={"name": "AHİK"})
        assert partner.status_code == 201, partner.text
        issued = await client.post(
            f"/v1/partners/{partner.json()['id']}/api-keys", json={"scopes": REFERRER_SCOPES}
        )
        assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}
