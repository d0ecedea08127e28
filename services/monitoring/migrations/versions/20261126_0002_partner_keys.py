"""partner keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00

The copy of partners' API keys that intake's events keep, so that monitoring authenticates partners
on its own.
"""

from collections.abc import Sequence

from shared.ddl import execute_frozen_sql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The copy of partners' keys as it was at this revision.
    execute_frozen_sql("20261126_partner_keys")


def downgrade() -> None:
    execute_frozen_sql("20261126_partner_keys_downgrade")
