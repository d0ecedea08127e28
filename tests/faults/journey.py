"""One participant's whole journey through the faults: registered and applied, enrolled, the plan
written, reviewed and approved, the order it opens, the handover with the order's serials, the
four visits, a first visit's report that raises two flags, and the case closed by an officer.

Each journey has its own FIN, names, serials and report id, so that counts can tell them apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tests.faults.client import Api, Body
from tests.journey_support import PASSED_CHECKLIST, PLAN_CONTENT, STATE_FUND, handover

ITEMS = [
    {"asset_type": "beehive", "quantity": 2, "unit_price": "150.50"},
    {"asset_type": "honey-extractor", "quantity": 1, "unit_price": "420.00"},
]
TOTAL = "721.00"
FLAGS = ["asset_lost", "income_below_plan"]
VISITS = 4
FIRST_NAMES = ["Aygün", "Elvin", "Nərgiz", "Rəşad", "Səbinə", "Tural", "Ülviyyə", "Orxan"]
LAST_NAMES = ["Məmmədova", "Əliyev", "Hüseynova", "Quliyev", "Həsənova", "İsmayılov"]

# Called with the participant's id before the enrolment (the poisoned journey's operator).
BeforeEnrol = Callable[[str], Awaitable[None]]


@dataclass
class Journey:
    number: int
    participant_id: str | None = None
    plan_id: str | None = None
    order_id: str | None = None
    delivery_id: str | None = None
    serials: dict[str, list[str]] = field(default_factory=dict)
    done: bool = False
    error: str | None = None


def applicant(number: int) -> Body:
    """A person of their own: a FIN of 7 Latin letters and digits, names, birth date, phone."""
    return {
        "fin": f"F{number:06d}",
        "first_name": FIRST_NAMES[number % len(FIRST_NAMES)],
        "last_name": LAST_NAMES[number % len(LAST_NAMES)],
        "birth_date": (date(1970, 1, 1) + timedelta(days=number * 7)).isoformat(),
        "phone": f"+99450{1000000 + number:07d}",
        "sex": "female" if number % 2 else "male",
        "region": "AZ-GA",
        "categories": [
            {
                "category": "martyr_family",
                "evidence": {
                    "document_type": "martyr_family_certificate",
                    "number": f"ŞA-{number:06d}",
                    "issued_on": "2021-03-15",
                },
            }
        ],
    }


async def run(api: Api, journey: Journey, before_enrol: BeforeEnrol | None = None) -> None:
    number = journey.number
    person = await api.create("intake", "/v1/applicants", "case_officer", applicant(number))
    application = await api.create(
        "intake",
        "/v1/applications",
        "case_officer",
        {"applicant_id": person["id"], "direction": "beekeeping"},
    )
    participant = journey.participant_id = application["id"]
    if before_enrol is not None:
        await before_enrol(participant)
    await api.change(
        "intake",
        f"/v1/applications/{participant}",
        "POST",
        f"/v1/applications/{participant}/enroll",
        "case_officer",
        done=lambda a: a["status"] == "enrolled",
    )
    plan = await _approved_plan(api, journey)
    order = await api.eventually(
        lambda: _one(api, "assets", f"/v1/orders?plan_id={plan}", "asset_officer"),
        "assets to open and reserve the order",
    )
    journey.order_id = order["id"]
    journey.serials = {
        "beehive": [f"HIVE-{number:06d}-1", f"HIVE-{number:06d}-2"],
        "honey-extractor": [f"EXT-{number:06d}"],
    }
    delivery = await api.create(
        "assets", "/v1/deliveries", "asset_officer", handover(order, journey.serials)
    )
    journey.delivery_id = delivery["id"]
    visits = await api.eventually(
        lambda: _visits(api, participant), "monitoring to schedule the visits"
    )
    await _report_first_visit(api, journey, visits[0])
    await api.eventually(lambda: _flags(api, participant), "monitoring to raise the flags")
    await api.change(
        "monitoring",
        f"/v1/cases/{participant}",
        "POST",
        f"/v1/cases/{participant}/close",
        "case_officer",
        body={"outcome": "failed", "reason": "assets_lost", "closed_on": "2026-03-01"},
        done=lambda c: c["status"] == "closed",
    )
    journey.done = True


async def _approved_plan(api: Api, journey: Journey) -> str:
    """The draft plans opens on the enrolment, filled in, submitted, reviewed and approved."""
    plan = await api.eventually(
        lambda: _one(
            api,
            "plans",
            f"/v1/business-plans?participant_id={journey.participant_id}",
            "case_officer",
        ),
        "plans to open a business plan",
    )
    url = f"/v1/business-plans/{plan['id']}"
    journey.plan_id = plan["id"]
    steps: list[tuple[str, str, str, Body | None, Callable[[Body], bool]]] = [
        ("PUT", "/items", "case_officer", {"items": ITEMS}, lambda p: p["total"] == TOTAL),
        ("PATCH", "", "case_officer", PLAN_CONTENT, lambda p: p["activity"] is not None),
        ("POST", "/submit", "case_officer", None, lambda p: p["status"] != "draft"),
        (
            "POST",
            "/review",
            "plan_reviewer",
            {"checklist": PASSED_CHECKLIST},
            lambda p: p["status"] in ("in_review", "approved"),
        ),
        ("POST", "/approve", "plan_reviewer", None, lambda p: p["status"] == "approved"),
    ]
    for method, action, role, body, done in steps:
        await api.change("plans", url, method, f"{url}{action}", role, body=body, done=done)
    return str(plan["id"])


async def _one(api: Api, service: str, path: str, role: str) -> Body | None:
    found = await api.items(service, path, role)
    return found[0] if found else None


async def _visits(api: Api, participant: str) -> list[Body] | None:
    visits = await api.items("monitoring", f"/v1/visits?participant_id={participant}", "monitor")
    return sorted(visits, key=lambda v: v["month"]) if len(visits) == VISITS else None


async def _flags(api: Api, participant: str) -> list[str] | None:
    flags = await api.items("monitoring", f"/v1/flags?participant_id={participant}", "case_officer")
    rules = sorted(flag["rule"] for flag in flags)
    return rules if len(rules) == len(FLAGS) else None


async def _report_first_visit(api: Api, journey: Journey, visit: Body) -> None:
    """The business operates, one hive was sold and income is far below the plan: the report
    trips asset_lost and income_below_plan. The device's report_id makes a resend harmless."""
    hives = journey.serials["beehive"]
    report: dict[str, Any] = {
        "report_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"faults/{journey.number}")),
        "visited_on": "2026-02-27",
        "operating": True,
        "items": [
            {"asset_type": "beehive", "serial": hives[0], "status": "in_use"},
            {
                "asset_type": "beehive",
                "serial": hives[1],
                "status": "sold",
                "reason": "sold_to_neighbour",
            },
        ],
        "income": "90.00",
        "costs": "60.00",
        "jobs": 1,
    }
    path = f"/v1/visits/{visit['id']}/report"
    response = await api.call("monitoring", "POST", path, "monitor", json=report)
    if response.status_code not in (200, 201):
        raise AssertionError(f"POST {path}: {response.status_code} {response.text}")


def budget(journeys: int) -> Body:
    """The state fund's budget for the run, made up front: room for every order and more."""
    return {
        "round": "faults",
        "period_start": "2000-01-01",
        "period_end": "2099-12-31",
        "allocated": f"{journeys * 1000}.00",
    }


BUDGETS_PATH = f"/v1/funds/{STATE_FUND}/budgets"
