"""Self-employment directions: the catalogue a participant chooses from."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String, Text, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from plans.base import Base
from shared.db import utcnow
from shared.repository import SHARED


class Direction(Base):
    """A direction with its names, the typical asset package (codes of the assets service's
    catalogue) and the most a participant's requested assets may cost."""

    __tablename__ = "directions"
    __partner__ = SHARED

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_az: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    # [{"asset_type": "beehive", "quantity": 10}, ...]
    asset_package: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    ceiling: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
