"""participant round

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:00:00

The intake programme round each participant was selected in, so that an approved plan names it
and assets pays from that round's budget. Participants enrolled before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("participants", sa.Column("round_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_participants_round_id"), "participants", ["round_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_participants_round_id"), table_name="participants")
    op.drop_column("participants", "round_id")
