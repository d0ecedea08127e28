"""consent, access exports and erasure

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 01:00:00

A person's consent history (`consents`: to processing, and to sharing with the referring partner),
the exports answering their access requests (`access_exports`), and erasure: the personal fields
of an applicant become NULL when the person is erased (`erased_at`, `erasure_basis`), and
applications keep the day monitoring closed the case, from which retention runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ERASABLE = ("fin_ciphertext", "first_name", "last_name", "name_folded", "birth_date")


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("how", sa.String(length=32), nullable=False),
        sa.Column("text_version", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["applicants.id"], name=op.f("fk_consents_applicant_id_applicants")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_consents_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(
        "ix_consents_applicant_id_recorded_at", "consents", ["applicant_id", "recorded_at"]
    )
    op.create_index(
        "ix_consents_current",
        "consents",
        ["applicant_id", "purpose", "partner_id"],
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "access_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("missing", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_access_exports_applicant_id_applicants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_exports")),
    )
    op.create_index(op.f("ix_access_exports_applicant_id"), "access_exports", ["applicant_id"])
    # People registered before consent was recorded: the registrant's word, as for a registration
    # that states none (a partner's memorandum, or staff's signed application form).
    op.execute(
        """
        INSERT INTO consents (id, applicant_id, purpose, partner_id, granted, how, text_version,
                              recorded_by, recorded_at)
        SELECT gen_random_uuid(), id, 'processing', NULL, true,
               CASE WHEN referred_by_partner_id IS NULL THEN 'application_form'
                    ELSE 'partner_referral' END,
               'unstated', 'system:before-consent-records', created_at
        FROM applicants
        UNION ALL
        SELECT gen_random_uuid(), id, 'partner_sharing', referred_by_partner_id, true,
               'partner_referral', 'unstated', 'system:before-consent-records', created_at
        FROM applicants WHERE referred_by_partner_id IS NOT NULL
        """
    )
    op.add_column("applicants", sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.add_column("applicants", sa.Column("erasure_basis", sa.String(length=32)))
    for column in ERASABLE:
        op.alter_column("applicants", column, nullable=True)
    op.add_column("applications", sa.Column("case_closed_on", sa.Date()))


def downgrade() -> None:
    op.drop_column("applications", "case_closed_on")
    # Erased rows cannot take the NOT NULL back: they keep NULLs and the downgrade fails on them.
    for column in ERASABLE:
        op.alter_column("applicants", column, nullable=False)
    op.drop_column("applicants", "erasure_basis")
    op.drop_column("applicants", "erased_at")
    op.drop_index(op.f("ix_access_exports_applicant_id"), table_name="access_exports")
    op.drop_table("access_exports")
    op.drop_index("ix_consents_current", table_name="consents")
    op.drop_index("ix_consents_applicant_id_recorded_at", table_name="consents")
    op.drop_table("consents")
