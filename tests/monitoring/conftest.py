"""Fixtures of the monitoring tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
