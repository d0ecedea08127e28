"""idempotency records without response bodies

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 00:00:00

Idempotency records keep the status and the id of the resource created, no longer the response
(which could hold personal data); the records kept so far are deleted. An index on created_at
serves the purge of records past their retention.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")  # bodies with personal data among them
    op.drop_column("idempotency_keys", "body")
    op.drop_column("idempotency_keys", "headers")
    op.add_column("idempotency_keys", sa.Column("resource", sa.Text, nullable=True))
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    # Records kept since have no body to give back.
    op.execute("DELETE FROM idempotency_keys")
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    op.drop_column("idempotency_keys", "resource")
    op.add_column("idempotency_keys", sa.Column("body", JSONB, nullable=True))
    op.add_column(
        "idempotency_keys",
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
