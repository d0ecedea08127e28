"""visits and monitors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00

Monitors and their regions, visit assignment and visit reports with item findings and photos.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("regions", sa.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitors")),
    )
    op.create_table(
        "visit_units",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("asset_type", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_units")),
    )
    op.create_index(
        "ix_visit_units_asset_type_serial", "visit_units", ["asset_type", "serial"], unique=False
    )
    op.create_index(
        op.f("ix_visit_units_participant_id"), "visit_units", ["participant_id"], unique=False
    )
    op.create_table(
        "visit_photos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_photos_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_photos")),
    )
    op.create_index(
        "ix_visit_photos_visit_id_uploaded_at",
        "visit_photos",
        ["visit_id", "uploaded_at"],
        unique=False,
    )
    op.create_table(
        "visit_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("operating", sa.Boolean(), nullable=False),
        sa.Column("income", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("costs", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("jobs", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("reported_by", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_reports_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_reports")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_visit_reports_visit_id")),
    )
    op.create_table(
        "visit_report_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("asset_type", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["visit_reports.id"],
            name=op.f("fk_visit_report_items_report_id_visit_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["visit_units.id"], name=op.f("fk_visit_report_items_unit_id_visit_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_report_items")),
        sa.UniqueConstraint("report_id", "unit_id", name=op.f("uq_visit_report_items_report_id")),
    )
    op.create_index(
        op.f("ix_visit_report_items_unit_id"), "visit_report_items", ["unit_id"], unique=False
    )
    op.add_column("visits", sa.Column("delivered_on", sa.Date(), nullable=True))
    op.add_column("visits", sa.Column("monitor_id", sa.String(length=64), nullable=True))
    op.add_column("visits", sa.Column("visited_on", sa.Date(), nullable=True))
    op.add_column("visits", sa.Column("late", sa.Boolean(), nullable=True))
    op.add_column("visits", sa.Column("cancelled_on", sa.Date(), nullable=True))
    # Visits scheduled before this revision start at version 1; the model sets it from then on.
    op.add_column("visits", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.alter_column("visits", "version", server_default=None)
    op.create_index("ix_visits_due_on_id", "visits", ["due_on", "id"], unique=False)
    op.create_index("ix_visits_monitor_id_status", "visits", ["monitor_id", "status"], unique=False)
    op.create_index("ix_visits_region_status", "visits", ["region", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_visits_region_status", table_name="visits")
    op.drop_index("ix_visits_monitor_id_status", table_name="visits")
    op.drop_index("ix_visits_due_on_id", table_name="visits")
    op.drop_column("visits", "version")
    op.drop_column("visits", "cancelled_on")
    op.drop_column("visits", "late")
    op.drop_column("visits", "visited_on")
    op.drop_column("visits", "monitor_id")
    op.drop_column("visits", "delivered_on")
    op.drop_index(op.f("ix_visit_report_items_unit_id"), table_name="visit_report_items")
    op.drop_table("visit_report_items")
    op.drop_table("visit_reports")
    op.drop_index("ix_visit_photos_visit_id_uploaded_at", table_name="visit_photos")
    op.drop_table("visit_photos")
    op.drop_index(op.f("ix_visit_units_participant_id"), table_name="visit_units")
    op.drop_index("ix_visit_units_asset_type_serial", table_name="visit_units")
    op.drop_table("visit_units")
    op.drop_table("monitors")
