"""The event contracts between the services: the envelope and one model per event type."""

from shared.events.catalog import (
    EVENT_TYPES,
    ApplicationAssessed,
    ApplicationSelected,
    ApplicationSubmitted,
    AssetItem,
    CaseFlagged,
    DeliveredItem,
    DeliveryCompleted,
    EnrollmentCancelled,
    OrderOpened,
    ParticipantEnrolled,
    PartnerKeyIssued,
    PartnerKeyRevoked,
    PlanApproved,
    PlanOpened,
    PlanSubmitted,
    event_model,
)
from shared.events.envelope import Envelope, Event

__all__ = [
    "EVENT_TYPES",
    "ApplicationAssessed",
    "ApplicationSelected",
    "ApplicationSubmitted",
    "AssetItem",
    "CaseFlagged",
    "DeliveredItem",
    "DeliveryCompleted",
    "EnrollmentCancelled",
    "Envelope",
    "Event",
    "OrderOpened",
    "ParticipantEnrolled",
    "PartnerKeyIssued",
    "PartnerKeyRevoked",
    "PlanApproved",
    "PlanOpened",
    "PlanSubmitted",
    "event_model",
]
