"""enrolled_at covering index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 03:00:00

Participants per year read only enrolled_at and enrollment_cancelled_at of application_facts:
a covering index lets PostgreSQL answer from the index alone.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_application_facts_enrolled_at_covering",
        "application_facts",
        ["enrolled_at"],
        unique=False,
        postgresql_include=["enrollment_cancelled_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_application_facts_enrolled_at_covering", table_name="application_facts")
