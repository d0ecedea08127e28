"""The asset catalogue and the suppliers' price lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assets.base import Base
from shared.db import utcnow
from shared.repository import SHARED, STAFF_ONLY


class Tracking(StrEnum):
    """How the units of a type are told apart at handover."""

    serial = "serial"  # each unit has a manufacturer's serial number
    ear_tag = "ear_tag"  # each animal has an ear-tag number
    bulk = "bulk"  # counted, not told apart (e.g. laying hens)


class AssetType(Base):
    __tablename__ = "asset_types"
    # Partners read the catalogue as staff do: it names no person.
    __partner__ = SHARED

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_az: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))
    tracking: Mapped[Tracking] = mapped_column(String(16))
    reference_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Supplier(Base):
    """An organisation that sells assets to the programme (no natural persons' data here)."""

    __tablename__ = "suppliers"
    # The ministry's procurement business: no partner sees a supplier.
    __partner__ = STAFF_ONLY

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    tax_id: Mapped[str] = mapped_column(String(10), unique=True)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    prices: Mapped[list[SupplierPrice]] = relationship(
        lazy="selectin",
        order_by="(SupplierPrice.asset_type, SupplierPrice.valid_from)",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}


class SupplierPrice(Base):
    """One line of a supplier's price list, valid from a day and (optionally) up to a day."""

    __tablename__ = "supplier_prices"
    __partner__ = STAFF_ONLY

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"), index=True)
    asset_type: Mapped[str] = mapped_column(ForeignKey("asset_types.code"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
