"""cases and flags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00

Cases, flag rules as data, flags with owners, actions and resolutions, and outcomes.
"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
