"""catalogue and suppliers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00

The asset catalogue, seeded with the codes of the plans service's direction packages, and the
suppliers with their price lists.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code, az, en, ru, unit, tracking, reference price (AZN). Admins change them through the API.
SEED = [
    ("beehive", "Arı pətəyi", "Beehive", "Улей", "piece", "serial", "150.00"),
    ("bee-colony", "Arı ailəsi", "Bee colony", "Пчелиная семья", "colony", "bulk", "120.00"),
    ("honey-extractor", "Bal sağan", "Honey extractor", "Медогонка", "piece", "serial", "420.00"),
    ("heifer", "Düyə", "Heifer", "Тёлка", "head", "ear_tag", "1800.00"),
    ("milking-machine", "Süd sağma aparatı", "Milking machine", "Доильный аппарат", "piece",
     "serial", "900.00"),
    ("ewe", "Qoyun", "Ewe", "Овцематка", "head", "ear_tag", "250.00"),
    ("ram", "Qoç", "Ram", "Баран", "head", "ear_tag", "350.00"),
    ("goat", "Keçi", "Goat", "Коза", "head", "ear_tag", "200.00"),
    ("laying-hen", "Yumurtlayan toyuq", "Laying hen", "Курица-несушка", "head", "bulk", "8.00"),
    ("incubator", "İnkubator", "Incubator", "Инкубатор", "piece", "serial", "600.00"),
    ("poultry-feeder", "Quş yemliyi", "Poultry feeder", "Кормушка для птицы", "piece", "bulk",
     "15.00"),
    ("greenhouse-kit", "İstixana dəsti", "Greenhouse kit", "Комплект теплицы", "set", "serial",
     "2500.00"),
    ("drip-irrigation-kit", "Damcı suvarma dəsti", "Drip irrigation kit",
     "Комплект капельного полива", "set", "bulk", "700.00"),
    ("motor-cultivator", "Motokultivator", "Motor cultivator", "Мотокультиватор", "piece",
     "serial", "1100.00"),
    ("sewing-machine", "Tikiş maşını", "Sewing machine", "Швейная машина", "piece", "serial",
     "650.00"),
    ("overlock", "Overlok", "Overlock", "Оверлок", "piece", "serial", "750.00"),
    ("cutting-table", "Biçki masası", "Cutting table", "Раскройный стол", "piece", "bulk",
     "300.00"),
    ("wood-lathe", "Ağac torna dəzgahı", "Wood lathe", "Токарный станок по дереву", "piece",
     "serial", "1500.00"),
    ("circular-saw", "Dairəvi mişar", "Circular saw", "Циркулярная пила", "piece", "serial",
     "800.00"),
    ("hand-tool-set", "Əl alətləri dəsti", "Hand tool set", "Набор ручных инструментов", "set",
     "bulk", "400.00"),
    ("salon-chair", "Bərbər kreslosu", "Salon chair", "Парикмахерское кресло", "piece", "serial",
     "550.00"),
    ("hair-dryer", "Fen", "Hair dryer", "Фен", "piece", "serial", "120.00"),
    ("beauty-tool-set", "Gözəllik alətləri dəsti", "Beauty tool set",
     "Набор косметических инструментов", "set", "bulk", "350.00"),
    ("bakery-oven", "Çörək sobası", "Bakery oven", "Хлебопекарная печь", "piece", "serial",
     "2200.00"),
    ("dough-mixer", "Xəmir qarışdıran", "Dough mixer", "Тестомес", "piece", "serial", "1200.00"),
    ("proofing-cabinet", "Xəmir mayalandırma şkafı", "Proofing cabinet", "Расстоечный шкаф",
     "piece", "serial", "1000.00"),
    ("shoe-repair-kit", "Ayaqqabı təmiri dəsti", "Shoe repair kit", "Набор для ремонта обуви",
     "set", "bulk", "500.00"),
    ("soldering-station", "Lehimləmə stansiyası", "Soldering station", "Паяльная станция",
     "piece", "serial", "250.00"),
    ("multimeter", "Multimetr", "Multimeter", "Мультиметр", "piece", "serial", "80.00"),
    ("carpet-loom", "Xalça dəzgahı", "Carpet loom", "Ковроткацкий станок", "piece", "serial",
     "1800.00"),
    ("yarn-kit", "İp dəsti", "Yarn kit", "Набор пряжи", "set", "bulk", "400.00"),
]  # fmt: skip


def upgrade() -> None:
    asset_types = op.create_table(
        "asset_types",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_az", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("tracking", sa.String(length=16), nullable=False),
        sa.Column("reference_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_asset_types")),
    )
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("tax_id", sa.String(length=10), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("tax_id", name=op.f("uq_suppliers_tax_id")),
    )
    op.create_table(
        "supplier_prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("asset_type", sa.String(length=64), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_type"],
            ["asset_types.code"],
            name=op.f("fk_supplier_prices_asset_type_asset_types"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_prices_supplier_id_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_prices")),
    )
    op.create_index(
        op.f("ix_supplier_prices_asset_type"), "supplier_prices", ["asset_type"], unique=False
    )
    op.create_index(
        op.f("ix_supplier_prices_supplier_id"), "supplier_prices", ["supplier_id"], unique=False
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        asset_types,
        [
            {
                "code": code,
                "name_az": az,
                "name_en": en,
                "name_ru": ru,
                "unit": unit,
                "tracking": tracking,
                "reference_price": Decimal(price),
                "created_at": now,
                "version": 1,
            }
            for code, az, en, ru, unit, tracking, price in SEED
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_supplier_prices_supplier_id"), table_name="supplier_prices")
    op.drop_index(op.f("ix_supplier_prices_asset_type"), table_name="supplier_prices")
    op.drop_table("supplier_prices")
    op.drop_table("suppliers")
    op.drop_table("asset_types")
