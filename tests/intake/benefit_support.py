"""Helpers for intake's tests of the one-benefit rule: a delivery as assets announces it, and
when the registry says a person benefited."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from intake.applicants.models import Applicant
from shared.events import DeliveredItem, DeliveryCompleted
from tests.service_fixtures import Service


def delivery(participant_id: uuid.UUID | str) -> DeliveryCompleted:
    return DeliveryCompleted(
        delivery_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        plan_id=uuid.uuid4(),
        participant_id=uuid.UUID(str(participant_id)),
        region="AZ-GA",
        direction="beekeeping",
        items=[
            DeliveredItem(
                asset_type="beehive", quantity=2, unit_price=Decimal("150.50"), serials=["H-1"]
            )
        ],
        total=Decimal("301.00"),
        delivered_on=date(2026, 1, 31),
    )


async def benefited_at(intake: Service, applicant_id: str) -> Any:
    async with intake.runtime.sessionmaker() as session:
        return await session.scalar(
            select(Applicant.benefited_at).where(Applicant.id == uuid.UUID(applicant_id))
        )
