"""rules changes and key use

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 00:00:00

Who last changed an open round's rules (which re-assesses its applications) and when; when a
partner's API key last authenticated a request to intake.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rounds", sa.Column("rules_changed_at", sa.DateTime(timezone=True)))
    op.add_column("rounds", sa.Column("rules_changed_by", sa.Text()))
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("api_keys", "last_used_at")
    op.drop_column("rounds", "rules_changed_by")
    op.drop_column("rounds", "rules_changed_at")
