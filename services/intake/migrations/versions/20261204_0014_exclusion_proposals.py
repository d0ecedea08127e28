"""exclusion proposals

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 01:00:00

A monitoring flag asking to exclude a person is a proposal a case officer decides, no longer an
exclusion at once: one row per flag, with the officer's decision and the adverse decision an
exclusion recorded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exclusion_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("flag_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_exclusion_proposals_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_exclusion_proposals_applicant_id_applicants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusion_proposals")),
        sa.UniqueConstraint("flag_id", name=op.f("uq_exclusion_proposals_flag_id")),
    )
    op.create_index(
        op.f("ix_exclusion_proposals_applicant_id"),
        "exclusion_proposals",
        ["applicant_id"],
        unique=False,
    )
    op.create_index(
        "ix_exclusion_proposals_status_proposed_at_id",
        "exclusion_proposals",
        ["status", "proposed_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_exclusion_proposals_status_proposed_at_id", table_name="exclusion_proposals")
    op.drop_index(op.f("ix_exclusion_proposals_applicant_id"), table_name="exclusion_proposals")
    op.drop_table("exclusion_proposals")
