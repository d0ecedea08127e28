"""directions participants plans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00

The directions catalogue (with its seed), participants' status and direction consultations, and
business plans' written sections, review and versions.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _package(*items: tuple[str, int]) -> list[dict[str, object]]:
    return [{"asset_type": code, "quantity": quantity} for code, quantity in items]


# The programme's directions: names in az, en, ru; a typical asset package (codes of the assets
# service's catalogue); and the most one participant's assets may cost, in AZN. Admins change them
# through the API afterwards.
SEED = [
    ("beekeeping", "Arıçılıq", "Beekeeping", "Пчеловодство",
     _package(("beehive", 10), ("bee-colony", 10), ("honey-extractor", 1)), "3000.00"),
    ("cattle", "İribuynuzlu heyvandarlıq", "Cattle breeding", "Разведение крупного рогатого скота",
     _package(("heifer", 2), ("milking-machine", 1)), "5000.00"),
    ("sheep_goats", "Qoyunçuluq və keçiçilik", "Sheep and goats", "Овцеводство и козоводство",
     _package(("ewe", 10), ("ram", 1), ("goat", 5)), "4500.00"),
    ("poultry", "Quşçuluq", "Poultry", "Птицеводство",
     _package(("laying-hen", 100), ("incubator", 1), ("poultry-feeder", 10)), "3000.00"),
    ("greenhouse", "İstixana və tərəvəzçilik", "Greenhouse and vegetables",
     "Тепличное хозяйство и овощеводство",
     _package(("greenhouse-kit", 1), ("drip-irrigation-kit", 1), ("motor-cultivator", 1)),
     "5000.00"),
    ("sewing", "Tikiş", "Sewing", "Швейное дело",
     _package(("sewing-machine", 2), ("overlock", 1), ("cutting-table", 1)), "3000.00"),
    ("carpentry", "Dülgərlik", "Carpentry", "Столярное дело",
     _package(("wood-lathe", 1), ("circular-saw", 1), ("hand-tool-set", 1)), "4000.00"),
    ("hairdressing", "Bərbərlik və gözəllik xidmətləri", "Hairdressing and beauty",
     "Парикмахерские и косметические услуги",
     _package(("salon-chair", 2), ("hair-dryer", 2), ("beauty-tool-set", 1)), "3000.00"),
    ("bakery", "Çörəkçilik və qənnadı", "Bakery and confectionery",
     "Хлебопечение и кондитерское дело",
     _package(("bakery-oven", 1), ("dough-mixer", 1), ("proofing-cabinet", 1)), "4500.00"),
    ("repair", "Ayaqqabı və məişət texnikası təmiri", "Shoe and appliance repair",
     "Ремонт обуви и бытовой техники",
     _package(("shoe-repair-kit", 1), ("soldering-station", 1), ("multimeter", 1)), "2500.00"),
    ("carpet_weaving", "Xalçaçılıq", "Carpet weaving", "Ковроткачество",
     _package(("carpet-loom", 1), ("yarn-kit", 1)), "2500.00"),
]  # fmt: skip


def upgrade() -> None:
    directions = op.create_table(
        "directions",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_az", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("asset_package", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ceiling", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_directions")),
    )
    seeded_at = datetime(2026, 11, 26, tzinfo=UTC)
    op.bulk_insert(
        directions,
        [
            {
                "code": code,
                "name_az": az,
                "name_en": en,
                "name_ru": ru,
                "asset_package": package,
                "ceiling": ceiling,
                "active": True,
                "version": 1,
                "created_at": seeded_at,
                "updated_at": seeded_at,
            }
            for code, az, en, ru, package, ceiling in SEED
        ],
    )

    op.add_column(
        "participants",
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
    )
    op.add_column("participants", sa.Column("cancel_reason", sa.String(length=64), nullable=True))
    op.add_column(
        "participants", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "direction_consultations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("consulted_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["direction"],
            ["directions.code"],
            name=op.f("fk_direction_consultations_direction_directions"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_direction_consultations_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_direction_consultations")),
    )
    op.create_index(
        "ix_direction_consultations_participant_created",
        "direction_consultations",
        ["participant_id", "created_at"],
        unique=False,
    )

    op.alter_column(
        "business_plans",
        "status",
        existing_type=sa.String(length=16),
        type_=sa.String(length=32),
        existing_nullable=False,
    )
    op.add_column("business_plans", sa.Column("status_reason", sa.String(length=64), nullable=True))
    op.add_column("business_plans", sa.Column("activity", sa.Text(), nullable=True))
    op.add_column("business_plans", sa.Column("place", sa.Text(), nullable=True))
    op.add_column("business_plans", sa.Column("market", sa.Text(), nullable=True))
    # Defaults only to fill rows that exist; the application always sets these columns.
    op.add_column(
        "business_plans",
        sa.Column(
            "projections",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("business_plans", sa.Column("jobs_created", sa.Integer(), nullable=True))
    op.add_column(
        "business_plans",
        sa.Column("own_contribution", sa.Numeric(precision=12, scale=2), nullable=True),
    )
    op.add_column(
        "business_plans",
        sa.Column(
            "authors",
            sa.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
    )
    op.add_column(
        "business_plans",
        sa.Column("revision", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    for column in ("projections", "authors", "revision"):
        op.alter_column("business_plans", column, server_default=None)
    # The author of a plan submitted before this revision is whoever submitted it.
    op.execute(
        sa.text(
            "UPDATE business_plans SET authors = ARRAY[submitted_by] WHERE submitted_by IS NOT NULL"
        )
    )

    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("checklist", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["business_plans.id"], name=op.f("fk_plan_versions_plan_id_business_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_plan_versions_plan_id")),
    )


def downgrade() -> None:
    op.drop_table("plan_versions")
    for column in (
        "revision",
        "authors",
        "own_contribution",
        "jobs_created",
        "projections",
        "market",
        "place",
        "activity",
        "status_reason",
    ):
        op.drop_column("business_plans", column)
    # States that did not exist before this revision fall back to the nearest older one.
    op.execute(
        sa.text(
            "UPDATE business_plans SET status = CASE "
            "WHEN status IN ('in_review', 'changes_requested') THEN 'submitted' "
            "WHEN status IN ('rejected', 'cancelled') THEN 'draft' ELSE status END"
        )
    )
    op.alter_column(
        "business_plans",
        "status",
        existing_type=sa.String(length=32),
        type_=sa.String(length=16),
        existing_nullable=False,
    )
    op.drop_index(
        "ix_direction_consultations_participant_created", table_name="direction_consultations"
    )
    op.drop_table("direction_consultations")
    op.drop_column("participants", "cancelled_at")
    op.drop_column("participants", "cancel_reason")
    op.drop_column("participants", "status")
    op.drop_table("directions")
