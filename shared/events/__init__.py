"""The event contracts between the services: the envelope and one model per event type."""

from shared.events.catalog import (
    EVENT_TYPES,
    ApplicationSubmitted,
    AssetItem,
    CaseFlagged,
    DeliveredItem,
    DeliveryCompleted,
    OrderOpened,
    ParticipantEnrolled,
    PlanApproved,
    PlanOpened,
    PlanSubmitted,
    event_model,
)
from shared.events.envelope import Envelope, Event

__all__ = [
    "EVENT_TYPES",
    "ApplicationSubmitted",
    "AssetItem",
    "CaseFlagged",
    "DeliveredItem",
    "DeliveryCompleted",
    "Envelope",
    "Event",
    "OrderOpened",
    "ParticipantEnrolled",
    "PlanApproved",
    "PlanOpened",
    "PlanSubmitted",
    "event_model",
]
