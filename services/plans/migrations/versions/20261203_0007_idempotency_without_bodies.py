"""idempotency records without response bodies

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 00:00:00

Idempotency records keep the status and the id of the resource created, no longer the response
(which could hold personal data); the records kept so far are deleted. An index on created_at
serves the purge of records past their retention.
"""

from collections.abc import Sequence

from shared.ddl import execute_frozen_sql

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Deletes the records first: bodies with personal data among them.
    execute_frozen_sql("20261203_idempotency_without_bodies")


def downgrade() -> None:
    # Records kept since have no body to give back.
    execute_frozen_sql("20261203_idempotency_without_bodies_downgrade")
