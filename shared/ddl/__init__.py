"""SQL that past migrations run, kept as dated files frozen once released (tests/test_migrations.py
pins their hashes), so that the four services share one copy and no change of today's code
rewrites it. A later change to these tables is a new dated file, never an edit."""

from importlib.resources import files


def frozen_sql(name: str) -> str:
    """The text of `shared/ddl/<name>.sql`."""
    return files(__name__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def frozen_statements(name: str) -> list[str]:
    """One statement per execute: asyncpg runs no more (none of them has ";" at a line end)."""
    return [statement for statement in frozen_sql(name).split(";\n") if statement.strip()]
