"""Each service's migrations build exactly the schema its models describe, and go down again."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

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


# A past migration runs on databases of its own time: built from today's tables or models, it
# would change whenever they do. Events are versioned contracts, so a data migration may send one.
MIGRATIONS_MAY_IMPORT = {
    "collections",
    "datetime",
    "decimal",
    "json",
    "typing",
    "uuid",
    "alembic",
    "sqlalchemy",
}


@pytest.mark.parametrize("service", ["intake", "plans", "assets", "monitoring"])
def test_past_migrations_import_nothing_of_todays_code(service: str) -> None:
    versions = Path(__file__).parent.parent / "services" / service / "migrations" / "versions"
    for migration in sorted(versions.glob("*.py")):
        for node in ast.walk(ast.parse(migration.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                allowed = name.split(".")[0] in MIGRATIONS_MAY_IMPORT or name == "shared.events"
                assert allowed, f"{migration.name} imports {name}"
