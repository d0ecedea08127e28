"""partners

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00

Partners get a type, organisational contacts and a version; their memorandum moves to a table of
its own (a partner signs several over time); API keys get a label, a version and the key that
replaced them by rotation.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add_not_null(table: str, name: str, type_: sa.types.TypeEngine[Any], fill: str) -> None:
    """A NOT NULL column on a table that may have rows: filled once, with no default after."""
    op.add_column(table, sa.Column(name, type_, nullable=False, server_default=sa.text(fill)))
    op.alter_column(table, name, server_default=None)


def upgrade() -> None:
    _add_not_null("partners", "type", sa.String(length=16), "'other'")
    op.add_column("partners", sa.Column("email", sa.Text(), nullable=True))
    op.add_column("partners", sa.Column("phone", sa.Text(), nullable=True))
    op.add_column("partners", sa.Column("address", sa.Text(), nullable=True))
    _add_not_null("partners", "updated_at", sa.DateTime(timezone=True), "now()")
    _add_not_null("partners", "version", sa.Integer(), "1")

    op.create_table(
        "partner_memoranda",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("areas", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_partner_memoranda_period"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_memoranda_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_memoranda")),
        sa.UniqueConstraint("partner_id", "number", name=op.f("uq_partner_memoranda_partner_id")),
    )
    op.create_index(
        op.f("ix_partner_memoranda_partner_id"), "partner_memoranda", ["partner_id"], unique=False
    )
    # A memorandum recorded on the partner becomes its first; its areas were never recorded.
    op.execute(
        """
        INSERT INTO partner_memoranda
            (id, partner_id, number, signed_on, valid_from, areas, created_at)
        SELECT gen_random_uuid(), id, memorandum_number, memorandum_signed_on,
               memorandum_signed_on, '{}', created_at
        FROM partners
        WHERE memorandum_number IS NOT NULL AND memorandum_signed_on IS NOT NULL
        """
    )
    op.drop_column("partners", "memorandum_signed_on")
    op.drop_column("partners", "memorandum_number")

    op.add_column("api_keys", sa.Column("label", sa.Text(), nullable=True))
    op.add_column("api_keys", sa.Column("replaced_by_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_api_keys_replaced_by_id_api_keys"),
        "api_keys",
        "api_keys",
        ["replaced_by_id"],
        ["id"],
    )
    _add_not_null("api_keys", "version", sa.Integer(), "1")


def downgrade() -> None:
    op.drop_column("api_keys", "version")
    op.drop_constraint(op.f("fk_api_keys_replaced_by_id_api_keys"), "api_keys", type_="foreignkey")
    op.drop_column("api_keys", "replaced_by_id")
    op.drop_column("api_keys", "label")

    op.add_column("partners", sa.Column("memorandum_number", sa.Text(), nullable=True))
    op.add_column("partners", sa.Column("memorandum_signed_on", sa.Date(), nullable=True))
    # Each partner keeps its latest memorandum.
    op.execute(
        """
        UPDATE partners SET memorandum_number = m.number, memorandum_signed_on = m.signed_on
        FROM (
            SELECT DISTINCT ON (partner_id) partner_id, number, signed_on
            FROM partner_memoranda
            ORDER BY partner_id, valid_from DESC, signed_on DESC
        ) AS m
        WHERE m.partner_id = partners.id
        """
    )
    op.drop_index(op.f("ix_partner_memoranda_partner_id"), table_name="partner_memoranda")
    op.drop_table("partner_memoranda")

    op.drop_column("partners", "version")
    op.drop_column("partners", "updated_at")
    op.drop_column("partners", "address")
    op.drop_column("partners", "phone")
    op.drop_column("partners", "email")
    op.drop_column("partners", "type")
