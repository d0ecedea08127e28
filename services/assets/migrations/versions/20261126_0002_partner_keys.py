"""partner keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00

The copy of partners' API keys that intake's events keep, so that assets authenticates partners
on its own.
"""

from collections.abc import Sequence

from shared.partner_keys import create_partner_keys_table, drop_partner_keys_table

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_partner_keys_table()


def downgrade() -> None:
    drop_partner_keys_table()
