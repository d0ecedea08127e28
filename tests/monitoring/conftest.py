"""Fixtures of the monitoring tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.monitoring.programme_support import Facts, generate_facts, load
from tests.service_fixtures import Service, StartService


@pytest.fixture
def monitoring_settings() -> dict[str, Any]:
    """Settings `monitoring` starts with beyond its defaults: a module overrides this fixture to
    change them for its own tests only."""
    return {}


@pytest.fixture
async def monitoring(
    start_service: StartService, tmp_path: Path, monitoring_settings: dict[str, Any]
) -> Service:
    """Monitoring in-process, its files (photos, attachments) kept in the test's tmp_path."""
    return await start_service(
        "monitoring", filestore_path=tmp_path / "files", **monitoring_settings
    )


@pytest.fixture
async def programme(start_service: StartService) -> tuple[Service, Facts]:
    """Monitoring with the synthetic programme's facts loaded, and those facts."""
    monitoring = await start_service("monitoring")
    facts = generate_facts()
    await load(monitoring, facts)
    return monitoring, facts
