"""cases and flags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00

Cases, flag rules as data, flags with owners, actions and resolutions, and outcomes.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rules the programme starts with; admins change them at PUT /v1/flag-rules/{code}.
SEED_RULES = [
    {
        "code": "not_operating",
        "kind": "not_operating",
        "parameters": {},
        "actions": ["follow_up_visit", "revise_plan"],
        "owner_role": "case_officer",
    },
    {
        "code": "asset_lost",
        "kind": "item_status",
        "parameters": {"statuses": ["missing", "sold"]},
        "actions": ["recover_asset", "exclude_from_programme"],
        "owner_role": "case_officer",
    },
    {
        "code": "income_below_plan",
        "kind": "income_below_plan",
        "parameters": {"ratio": "0.5"},
        "actions": ["advise"],
        "owner_role": "monitor",
    },
    {
        "code": "visit_overdue",
        "kind": "visit_overdue",
        "parameters": {"days": 30},
        "actions": ["visit_now"],
        "owner_role": "monitor",
    },
]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("close_reason", sa.String(length=64), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_cases")),
    )
    op.create_index(
        "ix_cases_opened_at_participant_id",
        "cases",
        ["opened_at", "participant_id"],
        unique=False,
    )
    op.create_index(op.f("ix_cases_partner_id"), "cases", ["partner_id"], unique=False)
    op.create_index(op.f("ix_cases_region"), "cases", ["region"], unique=False)
    flag_rules = op.create_table(
        "flag_rules",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actions", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("owner_role", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_flag_rules")),
    )
    op.create_table(
        "flags",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=True),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actions", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("owner_role", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint(
            "participant_id", "rule", "visit_id", name=op.f("uq_flags_participant_id")
        ),
    )
    op.create_index(op.f("ix_flags_owner_id"), "flags", ["owner_id"], unique=False)
    op.create_index(op.f("ix_flags_participant_id"), "flags", ["participant_id"], unique=False)
    op.create_index(op.f("ix_flags_partner_id"), "flags", ["partner_id"], unique=False)
    op.create_index("ix_flags_raised_at_id", "flags", ["raised_at", "id"], unique=False)
    op.create_table(
        "plan_expectations",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("income", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("costs", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", "month", name=op.f("pk_plan_expectations")),
    )
    op.create_table(
        "report_evaluations",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_report_evaluations")),
    )
    op.create_index(
        op.f("ix_report_evaluations_participant_id"),
        "report_evaluations",
        ["participant_id"],
        unique=False,
    )
    op.bulk_insert(
        flag_rules,
        [
            {**rule, "active": True, "updated_at": datetime.now(UTC), "version": 1}
            for rule in SEED_RULES
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_report_evaluations_participant_id"), table_name="report_evaluations")
    op.drop_table("report_evaluations")
    op.drop_table("plan_expectations")
    op.drop_index("ix_flags_raised_at_id", table_name="flags")
    op.drop_index(op.f("ix_flags_partner_id"), table_name="flags")
    op.drop_index(op.f("ix_flags_participant_id"), table_name="flags")
    op.drop_index(op.f("ix_flags_owner_id"), table_name="flags")
    op.drop_table("flags")
    op.drop_table("flag_rules")
    op.drop_index(op.f("ix_cases_region"), table_name="cases")
    op.drop_index(op.f("ix_cases_partner_id"), table_name="cases")
    op.drop_index("ix_cases_opened_at_participant_id", table_name="cases")
    op.drop_table("cases")
