"""grievances, appeals and the decisions read model

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 01:00:00

Grievances and appeals lodged in monitoring, and the read model of every service's adverse
decisions they may appeal (rebuildable from the streams).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_until", sa.Date(), nullable=True),
        sa.Column("ref_id", sa.Uuid(), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversal_effect", sa.String(length=64), nullable=True),
        sa.Column("grievance_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index(
        op.f("ix_decisions_application_id"), "decisions", ["application_id"], unique=False
    )
    op.create_index("ix_decisions_decided_at_id", "decisions", ["decided_at", "id"], unique=False)

    op.create_table(
        "grievances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("decision_service", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("lodged_by", sa.Text(), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("resolve_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("owner_role", sa.String(length=32), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("acknowledge_escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grievances")),
    )
    for column in ("application_id", "partner_id", "owner_id", "status"):
        op.create_index(op.f(f"ix_grievances_{column}"), "grievances", [column], unique=False)
    op.create_index("ix_grievances_lodged_at_id", "grievances", ["lodged_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("grievances")
    op.drop_table("decisions")
