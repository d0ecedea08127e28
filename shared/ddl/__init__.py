"""SQL that past migrations run, kept as dated files frozen once released (tests/test_migrations.py
pins their hashes), so that the four services share one copy and no change of today's code
rewrites it. A later change to these tables is a new dated file, never an edit."""

from importlib.resources import files

from alembic import op


def frozen_sql(name: str) -> str:
    """The text of `shared/ddl/<name>.sql`."""
    return files(__name__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def execute_frozen_sql(name: str) -> None:
    """Runs `shared/ddl/<name>.sql` in the migration at hand, one statement per execute: asyncpg
    runs no more (no statement in these files has ";" at a line end)."""
    for statement in frozen_sql(name).split(";\n"):
        if statement.strip():
            op.execute(statement)
