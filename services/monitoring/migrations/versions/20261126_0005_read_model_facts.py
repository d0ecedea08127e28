"""read model facts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:00:00

The facts of every service's events that the reports read; rebuildable from the streams.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "application_facts",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=True),
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enrollment_cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan_last_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan_total", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("delivered_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_application_facts")),
    )
    op.create_index(
        op.f("ix_application_facts_applicant_id"),
        "application_facts",
        ["applicant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_application_facts_applied_at"), "application_facts", ["applied_at"], unique=False
    )
    op.create_index(
        op.f("ix_application_facts_enrolled_at"), "application_facts", ["enrolled_at"], unique=False
    )
    op.create_index(
        op.f("ix_application_facts_partner_id"), "application_facts", ["partner_id"], unique=False
    )
    op.create_index(
        op.f("ix_application_facts_round_id"), "application_facts", ["round_id"], unique=False
    )
    op.create_table(
        "budget_facts",
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("fund_partner_id", sa.Uuid(), nullable=True),
        sa.Column("round", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("allocated", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("budget_id", name=op.f("pk_budget_facts")),
    )
    op.create_index(op.f("ix_budget_facts_fund_id"), "budget_facts", ["fund_id"], unique=False)
    op.create_index(
        op.f("ix_budget_facts_fund_partner_id"), "budget_facts", ["fund_partner_id"], unique=False
    )
    op.create_table(
        "delivery_facts",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_delivery_facts")),
    )
    op.create_index(
        op.f("ix_delivery_facts_order_id"), "delivery_facts", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_delivery_facts_participant_id"), "delivery_facts", ["participant_id"], unique=False
    )
    op.create_table(
        "order_facts",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("fund_id", sa.Uuid(), nullable=True),
        sa.Column("budget_id", sa.Uuid(), nullable=True),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("reserved", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("delivered_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("released", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_facts")),
    )
    op.create_index(op.f("ix_order_facts_budget_id"), "order_facts", ["budget_id"], unique=False)
    op.create_index(op.f("ix_order_facts_fund_id"), "order_facts", ["fund_id"], unique=False)
    op.create_index(
        op.f("ix_order_facts_participant_id"), "order_facts", ["participant_id"], unique=False
    )
    op.create_table(
        "training_facts",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=False),
        sa.Column("run_by_partner_id", sa.Uuid(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", "session_id", name=op.f("pk_training_facts")),
    )
    op.create_index(
        op.f("ix_training_facts_run_by_partner_id"),
        "training_facts",
        ["run_by_partner_id"],
        unique=False,
    )
    op.create_table(
        "visit_facts",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("operating", sa.Boolean(), nullable=False),
        sa.Column("income", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("costs", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("jobs", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_visit_facts")),
    )
    op.create_index(
        op.f("ix_visit_facts_participant_id"), "visit_facts", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_visit_facts_participant_id"), table_name="visit_facts")
    op.drop_table("visit_facts")
    op.drop_index(op.f("ix_training_facts_run_by_partner_id"), table_name="training_facts")
    op.drop_table("training_facts")
    op.drop_index(op.f("ix_order_facts_participant_id"), table_name="order_facts")
    op.drop_index(op.f("ix_order_facts_fund_id"), table_name="order_facts")
    op.drop_index(op.f("ix_order_facts_budget_id"), table_name="order_facts")
    op.drop_table("order_facts")
    op.drop_index(op.f("ix_delivery_facts_participant_id"), table_name="delivery_facts")
    op.drop_index(op.f("ix_delivery_facts_order_id"), table_name="delivery_facts")
    op.drop_table("delivery_facts")
    op.drop_index(op.f("ix_budget_facts_fund_partner_id"), table_name="budget_facts")
    op.drop_index(op.f("ix_budget_facts_fund_id"), table_name="budget_facts")
    op.drop_table("budget_facts")
    op.drop_index(op.f("ix_application_facts_round_id"), table_name="application_facts")
    op.drop_index(op.f("ix_application_facts_partner_id"), table_name="application_facts")
    op.drop_index(op.f("ix_application_facts_enrolled_at"), table_name="application_facts")
    op.drop_index(op.f("ix_application_facts_applied_at"), table_name="application_facts")
    op.drop_index(op.f("ix_application_facts_applicant_id"), table_name="application_facts")
    op.drop_table("application_facts")
