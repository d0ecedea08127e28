"""One model per event type. Amounts are Decimal AZN, serialised as strings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Envelope, Event

Money = Decimal


class Part(BaseModel):
    """A value inside an event payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# intake ----------------------------------------------------------------------------------------


class ApplicationSubmitted(Event):
    type = "intake.application.submitted"
    source_service = "intake"

    application_id: uuid.UUID
    applicant_id: uuid.UUID
    region: str = Field(description="ISO 3166-2:AZ code, e.g. AZ-BA")
    categories: list[str]
    direction: str | None = None
    partner_id: uuid.UUID | None = None
    submitted_at: datetime

    def subject_id(self) -> str:
        return str(self.application_id)


class ParticipantEnrolled(Event):
    type = "intake.participant.enrolled"
    source_service = "intake"

    participant_id: uuid.UUID = Field(description="The enrolled application's id")
    applicant_id: uuid.UUID
    region: str
    categories: list[str]
    direction: str
    partner_id: uuid.UUID | None = None
    enrolled_at: datetime

    def subject_id(self) -> str:
        return str(self.participant_id)


# plans -----------------------------------------------------------------------------------------


class AssetItem(Part):
    asset_type: str = Field(description="Code in the assets service's catalogue")
    quantity: int
    unit_price: Money
    total: Money


class PlanOpened(Event):
    type = "plans.plan.opened"
    source_service = "plans"

    plan_id: uuid.UUID
    participant_id: uuid.UUID
    direction: str

    def subject_id(self) -> str:
        return str(self.participant_id)


class PlanSubmitted(Event):
    type = "plans.plan.submitted"
    source_service = "plans"

    plan_id: uuid.UUID
    participant_id: uuid.UUID
    total: Money

    def subject_id(self) -> str:
        return str(self.participant_id)


class PlanApproved(Event):
    type = "plans.plan.approved"
    source_service = "plans"

    plan_id: uuid.UUID
    participant_id: uuid.UUID
    region: str
    direction: str
    partner_id: uuid.UUID | None = None
    items: list[AssetItem]
    total: Money
    approved_at: datetime

    def subject_id(self) -> str:
        return str(self.participant_id)


# assets ----------------------------------------------------------------------------------------


class OrderOpened(Event):
    type = "assets.order.opened"
    source_service = "assets"

    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    total: Money

    def subject_id(self) -> str:
        return str(self.participant_id)


class DeliveredItem(Part):
    asset_type: str
    quantity: int
    unit_price: Money
    serials: list[str] = Field(description="Serial or ear-tag numbers; empty for bulk items")


class DeliveryCompleted(Event):
    type = "assets.delivery.completed"
    source_service = "assets"

    delivery_id: uuid.UUID
    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    region: str
    direction: str
    partner_id: uuid.UUID | None = None
    items: list[DeliveredItem]
    total: Money
    delivered_on: date

    def subject_id(self) -> str:
        return str(self.participant_id)


# monitoring ------------------------------------------------------------------------------------


class CaseFlagged(Event):
    type = "monitoring.case.flagged"
    source_service = "monitoring"

    flag_id: uuid.UUID
    participant_id: uuid.UUID
    rule: str = Field(description="Coded reason, e.g. not_operating, asset_sold")
    action: str | None = Field(None, description="What is asked of others, e.g. revise_plan")

    def subject_id(self) -> str:
        return str(self.participant_id)


EVENT_TYPES: dict[str, type[Event]] = {
    model.type: model
    for model in (
        ApplicationSubmitted,
        ParticipantEnrolled,
        PlanOpened,
        PlanSubmitted,
        PlanApproved,
        OrderOpened,
        DeliveryCompleted,
        CaseFlagged,
    )
}


def event_model(envelope: Envelope) -> Event:
    """The typed payload of an envelope; KeyError for a type this code does not know."""
    return EVENT_TYPES[envelope.type].model_validate(envelope.data)
