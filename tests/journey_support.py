"""One participant's whole journey, driven over HTTP: used in-process and against real processes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Headers = dict[str, str]
POLL_SECONDS = 0.1
PATIENCE_SECONDS = 60.0
STATE_FUND = "00000000-0000-0000-0000-0000000000f1"

APPLICANT = {
    "fin": "5ABC7DE",
    "first_name": "Aygün",
    "last_name": "Məmmədova",
    "birth_date": "1988-04-12",
    "phone": "+994501234567",
    "sex": "female",
    "region": "AZ-GA",
    "categories": [
        {
            "category": "martyr_family",
            "evidence": {
                "document_type": "martyr_family_certificate",
                "number": "ŞA-123456",
                "issued_on": "2021-03-15",
            },
        }
    ],
}

# The written sections a plan needs before it is submitted, and a review that passes every check.
PLAN_CONTENT = {
    "activity": "Honey production",
    "place": "Gəncə, own garden",
    "market": "Local market and neighbours",
    "projections": [
        {"month": month, "income": "300.00", "costs": "120.00"} for month in range(1, 13)
    ],
    "jobs_created": 1,
    "own_contribution": "100.00",
}
PASSED_CHECKLIST = [
    {"check": check, "passed": True}
    for check in (
        "activity_fits_direction",
        "market_assessed",
        "projections_realistic",
        "assets_match_activity",
        "own_contribution_confirmed",
    )
]


async def eventually(
    probe: Callable[[], Awaitable[Any]], what: str, patience: float = PATIENCE_SECONDS
) -> Any:
    """Polls until `probe` returns something truthy: events cross services asynchronously."""
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


async def one_item(client: httpx.AsyncClient, url: str, headers: Headers) -> dict[str, Any] | None:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items[0] if items else None


def handover(
    order: dict[str, Any],
    serials: dict[str, list[str]],
    delivered_on: str = "2026-01-31",
    place: str = "Gəncə",
) -> dict[str, Any]:
    """A delivery of all of an order's items, signed by the participant: serials by asset type."""
    return {
        "order_id": order["id"],
        "delivered_on": delivered_on,
        "place": place,
        "signed_by": "participant",
        "items": [
            {"order_item_id": item["id"], "serials": serials[item["asset_type"]]}
            for item in order["items"]
        ],
    }


async def open_state_budget(
    assets: httpx.AsyncClient,
    token: Callable[[str, str], Headers],
    budget_round: str,
    allocated: str,
) -> None:
    """The state budget has money for the round, so an order can reserve it."""
    budget = await assets.post(
        f"/v1/funds/{STATE_FUND}/budgets",
        json={
            "round": budget_round,
            "period_start": "2000-01-01",
            "period_end": "2099-12-31",
            "allocated": allocated,
        },
        headers=token("admin", "admin-1"),
    )
    assert budget.status_code == 201, budget.text


async def run_journey(
    intake: httpx.AsyncClient,
    plans: httpx.AsyncClient,
    assets: httpx.AsyncClient,
    monitoring: httpx.AsyncClient,
    token: Callable[[str, str], Headers],
    referrer: Headers | None = None,
    applicant: dict[str, Any] | None = None,
    serials: dict[str, list[str]] | None = None,
    budget_round: str | None = "journey",
) -> dict[str, Any]:
    """Returns what the journey made: ids, the visits and the timeline. With `referrer` (a
    partner's key), the partner registers the person and submits the application. Many journeys
    in one system need serials of their own (unique per asset type) and one budget made before
    them (`budget_round=None`): budgets of a fund may not overlap."""
    officer = token("case_officer", "officer-1")
    reviewer = token("plan_reviewer", "reviewer-1")
    asset_officer = token("asset_officer", "asset-officer-1")
    monitor = token("monitor", "monitor-1")

    registered = await intake.post(
        "/v1/applicants", json=applicant or APPLICANT, headers=referrer or officer
    )
    assert registered.status_code == 201, registered.text
    application = await intake.post(
        "/v1/applications",
        json={"applicant_id": registered.json()["id"], "direction": "beekeeping"},
        headers=referrer or officer,
    )
    assert application.status_code == 201, application.text
    participant_id = application.json()["id"]
    enrolled = await intake.post(
        f"/v1/applications/{participant_id}/enroll",
        headers={**officer, "If-Match": f'"{application.json()["version"]}"'},
    )
    assert enrolled.status_code == 200, enrolled.text

    plan = await eventually(
        lambda: one_item(plans, f"/v1/business-plans?participant_id={participant_id}", officer),
        "plans to open a business plan",
    )
    assert plan["status"] == "draft"
    assert plan["direction"] == "beekeeping"
    items = {
        "items": [
            {"asset_type": "beehive", "quantity": 2, "unit_price": "150.50"},
            {"asset_type": "honey-extractor", "quantity": 1, "unit_price": "420.00"},
        ]
    }
    url = f"/v1/business-plans/{plan['id']}"
    filled = await plans.put(
        f"{url}/items", json=items, headers={**officer, "If-Match": f'"{plan["version"]}"'}
    )
    assert filled.status_code == 200, filled.text
    assert filled.json()["total"] == "721.00"
    written = await plans.patch(
        url, json=PLAN_CONTENT, headers={**officer, "If-Match": filled.headers["etag"]}
    )
    assert written.status_code == 200, written.text
    submitted = await plans.post(
        f"{url}/submit", headers={**officer, "If-Match": written.headers["etag"]}
    )
    assert submitted.status_code == 200, submitted.text
    reviewed = await plans.post(
        f"{url}/review",
        json={"checklist": PASSED_CHECKLIST},
        headers={**reviewer, "If-Match": submitted.headers["etag"]},
    )
    assert reviewed.status_code == 200, reviewed.text
    if budget_round is not None:
        await open_state_budget(assets, token, budget_round, "100000.00")
    approved = await plans.post(
        f"{url}/approve", headers={**reviewer, "If-Match": reviewed.headers["etag"]}
    )
    assert approved.status_code == 200, approved.text

    order = await eventually(
        lambda: one_item(assets, f"/v1/orders?plan_id={plan['id']}", asset_officer),
        "assets to open an order",
    )
    assert order["total"] == "721.00"
    assert [(i["asset_type"], i["quantity"], i["unit_price"]) for i in order["items"]] == [
        ("beehive", 2, "150.50"),
        ("honey-extractor", 1, "420.00"),
    ]
    serials = serials or {"beehive": ["HIVE-001", "HIVE-002"], "honey-extractor": ["EXT-77"]}
    delivery = await assets.post(
        "/v1/deliveries", json=handover(order, serials), headers=asset_officer
    )
    assert delivery.status_code == 201, delivery.text

    async def four_visits() -> list[dict[str, Any]] | None:
        response = await monitoring.get(
            f"/v1/visits?participant_id={participant_id}", headers=monitor
        )
        assert response.status_code == 200, response.text
        visits: list[dict[str, Any]] = response.json()["items"]
        return visits if len(visits) == 4 else None

    visits = await eventually(four_visits, "monitoring to schedule visits")

    expected_types = [
        "intake.application.submitted",
        "intake.application.assessed",
        "intake.participant.enrolled",
        "plans.plan.opened",
        "plans.plan.submitted",
        "plans.plan.approved",
        "assets.order.opened",
        "assets.order.reserved",
        "assets.delivery.completed",
    ]

    async def full_timeline() -> dict[str, Any] | None:
        response = await monitoring.get(f"/v1/cases/{participant_id}/timeline", headers=monitor)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if len(body["entries"]) == len(expected_types) else None

    timeline = await eventually(full_timeline, "the whole timeline in monitoring")
    return {
        "applicant_id": registered.json()["id"],
        "participant_id": participant_id,
        "plan_id": plan["id"],
        "order_id": order["id"],
        "visits": visits,
        "timeline": timeline,
        "expected_types": expected_types,
    }


def check_journey(result: dict[str, Any]) -> None:
    visits = result["visits"]
    assert [(v["month"], v["due_on"]) for v in visits] == [
        (1, "2026-02-28"),  # a month after 31 January is the end of February
        (3, "2026-04-30"),
        (6, "2026-07-31"),
        (12, "2027-01-31"),
    ]
    timeline = result["timeline"]["entries"]
    assert sorted(e["event_type"] for e in timeline) == sorted(result["expected_types"])
    # Events carry coded facts, never personal data.
    text = repr(timeline)
    for personal in ("5ABC7DE", "Aygün", "Məmmədova", "1988-04-12", "+994501234567"):
        assert personal not in text
    delivered = next(e for e in timeline if e["event_type"] == "assets.delivery.completed")
    assert delivered["facts"]["total"] == "721.00"
    assert delivered["facts"]["items"][0]["serials"] == ["HIVE-001", "HIVE-002"]


async def follow_up(
    assets: httpx.AsyncClient,
    monitoring: httpx.AsyncClient,
    token: Callable[[str, str], Headers],
    result: dict[str, Any],
) -> dict[str, Any]:
    """report_first_visit, and the funnel counts the participant (the only one)."""
    raised = await report_first_visit(assets, monitoring, token, result)
    analyst = token("analyst", "analyst-1")

    async def funnel() -> dict[str, int] | None:
        response = await monitoring.get("/v1/reports/funnel", headers=analyst)
        assert response.status_code == 200, response.text
        counts = {stage["stage"]: stage["count"] for stage in response.json()["stages"]}
        return counts if counts["delivered"] == 1 else None

    stages = await eventually(funnel, "the funnel to count the delivery")
    return {"flags": raised, "funnel": stages}


async def report_first_visit(
    assets: httpx.AsyncClient,
    monitoring: httpx.AsyncClient,
    token: Callable[[str, str], Headers],
    result: dict[str, Any],
    report_id: str = "0f4e2c1a-7b3d-4e5f-8a9b-1c2d3e4f5a6b",
    hives: tuple[str, str] = ("HIVE-001", "HIVE-002"),
) -> list[str]:
    """The first visit after the handover, as a monitor reports it from the field: the business
    operates, one of the `hives` (their serials) was sold and income is far below the plan.
    Assets learns of the sold hive and monitoring raises its flags; returns their rules."""
    monitor = token("monitor", "monitor-1")
    participant_id = result["participant_id"]
    first_visit = result["visits"][0]
    in_use, sold = hives
    report = {
        "report_id": report_id,
        "visited_on": "2026-02-27",
        "operating": True,
        "items": [
            {"asset_type": "beehive", "serial": in_use, "status": "in_use"},
            {
                "asset_type": "beehive",
                "serial": sold,
                "status": "sold",
                "reason": "sold_to_neighbour",
            },
        ],
        "income": "90.00",
        "costs": "60.00",
        "jobs": 1,
        # Free text and coordinates stay in monitoring: the scan of events looks for the name.
        "notes": f"{APPLICANT['first_name']} {APPLICANT['last_name']} sold a hive to a neighbour.",
        "location": {"latitude": "40.682100", "longitude": "46.360600"},
    }
    url = f"/v1/visits/{first_visit['id']}/report"
    reported = await monitoring.post(url, json=report, headers=monitor)
    assert reported.status_code == 201, reported.text
    again = await monitoring.post(url, json=report, headers=monitor)  # an offline retry
    assert again.status_code == 200, again.text

    asset_officer = token("asset_officer", "asset-officer-1")

    async def hive_sold() -> bool:
        item = await one_item(assets, f"/v1/items?serial={sold}", asset_officer)
        return item is not None and item["status"] == "sold"

    await eventually(hive_sold, "assets to mark the sold hive")

    officer = token("case_officer", "officer-1")

    async def flags() -> list[str] | None:
        response = await monitoring.get(
            f"/v1/flags?participant_id={participant_id}", headers=officer
        )
        assert response.status_code == 200, response.text
        rules = sorted(flag["rule"] for flag in response.json()["items"])
        return rules if len(rules) == 2 else None

    raised: list[str] = await eventually(flags, "monitoring to flag the case")
    return raised


def check_follow_up(follow: dict[str, Any]) -> None:
    assert follow["flags"] == ["asset_lost", "income_below_plan"]
    assert follow["funnel"] == {
        "applied": 1,
        "eligible": 1,
        "selected": 1,
        "plan_approved": 1,
        "delivered": 1,
        "operating_6": 0,
        "operating_12": 0,
    }
