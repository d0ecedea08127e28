"""Helpers for monitoring's report tests: the figures computed independently of the service,
and reading a report."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from shared.auth import Scope
from tests.events_support import copied_partner_key
from tests.monitoring.programme_support import (
    Facts,
)
from tests.service_fixtures import Service

PRIORITY = {"martyr_family", "war_participant"}
# The funnel's stages, in the report's order.
STAGES = [
    "applied",
    "eligible",
    "selected",
    "plan_approved",
    "delivered",
    "operating_6",
    "operating_12",
]


async def partner_key(monitoring: Service, partner_id: uuid.UUID) -> dict[str, str]:
    return await copied_partner_key(monitoring, partner_id, Scope.monitoring_read)


def participants(facts: Facts, partner: uuid.UUID | None = None) -> list[dict[str, Any]]:
    return [
        a
        for a in facts.applications
        if a["enrolled_at"] is not None
        and a["enrollment_cancelled_at"] is None
        and (partner is None or a["partner_id"] == partner)
    ]


def expected_years(facts: Facts) -> tuple[int, dict[int, int], dict[int, float]]:
    counts = Counter(a["enrolled_at"].year for a in participants(facts))
    first = min(counts)
    return first, dict(counts), {y: round(c / counts[first], 2) for y, c in counts.items()}


def expected_funnel(facts: Facts, partner: uuid.UUID | None = None) -> dict[str, Any]:
    visits: dict[uuid.UUID, dict[int, date]] = defaultdict(dict)
    for v in facts.visits:
        if v["operating"] and v["month"] in (6, 12):
            visits[v["participant_id"]][v["month"]] = v["visited_on"]
    counts = dict.fromkeys(STAGES, 0)
    gaps: dict[str, list[int]] = defaultdict(list)
    for a in facts.applications:
        if partner is not None and a["partner_id"] != partner:
            continue
        seen = visits.get(a["application_id"], {})
        chosen = a["selected_at"] or a["enrolled_at"]
        dates: list[tuple[str, Any]] = [
            ("applied", a["applied_at"] and a["applied_at"].date()),
            ("eligible", a["assessed_at"].date() if a["eligible"] else None),
            ("selected", chosen and chosen.date()),
            ("plan_approved", a["plan_approved_at"] and a["plan_approved_at"].date()),
            ("delivered", a["delivered_on"]),
            ("operating_6", seen.get(6)),
            ("operating_12", seen.get(12)),
        ]
        previous: date | None = None
        for stage, day in dates:
            if day is None:
                break
            counts[stage] += 1
            if previous is not None:
                gaps[stage].append((day - previous).days)
            previous = day
    return {
        "counts": counts,
        "medians": {stage: float(statistics.median(days)) for stage, days in gaps.items()},
    }


def expected_partner(facts: Facts, partner: uuid.UUID) -> dict[str, Any]:
    people = participants(facts, partner)
    ids = {a["application_id"] for a in people}
    latest: dict[uuid.UUID, dict[str, Any]] = {}
    for v in facts.visits:
        if v["participant_id"] in ids:
            last = latest.get(v["participant_id"])
            if last is None or (v["visited_on"], v["month"]) > (last["visited_on"], last["month"]):
                latest[v["participant_id"]] = v
    held = [t for t in facts.trainings if t["run_by_partner_id"] == partner]
    return {
        "enrolled": len(people),
        "priority": sum(1 for a in people if PRIORITY & set(a["categories"])),
        "trainings_held": len({t["session_id"] for t in held}),
        "persons_trained": len({t["participant_id"] for t in held}),
        "persons_with_assets": sum(1 for a in people if a["delivered_on"] is not None),
        "items_delivered": sum(d["items"] for d in facts.deliveries if d["participant_id"] in ids),
        "assets_value": sum(
            (a["delivered_value"] for a in people if a["delivered_value"] is not None),
            Decimal("0.00"),
        ),
        "visits_done": sum(1 for v in facts.visits if v["participant_id"] in ids),
        "operating": sum(1 for v in latest.values() if v["operating"]),
    }


def expected_budgets(facts: Facts) -> dict[uuid.UUID, dict[str, Any]]:
    found = {}
    for b in facts.budgets:
        orders = [o for o in facts.orders if o["budget_id"] == b["budget_id"]]
        live = [o for o in orders if o["status"] in ("reserved", "ordered")]
        done = [o for o in orders if o["status"] == "delivered"]
        reserved = sum((o["reserved"] for o in live), Decimal("0.00"))
        spent = sum((o["reserved"] for o in done), Decimal("0.00"))
        found[b["budget_id"]] = {
            "allocated": b["allocated"],
            "reserved": reserved,
            "spent": spent,
            "available": b["allocated"] - reserved - spent,
            "orders_reserved": len(live),
            "orders_delivered": len(done),
            "orders_waiting": sum(1 for o in orders if o["status"] == "awaiting_budget"),
        }
    return found


async def get(monitoring: Service, url: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await monitoring.client.get(url, headers=headers)
    assert response.status_code == status, (url, response.text)
    return response
