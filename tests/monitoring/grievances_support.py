"""Helpers for the tests of decisions, grievances and appeals: applications and decisions as the
other services announce them, applied through monitoring's own handlers."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from shared.db import utcnow
from shared.events import IntakeDecisionRecorded, ParticipantEnrolled
from shared.events.catalog import _DecisionRecorded
from tests.monitoring.cases_support import handle
from tests.service_fixtures import Service


async def enrolled(monitoring: Service, partner_id: uuid.UUID | None = None) -> uuid.UUID:
    """A participant monitoring knows from intake's enrolment, referred by `partner_id`."""
    participant = uuid.uuid4()
    await handle(
        monitoring,
        ParticipantEnrolled(
            participant_id=participant,
            applicant_id=uuid.uuid4(),
            region="AZ-GA",
            categories=["martyr_family"],
            direction="beekeeping",
            partner_id=partner_id,
            enrolled_at=utcnow(),
        ),
    )
    return participant


async def decided(
    monitoring: Service,
    application_id: uuid.UUID,
    *,
    announce: type[_DecisionRecorded] = IntakeDecisionRecorded,
    kind: Any = "excluded",
    reason: str = "asset_lost",
    decided_at: datetime | None = None,
    appeal_until: date | None = None,
) -> uuid.UUID:
    """A decision about the application, as its owner announces it."""
    at = decided_at or utcnow()
    decision_id = uuid.uuid4()
    await handle(
        monitoring,
        announce(
            decision_id=decision_id,
            application_id=application_id,
            kind=kind,
            reason=reason,
            decided_by="staff:officer-1",
            decided_at=at,
            appeal_until=appeal_until or at.date() + timedelta(days=30),
        ),
    )
    return decision_id


def grievance(application_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    return {
        "application_id": str(application_id),
        "type": "grievance",
        "category": "service_complaint",
        "channel": "office",
        "description": "The monitor did not come on the agreed day",
        **fields,
    }


def appeal(application_id: uuid.UUID, decision_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    return grievance(
        application_id,
        **{
            "type": "appeal",
            "category": "decision",
            "decision_id": str(decision_id),
            "description": "The hive was moved, not sold",
            **fields,
        },
    )


async def lodged(monitoring: Service, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = await monitoring.client.post("/v1/grievances", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def report_first_visit(
    monitoring: Service, participant: uuid.UUID, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    """Reports the participant's first visit from the field with `fields`; returns the visit."""
    visits = await monitoring.client.get(
        f"/v1/visits?participant_id={participant}", headers=headers
    )
    visit: dict[str, Any] = visits.json()["items"][0]
    made = await monitoring.client.post(
        f"/v1/visits/{visit['id']}/report",
        json={"report_id": str(uuid.uuid4()), "visited_on": visit["due_on"], **fields},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return visit
