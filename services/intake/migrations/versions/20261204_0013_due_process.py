"""adverse decisions and consent withdrawals

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 00:00:00

The tables of due process every service keeps: the decisions that hurt a person, made here, and
the partners a person has withdrawn consent to share with.
"""

from collections.abc import Sequence

from shared.ddl import execute_frozen_sql

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    execute_frozen_sql("20261204_due_process")


def downgrade() -> None:
    execute_frozen_sql("20261204_due_process_downgrade")
