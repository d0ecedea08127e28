"""programme exclusion

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:00:00

A person excluded from the programme by a monitoring flag (e.g. the assets were sold).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("applicants", sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("applicants", sa.Column("excluded_rule", sa.String(length=64), nullable=True))
    op.add_column("applicants", sa.Column("excluded_flag_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("applicants", "excluded_flag_id")
    op.drop_column("applicants", "excluded_rule")
    op.drop_column("applicants", "excluded_at")
