"""partner keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00

The copy of partners' API keys that intake's events keep, so that plans authenticates partners
on its own.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The copy of partners' keys as it was at this revision.
PARTNER_KEYS = """
CREATE TABLE partner_keys (
    key_id UUID NOT NULL,
    partner_id UUID,
    prefix VARCHAR(16),
    key_hash VARCHAR(64),
    scopes TEXT[] NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_partner_keys PRIMARY KEY (key_id),
    CONSTRAINT uq_partner_keys_prefix UNIQUE (prefix)
)
"""


def upgrade() -> None:
    op.execute(PARTNER_KEYS)


def downgrade() -> None:
    op.drop_table("partner_keys")
