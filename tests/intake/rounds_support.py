"""Helpers for intake's tests of rounds: a round opened, applicants put straight into the
registry, applications, and what the outbox holds."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

from intake.applicants.models import Applicant
from tests.events_support import announced
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service

PERIOD_START = date(2027, 3, 1)


async def add_applicant(
    intake: Service,
    *,
    region: str = "AZ-GA",
    categories: tuple[str, ...] = ("unemployed",),
    birth_date: date = date(1990, 6, 1),
    sex: str = "female",
    household_size: int | None = 3,
    benefited_at: datetime | None = None,
) -> str:
    """An applicant straight into the registry: these tests are about rounds, not registration."""
    applicant = Applicant(
        fin_hash=uuid.uuid4().hex,
        fin_ciphertext=b"-",
        first_name="Test",
        last_name="Person",
        name_folded="person test",
        birth_date=birth_date,
        sex=sex,
        region=region,
        household_size=household_size,
        categories=list(categories),
        benefited_at=benefited_at,
    )
    async with intake.runtime.sessionmaker() as session, session.begin():
        session.add(applicant)
    return str(applicant.id)


async def open_round(intake: Service, auth: Auth, **config: Any) -> dict[str, Any]:
    admin = auth("admin")
    body = {
        "name": "test round",
        "period_start": PERIOD_START.isoformat(),
        "period_end": "2027-04-30",
        **config,
    }
    created = await intake.client.post("/v1/rounds", json=body, headers=admin)
    assert created.status_code == 201, created.text
    opened = await intake.client.post(
        f"/v1/rounds/{created.json()['id']}/open",
        headers=admin | {"If-Match": created.headers["etag"]},
    )
    assert opened.status_code == 200, opened.text
    return {**opened.json(), "etag": opened.headers["etag"]}


async def apply(
    intake: Service, auth: Auth, applicant_id: str, round_id: str | None
) -> dict[str, Any]:
    response = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant_id, "round_id": round_id, "direction": "beekeeping"},
        headers=auth("case_officer"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def outbox(intake: Service, subject: str) -> list[dict[str, Any]]:
    return [envelope["data"] for envelope in await announced(intake, subject)]


async def enrolled_by_name(intake: Service, name: dict[str, str]) -> Counter[str]:
    """How often each applicant, by the name for its id, was announced as enrolled."""
    enrolled = await outbox(intake, "intake.participant.enrolled")
    return Counter(name[e["participant_id"]] for e in enrolled)


async def placed_by_name(intake: Service, name: dict[str, str]) -> dict[str, str]:
    """The outcome announced for each application, by the name for its id."""
    selected = await outbox(intake, "intake.application.selected")
    return {name[e["application_id"]]: e["outcome"] for e in selected}


async def run_selection(intake: Service, auth: Auth, round_id: str) -> dict[str, Any]:
    admin = auth("admin")
    requested = await intake.client.post(f"/v1/rounds/{round_id}/selections", headers=admin)
    assert requested.status_code == 202, requested.text
    location = requested.headers["location"]
    assert location == f"/v1/selections/{requested.json()['id']}"

    async def proposed() -> dict[str, Any] | None:
        response = await intake.client.get(location, headers=auth("case_officer"))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["status"] not in ("failed", "discarded"), body
        return {**body, "etag": response.headers["etag"]} if body["status"] == "proposed" else None

    result: dict[str, Any] = await eventually(proposed, "the selection to be proposed")
    return result


async def all_results(intake: Service, auth: Auth, selection_id: str, query: str = "") -> list[Any]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = f"/v1/selections/{selection_id}/results?limit=3{query}"
        if cursor:
            url += f"&cursor={cursor}"
        page = await intake.client.get(url, headers=auth("analyst"))
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items
