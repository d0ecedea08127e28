"""Fixtures of the assets tests."""

from __future__ import annotations

import pytest

from tests.service_fixtures import Service, StartService


@pytest.fixture
async def assets(start_service: StartService) -> Service:
    """Assets in-process with start_service's settings."""
    return await start_service("assets")
