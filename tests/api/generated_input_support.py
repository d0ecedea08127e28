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
HOOKS = "tests.api.schemathesis_hooks"

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
    """The whole OpenAPI document of the service at `url`, every operation, with these headers."""
    args = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json"]
    args += ["--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS)]
    args += ["--phases", ",".join(phases), "--max-examples", str(examples)]
    # Reproducible: the same seed, one worker, no database of past failures between runs.
    args += ["--seed", "1", "--workers", "1", "--generation-database", "none"]
    args += ["--no-color", "--report", "junit", "--report-dir", str(report)]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    process = await asyncio.create_subprocess_exec(
        *args,
        env={**os.environ, "SCHEMATHESIS_HOOKS": HOOKS},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    printed, _ = await process.communicate()
    output = printed.decode(errors="replace")
    await asyncio.to_thread(_keep, report, output)
    return Result(failed=process.returncode != 0, output=output)


def _keep(report: Path, output: str) -> None:
    report.mkdir(parents=True, exist_ok=True)
    (report / "output.txt").write_text(output)


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
