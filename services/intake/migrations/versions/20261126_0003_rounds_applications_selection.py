"""rounds applications selection

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("quotas", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reserved_share", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("priority_categories", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )

    # Applications: the round, the source, the assessment and the coded facts it used.
    op.add_column("applications", sa.Column("round_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_applications_round_id"), "applications", ["round_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_applications_round_id_rounds"), "applications", "rounds", ["round_id"], ["id"]
    )
    op.create_unique_constraint(
        op.f("uq_applications_round_id"), "applications", ["round_id", "applicant_id"]
    )
    empty = sa.text("'[]'::jsonb")
    op.add_column(
        "applications",
        sa.Column("source", sa.String(length=16), nullable=False, server_default="staff"),
    )
    op.add_column("applications", sa.Column("region", sa.String(length=8), nullable=True))
    op.add_column("applications", sa.Column("categories", sa.ARRAY(sa.Text()), nullable=True))
    op.add_column("applications", sa.Column("sex", sa.String(length=8), nullable=True))
    op.add_column("applications", sa.Column("age_band", sa.String(length=8), nullable=True))
    op.add_column(
        "applications",
        sa.Column(
            "assessment",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=empty,
        ),
    )
    op.add_column(
        "applications", sa.Column("score", sa.Numeric(precision=10, scale=2), nullable=True)
    )
    op.add_column(
        "applications",
        sa.Column(
            "score_breakdown",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=empty,
        ),
    )
    op.add_column(
        "applications", sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("applications", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("applications", sa.Column("close_reason", sa.String(length=32), nullable=True))
    # Existing (direct) applications: the applicant's facts, and "submitted" is now "eligible".
    op.execute(
        "UPDATE applications SET region = applicants.region, categories = applicants.categories,"
        " sex = applicants.sex FROM applicants WHERE applicants.id = applications.applicant_id"
    )
    op.execute("UPDATE applications SET status = 'eligible' WHERE status = 'submitted'")
    op.alter_column("applications", "region", nullable=False)
    op.alter_column("applications", "categories", nullable=False)
    for column in ("source", "assessment", "score_breakdown"):
        op.alter_column("applications", column, server_default=None)

    op.create_table(
        "selections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_selections_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selections")),
    )
    op.create_index(op.f("ix_selections_round_id"), "selections", ["round_id"], unique=False)
    op.create_table(
        "selection_results",
        sa.Column("selection_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reserved", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_selection_results_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_selection_results_selection_id_selections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "selection_id", "application_id", name=op.f("pk_selection_results")
        ),
    )
    op.create_index(
        op.f("ix_selection_results_application_id"),
        "selection_results",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        "ix_selection_results_page",
        "selection_results",
        ["selection_id", "region", "rank"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_selection_results_page", table_name="selection_results")
    op.drop_index(op.f("ix_selection_results_application_id"), table_name="selection_results")
    op.drop_table("selection_results")
    op.drop_index(op.f("ix_selections_round_id"), table_name="selections")
    op.drop_table("selections")

    op.execute("UPDATE applications SET status = 'submitted' WHERE status <> 'enrolled'")
    op.drop_constraint(op.f("uq_applications_round_id"), "applications", type_="unique")
    op.drop_constraint(op.f("fk_applications_round_id_rounds"), "applications", type_="foreignkey")
    op.drop_index(op.f("ix_applications_round_id"), table_name="applications")
    for column in (
        "close_reason",
        "closed_at",
        "assessed_at",
        "score_breakdown",
        "score",
        "assessment",
        "age_band",
        "sex",
        "categories",
        "region",
        "source",
        "round_id",
    ):
        op.drop_column("applications", column)
    op.drop_table("rounds")
