"""What cases do with events: a handover opens the case, an approved plan says what to expect, a
visit report is checked against the flag rules and may close the case, a cancelled enrolment ends
it. Each runs in the consumer's transaction and is idempotent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.cases import service
from monitoring.settings import MonitoringSettings
from shared.events import (
    DeliveryCompleted,
    EnrollmentCancelled,
    Envelope,
    PlanApproved,
    VisitReported,
)
from shared.messaging.consumer import Handler


def handlers(settings: MonitoringSettings) -> dict[str, Handler]:
    # The report of this month's visit decides the outcome (12 with the default schedule).
    last_month = max(settings.visit_months, default=12)

    async def on_delivery_completed(
        session: AsyncSession, event: DeliveryCompleted, envelope: Envelope
    ) -> None:
        await service.open_case(session, event)

    async def on_plan_approved(
        session: AsyncSession, event: PlanApproved, envelope: Envelope
    ) -> None:
        await service.record_expectations(session, event)

    async def on_visit_reported(
        session: AsyncSession, event: VisitReported, envelope: Envelope
    ) -> None:
        await service.evaluate_report(session, event, last_month)

    async def on_enrollment_cancelled(
        session: AsyncSession, event: EnrollmentCancelled, envelope: Envelope
    ) -> None:
        await service.drop_out(session, event)

    return {
        DeliveryCompleted.type: on_delivery_completed,
        PlanApproved.type: on_plan_approved,
        VisitReported.type: on_visit_reported,
        EnrollmentCancelled.type: on_enrollment_cancelled,
    }
