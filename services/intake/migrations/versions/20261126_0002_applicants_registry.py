"""applicants registry: personal fields, categories with evidence, search, duplicates, benefit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram indexes for name search (a trusted extension: the database owner may create it).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.add_column("applicants", sa.Column("patronymic", sa.Text(), nullable=True))
    op.add_column("applicants", sa.Column("name_folded", sa.Text(), nullable=True))
    # Rows from before: the same folding as intake.applicants.names.fold, near enough in SQL.
    op.execute(
        "UPDATE applicants SET name_folded = lower(translate(last_name || ' ' || first_name,"
        " 'əƏıIİöÖüÜşŞçÇğĞ', 'eeiiioouussccgg'))"
    )
    op.alter_column("applicants", "name_folded", nullable=False)
    op.add_column("applicants", sa.Column("sex", sa.String(length=8), nullable=True))
    op.add_column("applicants", sa.Column("address", sa.Text(), nullable=True))
    op.add_column("applicants", sa.Column("household_size", sa.SmallInteger(), nullable=True))
    op.add_column("applicants", sa.Column("referred_by_partner_id", sa.Uuid(), nullable=True))
    op.add_column(
        "applicants", sa.Column("benefited_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("applicants", sa.Column("benefited_application_id", sa.Uuid(), nullable=True))
    op.add_column("applicants", sa.Column("merged_into_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_applicants_merged_into_id_applicants"),
        "applicants",
        "applicants",
        ["merged_into_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_applicants_referred_by_partner_id_partners"),
        "applicants",
        "partners",
        ["referred_by_partner_id"],
        ["id"],
    )
    op.create_index(op.f("ix_applicants_birth_date"), "applicants", ["birth_date"], unique=False)
    op.create_index(op.f("ix_applicants_region"), "applicants", ["region"], unique=False)
    op.create_index(
        op.f("ix_applicants_referred_by_partner_id"),
        "applicants",
        ["referred_by_partner_id"],
        unique=False,
    )
    op.create_index("ix_applicants_created_at_id", "applicants", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_applicants_categories",
        "applicants",
        ["categories"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_applicants_name_folded_trgm",
        "applicants",
        ["name_folded"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops"},
    )

    op.create_table(
        "applicant_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("disability_group", sa.String(length=4), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=False),
        sa.Column("document_number", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_applicant_categories_applicant_id_applicants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicant_categories")),
        sa.UniqueConstraint(
            "applicant_id", "category", name=op.f("uq_applicant_categories_applicant_id")
        ),
    )
    op.create_index(
        op.f("ix_applicant_categories_applicant_id"),
        "applicant_categories",
        ["applicant_id"],
        unique=False,
    )

    op.create_table(
        "duplicate_flags",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("kept_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_duplicate_flags_applicant_id_applicants"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["applicants.id"],
            name=op.f("fk_duplicate_flags_candidate_id_applicants"),
        ),
        sa.ForeignKeyConstraint(
            ["kept_id"], ["applicants.id"], name=op.f("fk_duplicate_flags_kept_id_applicants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_flags")),
        sa.UniqueConstraint(
            "applicant_id", "candidate_id", name=op.f("uq_duplicate_flags_applicant_id")
        ),
    )
    op.create_index(
        op.f("ix_duplicate_flags_applicant_id"), "duplicate_flags", ["applicant_id"], unique=False
    )
    op.create_index(
        op.f("ix_duplicate_flags_candidate_id"), "duplicate_flags", ["candidate_id"], unique=False
    )
    op.create_index(
        "ix_duplicate_flags_status_created_at_id",
        "duplicate_flags",
        ["status", "created_at", "id"],
        unique=False,
    )

    op.add_column("audit_log", sa.Column("purpose", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "purpose")

    op.drop_index("ix_duplicate_flags_status_created_at_id", table_name="duplicate_flags")
    op.drop_index(op.f("ix_duplicate_flags_candidate_id"), table_name="duplicate_flags")
    op.drop_index(op.f("ix_duplicate_flags_applicant_id"), table_name="duplicate_flags")
    op.drop_table("duplicate_flags")
    op.drop_index(op.f("ix_applicant_categories_applicant_id"), table_name="applicant_categories")
    op.drop_table("applicant_categories")

    op.drop_index("ix_applicants_name_folded_trgm", table_name="applicants")
    op.drop_index("ix_applicants_categories", table_name="applicants")
    op.drop_index("ix_applicants_created_at_id", table_name="applicants")
    op.drop_index(op.f("ix_applicants_referred_by_partner_id"), table_name="applicants")
    op.drop_index(op.f("ix_applicants_region"), table_name="applicants")
    op.drop_index(op.f("ix_applicants_birth_date"), table_name="applicants")
    op.drop_constraint(
        op.f("fk_applicants_referred_by_partner_id_partners"), "applicants", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_applicants_merged_into_id_applicants"), "applicants", type_="foreignkey"
    )
    for column in (
        "merged_into_id",
        "benefited_application_id",
        "benefited_at",
        "referred_by_partner_id",
        "household_size",
        "address",
        "sex",
        "name_folded",
        "patronymic",
    ):
        op.drop_column("applicants", column)
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
