"""partial deliveries, budget reductions, budgets linked to intake rounds

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:00:00

An order may be handed over in several deliveries: deliveries.order_id is no longer unique, each
order item counts the units handed over, and each order what its deliveries spent. Orders
delivered before are filled in as wholly delivered. Budgets may name the intake round they fund.
(Budget reductions are ledger entries of a new kind: no schema change.)

The downgrade brings back one delivery per order; it fails while an order has several.
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
    op.add_column("budgets", sa.Column("round_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_budgets_round_id"), "budgets", ["round_id"], unique=False)
    op.drop_constraint(op.f("uq_deliveries_order_id"), "deliveries", type_="unique")
    op.create_index(op.f("ix_deliveries_order_id"), "deliveries", ["order_id"], unique=False)
    # Server defaults fill the rows already there, then go: the models set the values.
    op.add_column(
        "order_items",
        sa.Column("delivered_quantity", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "orders",
        sa.Column(
            "spent_amount", sa.Numeric(precision=14, scale=2), nullable=False, server_default="0"
        ),
    )
    op.execute(
        "UPDATE order_items SET delivered_quantity = quantity FROM orders "
        "WHERE orders.id = order_items.order_id AND orders.status = 'delivered'"
    )
    op.execute("UPDATE orders SET spent_amount = reserved_amount WHERE status = 'delivered'")
    op.alter_column("order_items", "delivered_quantity", server_default=None)
    op.alter_column("orders", "spent_amount", server_default=None)
    op.create_check_constraint(
        op.f("ck_order_items_delivered_in_range"),
        "order_items",
        "delivered_quantity >= 0 AND delivered_quantity <= quantity",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_order_items_delivered_in_range"), "order_items", type_="check")
    op.drop_column("orders", "spent_amount")
    op.drop_column("order_items", "delivered_quantity")
    op.drop_index(op.f("ix_deliveries_order_id"), table_name="deliveries")
    op.create_unique_constraint(op.f("uq_deliveries_order_id"), "deliveries", ["order_id"])
    op.drop_index(op.f("ix_budgets_round_id"), table_name="budgets")
    op.drop_column("budgets", "round_id")
