"""Two partners on all four services in-process: partner A, holding every scope, and partner B
with one object of every kind it owns, made over HTTP and carried between the services by their
events, as in production.

Fixture:
    world   function  World: the services, A's and B's keys, a staff token, B's objects by path
                      parameter per service, and what of B's must never reach A
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from shared.auth import Role, Scope
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import PRODUCERS, stream_name
from tests.isolation.routes import PDF, png
from tests.journey_support import (
    APPLICANT,
    PASSED_CHECKLIST,
    PLAN_CONTENT,
    eventually,
    handover,
    one_item,
)
from tests.service_fixtures import Auth, Service, StartService

Headers = dict[str, str]

# B's referral: personal data that must never reach A.
B_APPLICANT = {
    **APPLICANT,
    "fin": "6BEE5KZ",
    "first_name": "Leyla",
    "last_name": "Hüseynova",
    "birth_date": "1990-07-21",
    "phone": "+994551112233",
}
# Registered by staff, like B's applicant but for the FIN: a possible duplicate, and B's referral
# of that FIN a referral claim.
TWIN = {**B_APPLICANT, "fin": "7TWIN77", "last_name": "Huseynova"}
SERIALS = {"beehive": ["HIVE-B-1", "HIVE-B-2"], "honey-extractor": ["EXT-B-1"]}
TRAINING_DAY = "2027-04-05"
COURSE = {
    "direction": "beekeeping",
    "name": {"az": "Arıçılıq", "en": "Beekeeping", "ru": "Пчеловодство"},
    "days": 1,
    "hours": 6,
    "completion_threshold": "0.80",
}


async def all_applied(services: tuple[Service, ...]) -> bool:
    """Every service has published all it wrote, and every consumer has applied all it got."""
    for service in services:
        async with service.runtime.sessionmaker() as session:
            unsent = await session.scalar(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
        if unsent:
            return False
    js = await services[0].jetstream_as(OPERATOR)
    namespace = services[0].settings.nats_namespace
    for producer in PRODUCERS:
        for info in await js.consumers_info(stream_name(namespace, producer)):
            if info.num_pending or info.num_ack_pending:
                return False
    return True


@dataclass
class World:
    services: dict[str, Service]
    a: Headers  # partner A's key, with every scope
    b: Headers  # partner B's key, with every scope
    staff: Headers  # every role
    # B's objects (and the shared ones a route names) by path parameter, per service.
    params: dict[str, dict[str, str]]
    # B's ids and personal data: none may reach A.
    secrets: set[str]


def created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), (response.request.url, response.text)
    body: dict[str, Any] = response.json()
    return body


async def post(service: Service, url: str, **request: Any) -> dict[str, Any]:
    """The body of what a POST made (201, or 200/202 for actions and jobs)."""
    return created(await service.client.post(url, **request))


async def put(service: Service, url: str, **request: Any) -> dict[str, Any]:
    return created(await service.client.put(url, **request))


async def issue_key(intake: Service, admin: Headers, name: str) -> tuple[str, str, Headers]:
    """A partner and an API key of every scope: (partner id, key id, headers)."""
    partner = await post(intake, "/v1/partners", json={"name": name}, headers=admin)
    key = await post(
        intake,
        f"/v1/partners/{partner['id']}/api-keys",
        json={"scopes": [scope.value for scope in Scope]},
        headers=admin,
    )
    return partner["id"], key["id"], {"X-API-Key": key["key"]}


async def answers(service: Service, url: str, headers: Headers) -> bool:
    """True once the service accepts the key: intake's key events reach the others a little
    later."""
    return (await service.client.get(url, headers=headers)).status_code == 200


@pytest.fixture
async def world(start_service: StartService, auth: Auth, tmp_path: Path) -> World:
    intake = await start_service("intake")
    plans = await start_service("plans")
    assets = await start_service("assets", filestore_path=tmp_path / "assets")
    monitoring = await start_service("monitoring", filestore_path=tmp_path / "monitoring")
    admin = auth("admin", subject="admin-1")
    officer = auth("case_officer", subject="officer-1")
    reviewer = auth("plan_reviewer", subject="reviewer-1")
    asset_officer = auth("asset_officer", subject="asset-officer-1")
    monitor = auth("monitor", subject="monitor-1")
    staff = auth(*Role, subject="staff-1")

    # --- intake: the partners, B's memorandum and referral, enrolled by staff --------------
    _, _, key_a = await issue_key(intake, admin, "AHİK")
    partner_b, key_id_b, key_b = await issue_key(intake, admin, "Other NGO")
    memorandum = await post(
        intake,
        f"/v1/partners/{partner_b}/memoranda",
        json={
            "number": "M-2027/14",
            "signed_on": "2026-01-10",
            "valid_from": "2026-01-10",
            "valid_to": "2029-01-10",
            "areas": ["trainings", "assets"],
        },
        headers=admin,
    )
    applicant = await post(intake, "/v1/applicants", json=B_APPLICANT, headers=key_b)
    application = await post(
        intake,
        "/v1/applications",
        json={"applicant_id": applicant["id"], "direction": "beekeeping"},
        headers=key_b,
    )
    participant_id = application["id"]
    await post(
        intake,
        f"/v1/applications/{participant_id}/enroll",
        headers={**officer, "If-Match": f'"{application["version"]}"'},
    )
    # A possible duplicate of B's applicant, and B's referral of the twin's FIN: a claim.
    await post(intake, "/v1/applicants", json=TWIN, headers=officer)
    flag = await eventually(
        lambda: one_item(intake.client, "/v1/duplicates", officer), "a duplicate flag"
    )
    await post(intake, "/v1/applicants", json={**B_APPLICANT, "fin": TWIN["fin"]}, headers=key_b)
    claim = await eventually(
        lambda: one_item(intake.client, "/v1/referral-claims", officer), "a referral claim"
    )
    template = await intake.client.get("/v1/imports/template.csv", headers=key_b)
    upload = await post(
        intake, "/v1/imports", files={"file": ("b.csv", template.content)}, headers=key_b
    )

    async def import_done() -> bool:
        response = await intake.client.get(f"/v1/imports/{upload['id']}", headers=key_b)
        return bool(response.json()["status"] in ("completed", "failed"))

    await eventually(import_done, "B's import to finish")
    # A closed round with a selection: staff's, which no partner may run or read.
    round_ = await post(
        intake,
        "/v1/rounds",
        json={
            "name": "2027 spring",
            "period_start": "2027-03-01",
            "period_end": "2027-04-30",
            "quotas": {"AZ-GA": 2},
            "reserved_share": "0.30",
        },
        headers=admin,
    )
    for step, etag in (("open", '"1"'), ("close", '"2"')):
        await post(intake, f"/v1/rounds/{round_['id']}/{step}", headers={**admin, "If-Match": etag})
    selection = await post(intake, f"/v1/rounds/{round_['id']}/selections", headers=admin)

    async def selection_done() -> bool:
        response = await intake.client.get(f"/v1/selections/{selection['id']}", headers=admin)
        return bool(response.json()["status"] not in ("queued", "running"))

    await eventually(selection_done, "the selection to finish")

    # --- the keys reach the other services ------------------------------------------------
    for service, url in (
        (plans, "/v1/participants"),
        (assets, "/v1/orders"),
        (monitoring, "/v1/visits"),
    ):
        for key in (key_a, key_b):
            await eventually(partial(answers, service, url, key), f"the key in {url}")

    # --- plans: B's participant's plan, approved; a consultation; B's training ------------
    plan = await eventually(
        lambda: one_item(
            plans.client, f"/v1/business-plans?participant_id={participant_id}", key_b
        ),
        "plans to open B's participant's plan",
    )
    plan_url = f"/v1/business-plans/{plan['id']}"
    items = {
        "items": [
            {"asset_type": "beehive", "quantity": 2, "unit_price": "150.50"},
            {"asset_type": "honey-extractor", "quantity": 1, "unit_price": "420.00"},
        ]
    }
    plan_step = await plans.client.put(
        f"{plan_url}/items", json=items, headers={**officer, "If-Match": f'"{plan["version"]}"'}
    )
    created(plan_step)
    for method, suffix, body, who in (
        ("PATCH", "", PLAN_CONTENT, officer),
        ("POST", "/submit", None, officer),
        ("POST", "/review", {"checklist": PASSED_CHECKLIST}, reviewer),
    ):
        plan_step = await plans.client.request(
            method,
            f"{plan_url}{suffix}",
            json=body,
            headers={**who, "If-Match": plan_step.headers["etag"]},
        )
        created(plan_step)
    # B's fund pays for B's participant's assets.
    fund = await post(
        assets,
        "/v1/funds",
        json={"code": "other-ngo", "name": "Other NGO fund", "partner_id": partner_b},
        headers=admin,
    )
    budget = await post(
        assets,
        f"/v1/funds/{fund['id']}/budgets",
        json={
            "round": "isolation",
            "period_start": "2000-01-01",
            "period_end": "2099-12-31",
            "allocated": "50000.00",
        },
        headers=admin,
    )
    await post(
        plans, f"{plan_url}/approve", headers={**reviewer, "If-Match": plan_step.headers["etag"]}
    )
    await post(
        plans,
        f"/v1/participants/{participant_id}/consultations",
        json={"direction": "beekeeping", "reason": "Keeps bees with her family."},
        headers=key_b,
    )
    course = await post(plans, "/v1/trainings/courses", json=COURSE, headers=admin)

    async def b_session() -> dict[str, Any] | None:
        # Refused until B's memorandum reaches plans.
        response = await plans.client.post(
            "/v1/trainings/sessions",
            json={
                "course_id": course["id"],
                "starts_on": TRAINING_DAY,
                "ends_on": TRAINING_DAY,
                "place": "Gəncə, otaq 3",
                "trainer": "Rauf Məmmədov",
                "capacity": 5,
            },
            headers=key_b,
        )
        return response.json() if response.status_code == 201 else None

    session = await eventually(b_session, "B's training session")
    session_url = f"/v1/trainings/sessions/{session['id']}"
    await post(
        plans, f"{session_url}/enrolments", json={"participant_id": participant_id}, headers=key_b
    )
    await put(
        plans,
        f"{session_url}/attendance/{TRAINING_DAY}",
        json={"participant_ids": [participant_id]},
        headers=key_b,
    )

    # --- assets: the order from B's fund, delivered, with its signed act; a supplier ------
    order = await eventually(
        lambda: one_item(assets.client, f"/v1/orders?plan_id={plan['id']}", asset_officer),
        "assets to open B's participant's order",
    )
    assert order["fund_id"] == fund["id"], order
    delivery = await assets.client.post(
        "/v1/deliveries", json=handover(order, SERIALS), headers=asset_officer
    )
    created(delivery)
    delivery_id = delivery.json()["id"]
    await post(
        assets,
        f"/v1/deliveries/{delivery_id}/act",
        files={"file": ("act.pdf", PDF, "application/pdf")},
        headers={**asset_officer, "If-Match": delivery.headers["etag"]},
    )
    item = await one_item(assets.client, f"/v1/items?delivery_id={delivery_id}", asset_officer)
    assert item is not None
    supplier = await post(
        assets, "/v1/suppliers", json={"name": "Bal-Arı MMC", "tax_id": "1401234567"}, headers=admin
    )

    # --- monitoring: B's visits, a photo and a report that raises flags ------------------
    async def four_visits() -> list[dict[str, Any]] | None:
        response = await monitoring.client.get(
            f"/v1/visits?participant_id={participant_id}", headers=monitor
        )
        visits: list[dict[str, Any]] = response.json()["items"]
        return visits if len(visits) == 4 else None

    visit = (await eventually(four_visits, "monitoring to schedule B's visits"))[0]
    visit_url = f"/v1/visits/{visit['id']}"
    photo = await post(
        monitoring, f"{visit_url}/photos", files={"file": ("hives.png", png())}, headers=monitor
    )
    await post(
        monitoring,
        f"{visit_url}/report",
        json={
            "report_id": "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
            "visited_on": "2026-02-27",
            "operating": True,
            "items": [
                {"asset_type": "beehive", "serial": "HIVE-B-1", "status": "in_use"},
                {
                    "asset_type": "beehive",
                    "serial": "HIVE-B-2",
                    "status": "sold",
                    "reason": "sold_to_neighbour",
                },
            ],
            "income": "90.00",
            "costs": "60.00",
            "jobs": 1,
            "notes": f"{B_APPLICANT['first_name']} {B_APPLICANT['last_name']} sold a hive.",
            "location": {"latitude": "40.682100", "longitude": "46.360600"},
        },
        headers=monitor,
    )
    monitoring_flag = await eventually(
        lambda: one_item(monitoring.client, f"/v1/flags?participant_id={participant_id}", officer),
        "monitoring to flag B's case",
    )

    async def sold() -> bool:
        found = await one_item(assets.client, "/v1/items?serial=HIVE-B-2", asset_officer)
        return found is not None and found["status"] == "sold"

    # Nothing of B's may still be moving when the walk compares before and after.
    await eventually(sold, "assets to mark the sold hive")
    await eventually(
        lambda: answers(monitoring, f"/v1/cases/{participant_id}/timeline", staff),
        "B's participant's timeline",
    )
    monitor_put = await monitoring.client.put(
        "/v1/monitors/monitor-1", json={"regions": ["AZ-GA"]}, headers=admin
    )
    assert monitor_put.status_code in (200, 201), monitor_put.text
    grievance = await post(
        monitoring,
        "/v1/grievances",
        json={
            "application_id": participant_id,
            "type": "grievance",
            "category": "service_complaint",
            "channel": "office",
            "description": "The monitor came a week late",
        },
        headers=officer,
    )
    # Reactions to the flags (a plan reopened, a person excluded) travel on as more events.
    services = (intake, plans, assets, monitoring)
    await eventually(partial(all_applied, services), "every event to be applied")
    # The sold hive's flag proposes to exclude B's person, for a case officer.
    proposal = await one_item(
        intake.client, f"/v1/exclusion-proposals?applicant_id={applicant['id']}", officer
    )
    assert proposal is not None

    params = {
        "intake": {
            "partner_id": partner_b,
            "key_id": key_id_b,
            "memorandum_id": memorandum["id"],
            "applicant_id": applicant["id"],
            "application_id": participant_id,
            "import_id": upload["id"],
            "flag_id": flag["id"],
            "claim_id": claim["id"],
            # Admins' only: a partner is refused before anything is looked up.
            "export_id": "00000000-0000-4000-8000-000000000000",
            "round_id": round_["id"],
            "selection_id": selection["id"],
            "proposal_id": proposal["id"],
            "fin": B_APPLICANT["fin"],  # for request bodies
        },
        "plans": {
            "code": "beekeeping",
            "participant_id": participant_id,
            "course_id": course["id"],
            "session_id": session["id"],
            "day": TRAINING_DAY,
            "plan_id": plan["id"],
            "partner_id": partner_b,  # for request bodies
        },
        "assets": {
            "code": "beehive",
            "supplier_id": supplier["id"],
            "fund_id": fund["id"],
            "budget_id": budget["id"],
            "order_id": order["id"],
            "delivery_id": delivery_id,
            "item_id": item["id"],
        },
        "monitoring": {
            "visit_id": visit["id"],
            "photo_id": photo["id"],
            "monitor_id": "monitor-1",
            "participant_id": participant_id,
            "flag_id": monitoring_flag["id"],
            "code": monitoring_flag["rule"],
            "partner_id": partner_b,
            "grievance_id": grievance["id"],
        },
    }
    secrets = {
        partner_b,
        key_id_b,
        memorandum["id"],
        applicant["id"],
        participant_id,
        upload["id"],
        flag["id"],
        claim["id"],
        plan["id"],
        session["id"],
        fund["id"],
        budget["id"],
        order["id"],
        delivery_id,
        item["id"],
        visit["id"],
        photo["id"],
        monitoring_flag["id"],
        grievance["id"],
        *(B_APPLICANT[field] for field in ("fin", "first_name", "last_name", "phone")),
        TWIN["fin"],
        *SERIALS["beehive"],
        *SERIALS["honey-extractor"],
    }
    return World(
        services={"intake": intake, "plans": plans, "assets": assets, "monitoring": monitoring},
        a=key_a,
        b=key_b,
        staff=staff,
        params=params,
        secrets=secrets,
    )
