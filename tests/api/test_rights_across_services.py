"""A person's rights after a whole journey, with the four services as they run: the access request
gathers what every service holds about them, and erasure leaves their data in no answer of any
service while every report stays as it was. Plans, assets and monitoring are each behind a real
HTTP server, since intake reaches them over HTTP for the access request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.journey_support import APPLICANT, Headers, eventually, follow_up, run_journey
from tests.service_fixtures import Auth, Service, StartService
from tests.serving_support import serving

PERSONAL = ("5ABC7DE", "Aygün", "Məmmədova", "1988-04-12", "+994501234567")  # APPLICANT's
LAST_NAME = PERSONAL[2]
REPORTS = ("/v1/reports/funnel", "/v1/reports/participants", "/v1/reports/budgets")


@dataclass
class Programme:
    services: dict[str, Service]
    journey: dict[str, Any]
    auth: Auth

    def client(self, name: str) -> httpx.AsyncClient:
        return self.services[name].client

    @property
    def admin(self) -> Headers:
        return self.auth("admin", subject="admin-1")


@pytest.fixture
async def programme(
    start_service: StartService, auth: Auth, tmp_path: Path
) -> AsyncIterator[Programme]:
    """One participant who travelled the whole journey, up to a reported first visit whose
    notes name them."""
    services = {
        "plans": await start_service("plans"),
        "assets": await start_service("assets", filestore_path=tmp_path / "assets"),
        "monitoring": await start_service("monitoring", filestore_path=tmp_path / "monitoring"),
    }
    async with AsyncExitStack() as stack:
        urls = {
            f"{name}_url": await stack.enter_async_context(serving(service.app))
            for name, service in services.items()
        }
        services["intake"] = await start_service("intake", **urls)

        def token(role: str, subject: str) -> Headers:
            return auth(role, subject=subject)

        journey = await run_journey(
            services["intake"].client,
            services["plans"].client,
            services["assets"].client,
            services["monitoring"].client,
            token,
        )
        await follow_up(services["assets"].client, services["monitoring"].client, token, journey)
        yield Programme(services, journey, auth)


async def test_an_access_request_gathers_what_every_service_holds(programme: Programme) -> None:
    journey = programme.journey
    requested = await programme.client("intake").post(
        f"/v1/applicants/{journey['applicant_id']}/access-requests", headers=programme.admin
    )
    assert requested.status_code == 201, requested.text
    export = requested.json()
    assert (export["status"], export["missing"]) == ("complete", [])
    content = export["content"]
    (person,) = content["intake"]["applicant"]
    assert (person["fin"], person["first_name"]) == (APPLICANT["fin"], APPLICANT["first_name"])
    assert [a["id"] for a in content["intake"]["applications"]] == [journey["participant_id"]]
    assert [p["id"] for p in content["plans"]["business_plans"]] == [journey["plan_id"]]
    assert [o["id"] for o in content["assets"]["orders"]] == [journey["order_id"]]
    serials = sorted(unit["serial"] for unit in content["assets"]["delivered_units"])
    assert serials == ["EXT-77", "HIVE-001", "HIVE-002"]
    monitoring = content["monitoring"]
    assert len(monitoring["visits"]) == 4
    # The monitor's notes are the person's data too: in their export, nowhere else.
    assert LAST_NAME in repr(monitoring["visit_reports"])
    assert {flag["rule"] for flag in monitoring["flags"]} == {"asset_lost", "income_below_plan"}
    # The hive found sold is a decision against the person, which they may appeal.
    [finding] = monitoring["adverse_decisions"]
    assert (finding["kind"], finding["reason"]) == ("item_status", "sold")

    pdf = await programme.client("intake").get(
        f"/v1/access-requests/{export['id']}",
        headers={**programme.admin, "Accept": "application/pdf"},
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


async def everything_staff_read(programme: Programme) -> str:
    """The answers of every service's pages about the participant, as an admin reads them."""
    journey = programme.journey
    participant = journey["participant_id"]
    pages = {
        "intake": [f"/v1/applications/{participant}", f"/v1/applicants/{journey['applicant_id']}"],
        "plans": [
            f"/v1/business-plans/{journey['plan_id']}",
            f"/v1/business-plans/{journey['plan_id']}/versions",
        ],
        "assets": [f"/v1/orders/{journey['order_id']}", "/v1/deliveries", "/v1/items"],
        "monitoring": [
            f"/v1/visits?participant_id={participant}",
            *[f"/v1/visits/{visit['id']}" for visit in journey["visits"]],
            f"/v1/cases/{participant}",
            f"/v1/cases/{participant}/timeline",
            f"/v1/flags?participant_id={participant}",
        ],
    }
    read = {**programme.admin, "X-Purpose": "case_review"}
    answers = []
    for name, urls in pages.items():
        for url in urls:
            response = await programme.client(name).get(url, headers=read)
            answers.append(f"{name} {url} {response.status_code} {response.text}")
    search = await programme.client("intake").post(
        "/v1/applicants/search",
        json={"name": LAST_NAME},
        headers=read,
    )
    assert search.status_code == 200, search.text
    answers.append(f"intake search {search.text}")
    return "\n".join(answers)


async def reports(programme: Programme) -> list[Any]:
    analyst = programme.auth("analyst")
    answers = []
    for url in REPORTS:
        response = await programme.client("monitoring").get(url, headers=analyst)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


async def test_erasure_leaves_the_person_in_no_answer_and_every_report_as_it_was(
    programme: Programme,
) -> None:
    journey = programme.journey
    participant = journey["participant_id"]
    intake, monitoring = programme.client("intake"), programme.client("monitoring")
    officer = programme.auth("case_officer", subject="officer-1")

    # The family moved away: the case closes, and intake hears of it.
    case = await monitoring.get(f"/v1/cases/{participant}", headers=officer)
    closed = await monitoring.post(
        f"/v1/cases/{participant}/close",
        json={"outcome": "dropped_out", "reason": "moved_away"},
        headers={**officer, "If-Match": case.headers["etag"]},
    )
    assert closed.status_code == 200, closed.text
    before = await reports(programme)
    assert LAST_NAME in await everything_staff_read(programme)

    person_url = f"/v1/applicants/{journey['applicant_id']}"

    async def erased() -> httpx.Response | None:
        person = await intake.get(
            person_url, headers={**programme.admin, "X-Purpose": "case_review"}
        )
        assert person.status_code == 200, person.text
        response = await intake.post(
            f"{person_url}/erasure",
            json={"basis": "lawful_request", "reference": "ŞM-2026/1187"},
            headers={**programme.admin, "If-Match": person.headers["etag"]},
        )
        # 409 until intake has heard that the case closed.
        return None if response.status_code == 409 else response

    erasure = await eventually(erased, "intake to erase the person once the case closed")
    assert erasure.status_code == 200, erasure.text
    assert participant in erasure.json()["application_ids"]
    assert (await intake.get(person_url, headers=programme.admin)).status_code == 404

    async def gone_everywhere() -> str | None:
        answers = await everything_staff_read(programme)
        return None if any(value in answers for value in PERSONAL) else answers

    answers = await eventually(gone_everywhere, "every service to drop the person's data")
    assert "sold a hive" not in answers  # the monitor's notes, which named them
    assert await reports(programme) == before
