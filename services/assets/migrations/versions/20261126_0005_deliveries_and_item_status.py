"""deliveries and item status

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:00:00

Handover acts (coded signer, the uploaded scan), bulk units, the delivered items' status and
history, and the flags of refused second handovers of a serial number.
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
    op.alter_column(
        "deliveries",
        "signed_by",
        existing_type=sa.Text(),
        type_=sa.String(length=16),
        existing_nullable=False,
    )
    op.add_column("deliveries", sa.Column("officer_id", sa.String(length=64), nullable=True))
    op.add_column("deliveries", sa.Column("act_key", sa.Text(), nullable=True))
    op.add_column("deliveries", sa.Column("act_content_type", sa.String(length=32), nullable=True))
    op.add_column("deliveries", sa.Column("act_size", sa.Integer(), nullable=True))
    op.add_column(
        "deliveries", sa.Column("act_uploaded_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Server defaults fill the rows already there, then go: the models set the values.
    op.add_column(
        "deliveries", sa.Column("version", sa.Integer(), nullable=False, server_default="1")
    )
    op.alter_column("deliveries", "version", server_default=None)

    op.alter_column("delivered_units", "serial", existing_type=sa.String(length=64), nullable=True)
    for name, column_type, default in (
        ("quantity", sa.Integer(), "1"),
        ("status", sa.String(length=16), "in_use"),
        ("version", sa.Integer(), "1"),
    ):
        op.add_column(
            "delivered_units",
            sa.Column(name, column_type, nullable=False, server_default=default),
        )
        op.alter_column("delivered_units", name, server_default=None)

    op.create_table(
        "item_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("source_event_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["delivered_units.id"],
            name=op.f("fk_item_history_unit_id_delivered_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_history")),
    )
    op.create_index(op.f("ix_item_history_unit_id"), "item_history", ["unit_id"], unique=False)
    # Units handed over before this revision start their history at the handover.
    op.execute(
        "INSERT INTO item_history (id, unit_id, status, occurred_on, reason, recorded_at) "
        "SELECT gen_random_uuid(), u.id, 'in_use', d.delivered_on, 'handover', d.created_at "
        "FROM delivered_units u JOIN deliveries d ON d.id = u.delivery_id"
    )

    op.create_table(
        "serial_flags",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_type", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("existing_unit_id", sa.Uuid(), nullable=False),
        sa.Column("flagged_by", sa.Text(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["existing_unit_id"],
            ["delivered_units.id"],
            name=op.f("fk_serial_flags_existing_unit_id_delivered_units"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_serial_flags_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serial_flags")),
    )
    op.create_index(
        "ix_serial_flags_flagged_at_id", "serial_flags", ["flagged_at", "id"], unique=False
    )
    op.create_index(op.f("ix_serial_flags_order_id"), "serial_flags", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_serial_flags_order_id"), table_name="serial_flags")
    op.drop_index("ix_serial_flags_flagged_at_id", table_name="serial_flags")
    op.drop_table("serial_flags")
    op.drop_index(op.f("ix_item_history_unit_id"), table_name="item_history")
    op.drop_table("item_history")
    for name in ("version", "status", "quantity"):
        op.drop_column("delivered_units", name)
    # Bulk units have no serial and cannot exist under the old schema.
    op.execute("DELETE FROM delivered_units WHERE serial IS NULL")
    op.alter_column("delivered_units", "serial", existing_type=sa.String(length=64), nullable=False)
    for name in (
        "version",
        "act_uploaded_at",
        "act_size",
        "act_content_type",
        "act_key",
        "officer_id",
    ):
        op.drop_column("deliveries", name)
    op.alter_column(
        "deliveries",
        "signed_by",
        existing_type=sa.String(length=16),
        type_=sa.Text(),
        existing_nullable=False,
    )
