"""The events about an application, built from its coded facts (never personal data). They take
any object with the application's attributes: an ORM object or a Core row."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from shared.events import ParticipantEnrolled
from shared.messaging.outbox import add_events

# Moved to shared.messaging.outbox; kept importable here for callers not yet updated.
__all__ = ["EnrolledFacts", "add_events", "participant_enrolled"]


class EnrolledFacts(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def applicant_id(self) -> uuid.UUID: ...
    @property
    def region(self) -> str: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def direction(self) -> str: ...
    @property
    def partner_id(self) -> uuid.UUID | None: ...
    @property
    def round_id(self) -> uuid.UUID | None: ...
    @property
    def sex(self) -> str | None: ...
    @property
    def age_band(self) -> str | None: ...


def participant_enrolled(application: EnrolledFacts, enrolled_at: datetime) -> ParticipantEnrolled:
    return ParticipantEnrolled(
        participant_id=application.id,
        applicant_id=application.applicant_id,
        region=application.region,
        categories=list(application.categories),
        direction=application.direction,
        partner_id=application.partner_id,
        enrolled_at=enrolled_at,
        round_id=application.round_id,
        sex=application.sex,
        age_band=application.age_band,
    )
