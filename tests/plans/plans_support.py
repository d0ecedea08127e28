"""Helpers for the plans service's tests: events published on NATS as intake or monitoring would,
partner keys and memoranda, and a plan taken through its states over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from plans.handlers import on_memorandum_recorded
from shared.auth import generate_api_key
from shared.db import utcnow
from shared.events import Envelope, MemorandumRecorded, ParticipantEnrolled, PartnerKeyIssued
from tests.events_support import announced, publish
from tests.journey_support import PASSED_CHECKLIST, PLAN_CONTENT, eventually, one_item
from tests.service_fixtures import Auth, Service

__all__ = ["PASSED_CHECKLIST", "PLAN_CONTENT", "eventually"]


def enrolled(
    direction: str = "beekeeping",
    partner_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
) -> ParticipantEnrolled:
    return ParticipantEnrolled(
        participant_id=uuid.uuid4(),
        applicant_id=uuid.uuid4(),
        region="AZ-GA",
        categories=["war_participant"],
        direction=direction,
        partner_id=partner_id,
        enrolled_at=utcnow(),
        round_id=round_id,
    )


async def enrol(
    plans: Service,
    auth: Auth,
    direction: str = "beekeeping",
    partner_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Publishes an enrolment and waits for plans' draft plan."""
    event = enrolled(direction, partner_id, round_id)
    await publish(plans, event)
    plan: dict[str, Any] = await eventually(
        lambda: one_item(
            plans.client,
            f"/v1/business-plans?participant_id={event.participant_id}",
            auth("case_officer"),
        ),
        "a draft plan",
    )
    return plan


async def partner_key(plans: Service, *scopes: str) -> tuple[uuid.UUID, dict[str, str]]:
    """A partner and its API key, copied into plans the way intake's event does."""
    partner_id = uuid.uuid4()
    key, prefix, key_hash = generate_api_key()
    await publish(
        plans,
        PartnerKeyIssued(
            key_id=uuid.uuid4(),
            partner_id=partner_id,
            prefix=prefix,
            key_hash=key_hash,
            scopes=list(scopes),
        ),
    )
    headers = {"X-API-Key": key}

    async def accepted() -> bool:
        response = await plans.client.get("/v1/directions", headers=headers)
        return response.status_code == 200

    await eventually(accepted, "the partner key in plans")
    return partner_id, headers


async def record_memorandum(
    plans: Service,
    partner_id: uuid.UUID,
    *,
    areas: Iterable[str] = ("trainings",),
    valid_from: date = date(2020, 1, 1),
    valid_to: date | None = None,
    memorandum_id: uuid.UUID | None = None,
) -> MemorandumRecorded:
    """A memorandum in plans' copy, applied through plans' own handler of intake's event (by
    default: trainings, in force since 2020 with no end)."""
    event = MemorandumRecorded(
        memorandum_id=memorandum_id or uuid.uuid4(),
        partner_id=partner_id,
        areas=list(areas),
        valid_from=valid_from,
        valid_to=valid_to,
    )
    async with plans.runtime.sessionmaker() as session, session.begin():
        await on_memorandum_recorded(session, event, Envelope.wrap(event))
    return event


def etag(response: Any) -> dict[str, str]:
    return {"If-Match": response.headers["etag"]}


async def to_submitted(
    plans: Service, plan: dict[str, Any], author: dict[str, str], items: list[dict[str, Any]]
) -> Any:
    """Writes the plan and its items and submits it; returns the submit response."""
    url = f"/v1/business-plans/{plan['id']}"
    current = await plans.client.get(url, headers=author)
    written = await plans.client.patch(url, json=PLAN_CONTENT, headers={**author, **etag(current)})
    assert written.status_code == 200, written.text
    filled = await plans.client.put(
        f"{url}/items", json={"items": items}, headers={**author, **etag(written)}
    )
    assert filled.status_code == 200, filled.text
    submitted = await plans.client.post(f"{url}/submit", headers={**author, **etag(filled)})
    assert submitted.status_code == 200, submitted.text
    return submitted


async def to_approved(
    plans: Service,
    plan: dict[str, Any],
    author: dict[str, str],
    reviewer: dict[str, str],
    items: list[dict[str, Any]],
) -> Any:
    url = f"/v1/business-plans/{plan['id']}"
    submitted = await to_submitted(plans, plan, author, items)
    reviewed = await plans.client.post(
        f"{url}/review",
        json={"checklist": PASSED_CHECKLIST},
        headers={**reviewer, **etag(submitted)},
    )
    assert reviewed.status_code == 200, reviewed.text
    approved = await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(reviewed)})
    assert approved.status_code == 200, approved.text
    return approved


async def outbox(plans: Service, subject: str) -> list[dict[str, Any]]:
    """The events plans wrote for publishing, of one type, oldest first."""
    return await announced(plans, subject)


BEEHIVES = [
    {"asset_type": "beehive", "quantity": 2, "unit_price": "150.50"},
    {"asset_type": "honey-extractor", "quantity": 1, "unit_price": "420.00"},
]


NEW = {
    "code": "dairy",
    "name_az": "Süd məhsulları emalı",
    "name_en": "Dairy processing",
    "name_ru": "Переработка молока",
    "asset_package": [{"asset_type": "milk-separator", "quantity": 1}],
    "ceiling": "2800.00",
}


COURSE: dict[str, Any] = {
    "direction": "beekeeping",
    "name": {"az": "Arıçılıq", "en": "Beekeeping", "ru": "Пчеловодство"},
    "days": 5,
    "hours": 30,
    "completion_threshold": "0.80",
}
START = date(2027, 4, 5)
DAYS = [(START + timedelta(n)).isoformat() for n in range(5)]


async def create_course(plans: Service, auth: Auth, **changes: Any) -> dict[str, Any]:
    response = await plans.client.post(
        "/v1/trainings/courses", json={**COURSE, **changes}, headers=auth("admin")
    )
    assert response.status_code == 201, response.text
    course: dict[str, Any] = response.json()
    return course


async def create_session(
    plans: Service, headers: dict[str, str], course_id: str, **changes: Any
) -> dict[str, Any]:
    body = {
        "course_id": course_id,
        "starts_on": DAYS[0],
        "ends_on": DAYS[-1],
        "place": "Lənkəran, otaq 12",
        "trainer": "Rauf Məmmədov",
        "capacity": 5,
        **changes,
    }
    response = await plans.client.post("/v1/trainings/sessions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
