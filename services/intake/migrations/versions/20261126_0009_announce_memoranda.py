"""announce memoranda

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 00:00:00

Memoranda recorded before intake announced them (`intake.memorandum.recorded`) are announced once
now, through the outbox, so that plans' copy, which partners' trainings are held to, is complete.
A memorandum already announced is skipped, so going down and up again sends nothing twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.events import Envelope, MemorandumRecorded

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_outbox = sa.table(
    "outbox", sa.column("event_id"), sa.column("subject"), sa.column("envelope", JSONB)
)


def upgrade() -> None:
    unannounced = op.get_bind().execute(
        sa.text(
            "SELECT id, partner_id, areas, valid_from, valid_to FROM partner_memoranda m"
            " WHERE NOT EXISTS (SELECT 1 FROM outbox o"
            "  WHERE o.subject = :type AND o.envelope -> 'data' ->> 'memorandum_id' = m.id::text)"
            " ORDER BY created_at"
        ),
        {"type": MemorandumRecorded.type},
    )
    for memorandum in unannounced:
        envelope = Envelope.wrap(
            MemorandumRecorded(
                memorandum_id=memorandum.id,
                partner_id=memorandum.partner_id,
                areas=list(memorandum.areas),
                valid_from=memorandum.valid_from,
                valid_to=memorandum.valid_to,
            )
        )
        op.execute(
            _outbox.insert().values(
                event_id=envelope.id,
                subject=envelope.type,
                envelope=envelope.model_dump(mode="json"),
            )
        )


def downgrade() -> None:
    # An announcement cannot be taken back, and plans' copy stays right without it.
    pass
