"""Each service's migrations build exactly the schema its models describe, and go down again."""

from __future__ import annotations

import ast
import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from alembic import command

import shared.ddl
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
# would change whenever they do. Events are versioned contracts, so a data migration may send one;
# the SQL the services share is read from shared/ddl, whose files are frozen (below).
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
                allowed = name.split(".")[0] in MIGRATIONS_MAY_IMPORT or name in {
                    "shared.events",
                    "shared.ddl",
                }
                assert allowed, f"{migration.name} imports {name}"


# The sha256 of each file in shared/ddl: past migrations run them, so an edit would rewrite the
# history of every database built since.
FROZEN_DDL = {
    "20261125_shared_tables": "bef7ed303c5a8040d8169a174c86ff05bb660d7752d4bda6509cd667405f0e3f",
    "20261125_shared_tables_downgrade": (
        "f682b572cb230f75298af4f639e6cfb1d3568a750b5fa69a9ea981e4e59baa52"
    ),
    "20261126_partner_keys": "30f1905ce23598265e4478c49790023bc784defd27a2c282c47137f9b23fbd4a",
    "20261126_partner_keys_downgrade": (
        "48c55f74faee389b75b854a1eedeea9f29d9942f6fc9c01eca57dd6eb3e4d38e"
    ),
    "20261203_idempotency_without_bodies": (
        "68249b04fc6d667e5d524ad5c3312d78db663faaeed248fddd4ac8888397dcee"
    ),
    "20261203_idempotency_without_bodies_downgrade": (
        "2086856abbc24501ee5e70832400ae9f477d8c9c3534bec8b58d4b9459913837"
    ),
    "20261204_due_process": "9d02f5228f454a4ed8cde7d8614e599333498fa3f88a2a2132d8223e0eae52bd",
    "20261204_due_process_downgrade": (
        "e9d9fea5b21f21adef6298012dcd7b29168c42751d07eb3f8206e84f22d6157f"
    ),
}


def test_frozen_ddl_is_never_edited() -> None:
    folder = Path(shared.ddl.__file__).parent
    found = {
        path.stem: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.glob("*.sql")
    }
    for name, digest in FROZEN_DDL.items():
        assert found.get(name) == digest, (
            f"shared/ddl/{name}.sql is frozen: past migrations run it as it is. Restore it, "
            "and add a new dated file instead, run by a new revision."
        )
    new = sorted(set(found) - set(FROZEN_DDL))
    assert not new, f"pin the sha256 of {new} in FROZEN_DDL, freezing it"
