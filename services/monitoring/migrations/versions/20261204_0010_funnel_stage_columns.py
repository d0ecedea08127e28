"""the funnel's stage and days in application_facts, and the indexes of its operating stages

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:00:00

The funnel read, for each of a million applications, which stages it reached and the UTC day of
each: computed at read time, that was most of the report. Stored generated columns keep them
with the row (PostgreSQL computes them on every write, so a projection cannot forget them):
`funnel_stage`, the stages reached in a row of applied, eligible, selected, plan approved,
delivered (0-5), and the UTC days of the stage timestamps. Two partial indexes serve the
operating stages: the delivered participants, and the operating 6- and 12-month visits, both in
participant order (a merge join of two index-only scans).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGE = (
    "CASE WHEN applied_at IS NULL THEN 0 WHEN eligible IS NOT TRUE THEN 1"
    " WHEN COALESCE(selected_at, enrolled_at) IS NULL THEN 2"
    " WHEN plan_approved_at IS NULL THEN 3 WHEN delivered_on IS NULL THEN 4 ELSE 5 END"
)
DAYS = {
    "applied_on": "(timezone('UTC', applied_at))::date",
    "assessed_on": "(timezone('UTC', assessed_at))::date",
    "selected_on": "(timezone('UTC', COALESCE(selected_at, enrolled_at)))::date",
    "plan_approved_on": "(timezone('UTC', plan_approved_at))::date",
}


def upgrade() -> None:
    # One ALTER TABLE: the table is rewritten once, not once per column.
    columns = [f"ADD COLUMN funnel_stage smallint GENERATED ALWAYS AS ({STAGE}) STORED NOT NULL"]
    columns += [
        f"ADD COLUMN {name} date GENERATED ALWAYS AS ({expression}) STORED"
        for name, expression in DAYS.items()
    ]
    op.execute("ALTER TABLE application_facts " + ", ".join(columns))
    op.create_index(
        "ix_application_facts_delivered",
        "application_facts",
        ["application_id"],
        unique=False,
        postgresql_include=["delivered_on"],
        postgresql_where=sa.text("funnel_stage = 5"),
    )
    op.create_index(
        "ix_visit_facts_operating",
        "visit_facts",
        ["participant_id", "month", "visited_on"],
        unique=False,
        postgresql_where=sa.text("operating AND month IN (6, 12)"),
    )


def downgrade() -> None:
    op.drop_index("ix_visit_facts_operating", table_name="visit_facts")
    op.drop_index("ix_application_facts_delivered", table_name="application_facts")
    op.execute(
        "ALTER TABLE application_facts "
        + ", ".join(f"DROP COLUMN {name}" for name in ["funnel_stage", *DAYS])
    )
