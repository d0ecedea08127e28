"""selection attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:00:00

How many times a runner took a selection job up, so that a job whose runs keep dying is failed
after a limit instead of being run again for ever.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "selections", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("selections", "attempts")
