"""Generated input on every operation of the four services (schemathesis), run as processes on
real PostgreSQL and NATS: the examples, coverage, fuzzing (positive and negative input) and
stateful phases (chains through the OpenAPI links), with every check that applies and
tests/api/schemathesis_hooks.py's own. As admin on everything; as each service's own staff role
and as a partner key (their 403s are documented too) with fewer phases. The four services are
tested side by side. See generated_input_support for the settings of a deeper run."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.api.generated_input_support import (
    Result,
    failures,
    partner_key_headers,
    reports_folder,
    run_schemathesis,
)
from tests.conftest import LaunchServices
from tests.service_fixtures import Auth

pytestmark = pytest.mark.timeout(1200)

# A staff role that does most of the work in each service, and is refused the rest.
OWN_ROLE = {
    "intake": "case_officer",
    "plans": "plan_reviewer",
    "assets": "asset_officer",
    "monitoring": "monitor",
}
QUICK_PHASES = ("examples", "fuzzing")


async def test_admin_every_phase_on_every_operation(
    launch_services: LaunchServices, auth: Auth, tmp_path: Path
) -> None:
    services = await launch_services()
    folder = reports_folder(tmp_path)

    async def run(name: str) -> Result:
        return await run_schemathesis(
            services[name].url, auth("admin"), report=folder / f"admin-{name}"
        )

    results = dict(zip(services, await asyncio.gather(*map(run, services)), strict=True))
    failed = {name: result for name, result in results.items() if result.failed}
    assert not failed, failures(failed)


async def test_other_roles_and_a_partner_key(
    launch_services: LaunchServices, auth: Auth, tmp_path: Path
) -> None:
    services = await launch_services()
    partner = await partner_key_headers(services["intake"].url, auth("admin"))
    folder = reports_folder(tmp_path)

    async def run(name: str, caller: str, headers: Mapping[str, str]) -> Result:
        report = folder / f"{caller}-{name}"
        return await run_schemathesis(
            services[name].url, headers, report=report, phases=QUICK_PHASES
        )

    callers = [
        (name, caller, headers)
        for name in services
        for caller, headers in ((OWN_ROLE[name], auth(OWN_ROLE[name])), ("partner", partner))
    ]
    results = await asyncio.gather(*(run(*caller) for caller in callers))
    failed = {
        f"{name} as {caller}": result
        for (name, caller, _), result in zip(callers, results, strict=True)
        if result.failed
    }
    assert not failed, failures(failed)
