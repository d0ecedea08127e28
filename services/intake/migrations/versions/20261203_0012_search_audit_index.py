"""search audit by applicant

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 00:00:00

An applicant's audit shows the searches that returned them as well as direct reads: a GIN index
on the ids each search returned answers "which searches returned this applicant".
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_result_ids",
        "audit_log",
        ["result_ids"],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_result_ids", table_name="audit_log", postgresql_using="gin")
