from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plans.base import Base


class Participant(Base):
    """Plans' own record of an enrolled participant: ids and coded facts, no personal data."""

    __tablename__ = "participants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    applicant_id: Mapped[uuid.UUID]
    region: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    direction: Mapped[str] = mapped_column(Text)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    enrolled_at: Mapped[datetime]
