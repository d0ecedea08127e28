"""partner memoranda

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:00:00

Plans' copy of the partners' memoranda, kept by intake.memorandum.recorded: a partner runs
training sessions only within one that covers trainings.
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
    op.create_table(
        "partner_memoranda",
        sa.Column("memorandum_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("areas", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("memorandum_id", name=op.f("pk_partner_memoranda")),
    )
    op.create_index(
        op.f("ix_partner_memoranda_partner_id"), "partner_memoranda", ["partner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_memoranda_partner_id"), table_name="partner_memoranda")
    op.drop_table("partner_memoranda")
