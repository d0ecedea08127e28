"""Fixtures of the plans tests."""

from __future__ import annotations

import pytest

from tests.service_fixtures import Service, StartService


@pytest.fixture
async def plans(start_service: StartService) -> Service:
    """Plans in-process with start_service's settings."""
    return await start_service("plans")
