"""Each service's migrations build exactly the schema its models describe, and go down again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from alembic import command

from shared.migrations import alembic_config


@pytest.mark.parametrize("service", ["intake", "plans", "assets", "monitoring"])
async def test_migrations_match_the_models_and_reverse(
    service: str, fresh_database: Callable[[str], Awaitable[str]]
) -> None:
    config = alembic_config(service, await fresh_database(service))  # migrated to head
    # Raises if autogenerate finds any difference between the models and the database.
    await asyncio.to_thread(command.check, config)
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.check, config)
