"""funds budgets orders

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00

Funding sources (the state budget is created here), their budget per round, the ledger, and what
orders need to hold money: the paying fund and budget, the amount held, suppliers and agreed
prices. Orders from before (status `open`) wait for the state budget.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE_FUND_ID = "00000000-0000-0000-0000-0000000000f1"


def upgrade() -> None:
    op.create_table(
        "funds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("memorandum", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funds")),
        sa.UniqueConstraint("code", name=op.f("uq_funds_code")),
        sa.UniqueConstraint("partner_id", name=op.f("uq_funds_partner_id")),
    )
    op.execute(
        sa.text(
            "INSERT INTO funds (id, code, name, kind, created_at, version)"
            " VALUES (CAST(:id AS uuid), 'state', 'State budget', 'state', now(), 1)"
        ).bindparams(id=STATE_FUND_ID)
    )
    op.create_table(
        "budgets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("allocated", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reserved", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("spent", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("reserved >= 0 AND spent >= 0", name=op.f("ck_budgets_not_negative")),
        sa.CheckConstraint(
            "reserved + spent <= allocated", name=op.f("ck_budgets_within_allocation")
        ),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_budgets_period_order")),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.id"], name=op.f("fk_budgets_fund_id_funds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
        sa.UniqueConstraint("fund_id", "round", name=op.f("uq_budgets_fund_id")),
    )
    op.create_index(op.f("ix_budgets_fund_id"), "budgets", ["fund_id"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"], ["budgets.id"], name=op.f("fk_ledger_entries_budget_id_budgets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        op.f("ix_ledger_entries_budget_id"),
        "ledger_entries",
        ["budget_id", "at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ledger_entries_order_id"), "ledger_entries", ["order_id"], unique=False
    )

    op.add_column("orders", sa.Column("approved_on", sa.Date(), nullable=True))
    op.add_column("orders", sa.Column("fund_id", sa.Uuid(), nullable=True))
    op.add_column("orders", sa.Column("budget_id", sa.Uuid(), nullable=True))
    op.add_column(
        "orders",
        sa.Column(
            "reserved_amount",
            sa.Numeric(precision=14, scale=2),
            nullable=False,
            server_default="0",
        ),
    )
    op.add_column("orders", sa.Column("awaiting_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "orders",
        sa.Column(
            "price_approval", sa.String(length=16), nullable=False, server_default="not_required"
        ),
    )
    op.add_column("orders", sa.Column("price_approved_by", sa.Text(), nullable=True))
    op.add_column("orders", sa.Column("cancel_reason", sa.String(length=32), nullable=True))
    # Orders from before budgets: paid by the state, waiting in line from when they were opened.
    op.execute(
        sa.text(
            "UPDATE orders SET fund_id = CAST(:fund AS uuid),"
            " approved_on = (created_at AT TIME ZONE 'UTC')::date,"
            " awaiting_since = CASE WHEN status = 'open' THEN created_at END,"
            " status = CASE WHEN status = 'open' THEN 'awaiting_budget' ELSE status END"
        ).bindparams(fund=STATE_FUND_ID)
    )
    op.alter_column("orders", "approved_on", nullable=False)
    op.alter_column("orders", "fund_id", nullable=False)
    op.alter_column("orders", "reserved_amount", server_default=None)
    op.alter_column("orders", "price_approval", server_default=None)
    op.create_foreign_key(op.f("fk_orders_fund_id_funds"), "orders", "funds", ["fund_id"], ["id"])
    op.create_foreign_key(
        op.f("fk_orders_budget_id_budgets"), "orders", "budgets", ["budget_id"], ["id"]
    )
    op.create_index(op.f("ix_orders_budget_id"), "orders", ["budget_id"], unique=False)
    op.create_index(
        op.f("ix_orders_fund_id"), "orders", ["fund_id", "status", "awaiting_since"], unique=False
    )
    op.add_column("order_items", sa.Column("supplier_id", sa.Uuid(), nullable=True))
    op.add_column(
        "order_items",
        sa.Column("agreed_unit_price", sa.Numeric(precision=12, scale=2), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("order_items", "agreed_unit_price")
    op.drop_column("order_items", "supplier_id")
    op.drop_index(op.f("ix_orders_fund_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_budget_id"), table_name="orders")
    op.drop_constraint(op.f("fk_orders_budget_id_budgets"), "orders", type_="foreignkey")
    op.drop_constraint(op.f("fk_orders_fund_id_funds"), "orders", type_="foreignkey")
    # Orders still going back to the one state they had.
    op.execute(
        "UPDATE orders SET status = 'open'"
        " WHERE status IN ('awaiting_budget', 'reserved', 'ordered')"
    )
    for column in (
        "cancel_reason",
        "price_approved_by",
        "price_approval",
        "awaiting_since",
        "reserved_amount",
        "budget_id",
        "fund_id",
        "approved_on",
    ):
        op.drop_column("orders", column)
    op.drop_index(op.f("ix_ledger_entries_order_id"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_budget_id"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index(op.f("ix_budgets_fund_id"), table_name="budgets")
    op.drop_table("budgets")
    op.drop_table("funds")
