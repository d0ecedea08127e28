"""referral claims and search audit

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 00:00:00

A partner that refers a FIN registered outside its own referrals gets a record of its own (a
claim, `applicants.claimed`), answered exactly as a new referral, and the claim waits in
`referral_claims` for a case officer to link it to the registered person or refuse it. One FIN is
one registered person still: the FIN hash is unique among rows that are not claims, and a partner
claims a FIN once. A search by FIN or name is one audit row with the ids it returned.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "applicants",
        sa.Column("claimed", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.drop_constraint(op.f("uq_applicants_fin_hash"), "applicants", type_="unique")
    op.create_index(
        "ix_applicants_fin_hash_registered",
        "applicants",
        ["fin_hash"],
        unique=True,
        postgresql_where=sa.text("NOT claimed"),
    )
    # Every look-up by FIN (the leading column: the partial index above serves only queries
    # that say NOT claimed), and one claim of a FIN per partner.
    op.create_index(
        "ix_applicants_fin_hash_partner",
        "applicants",
        ["fin_hash", "referred_by_partner_id"],
        unique=True,
    )
    op.create_table(
        "referral_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_referral_claims_applicant_id_applicants"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["applicants.id"], name=op.f("fk_referral_claims_person_id_applicants")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_referral_claims_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_claims")),
        sa.UniqueConstraint("applicant_id", name=op.f("uq_referral_claims_applicant_id")),
    )
    op.create_index(
        op.f("ix_referral_claims_person_id"), "referral_claims", ["person_id"], unique=False
    )
    op.create_index(
        "ix_referral_claims_status_created_at_id",
        "referral_claims",
        ["status", "created_at", "id"],
        unique=False,
    )
    op.add_column("audit_log", sa.Column("result_ids", postgresql.ARRAY(sa.Uuid()), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "result_ids")
    op.drop_index("ix_referral_claims_status_created_at_id", table_name="referral_claims")
    op.drop_index(op.f("ix_referral_claims_person_id"), table_name="referral_claims")
    op.drop_table("referral_claims")
    # Claims go with their queue: the registry keeps one row per FIN again.
    op.execute(
        "DELETE FROM applications WHERE applicant_id IN (SELECT id FROM applicants WHERE claimed)"
    )
    op.execute(
        "DELETE FROM applicant_categories WHERE applicant_id IN"
        " (SELECT id FROM applicants WHERE claimed)"
    )
    op.execute(
        "DELETE FROM duplicate_flags WHERE applicant_id IN"
        " (SELECT id FROM applicants WHERE claimed) OR candidate_id IN"
        " (SELECT id FROM applicants WHERE claimed)"
    )
    op.execute("DELETE FROM applicants WHERE claimed")
    op.drop_index("ix_applicants_fin_hash_partner", table_name="applicants")
    op.drop_index("ix_applicants_fin_hash_registered", table_name="applicants")
    op.create_unique_constraint(op.f("uq_applicants_fin_hash"), "applicants", ["fin_hash"])
    op.drop_column("applicants", "claimed")
