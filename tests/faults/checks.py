"""The counts at the end of a run, against what the driver sent.

What the public API shows is read through it; what only a database can tell (every row of a kind,
the ledger, the read-model tables) is read with read-only SQL on each service's own database, as
an operator would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.faults.journey import FLAGS, VISITS, Journey
from tests.faults.stack import Stack

# The events of a journey that monitoring's timeline must hold exactly once each.
ONCE = (
    "intake.application.submitted",
    "intake.participant.enrolled",
    "plans.plan.opened",
    "plans.plan.submitted",
    "plans.plan.approved",
    "assets.order.opened",
    "assets.order.reserved",
    "assets.delivery.completed",
    "monitoring.visit.reported",
    "monitoring.case.closed",
)
FUNNEL = ("applied", "eligible", "selected", "plan_approved", "delivered")
REPORTS = ("funnel", "budgets", "participants", "survival")


async def query(stack: Stack, service: str, sql: str) -> list[dict[str, Any]]:
    """Rows of one read-only statement on `service`'s database."""
    engine = create_async_engine(stack.database_url(service), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET TRANSACTION READ ONLY"))
            result = await connection.execute(text(sql))
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


def _per(rows: Iterable[dict[str, Any]], key: str) -> Counter[str]:
    return Counter(str(row[key]) for row in rows)


KINDS = ("lost", "duplicated", "overspent", "mismatch")


@dataclass
class Findings:
    """Each problem found, by kind: `lost` (an effect missing), `duplicated` (one too many),
    `overspent` (a budget beyond its allocation) and `mismatch` (two records that disagree),
    keyed by whom it concerns: a participant counts once however many effects it lacks."""

    problems: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def expect(self, kind: str, ok: bool, what: str, key: str | None = None) -> None:
        if not ok:
            self.problems[kind].setdefault(key or what, what)

    def number(self, kind: str) -> int:
        return len(self.problems[kind])

    def count(self, what: str, participants: Iterable[str], found: Counter[str], want: int) -> None:
        """Each participant has `want` of `what`: fewer is lost, more duplicated."""
        for participant in participants:
            have = found[participant]
            problem = f"{participant}: {have} {what}, want {want}"
            self.expect("lost", have >= want, problem, participant)
            self.expect("duplicated", have <= want, problem, participant)


async def effects(stack: Stack, journeys: list[Journey], findings: Findings) -> None:
    """Every enrolment has one plan, one order, one delivery, its visits, flags and a closed
    case; nothing exists for anyone the driver did not send."""
    sent = [j.participant_id for j in journeys if j.participant_id is not None]
    findings.expect("lost", len(sent) == len(journeys), "journeys without an application")
    applications = await query(stack, "intake", "SELECT id, status FROM applications")
    enrolled = {str(a["id"]) for a in applications if a["status"] == "enrolled"}
    findings.expect("duplicated", len(applications) == len(journeys), "applications != journeys")
    findings.count("enrolments", sent, Counter(enrolled), 1)
    plans = await query(stack, "plans", "SELECT participant_id FROM business_plans")
    findings.count("plans", sent, _per(plans, "participant_id"), 1)
    orders = await query(stack, "assets", "SELECT participant_id, status FROM orders")
    findings.count("orders", sent, _per(orders, "participant_id"), 1)
    delivered = _per((o for o in orders if o["status"] == "delivered"), "participant_id")
    findings.count("delivered orders", sent, delivered, 1)
    deliveries = await query(
        stack,
        "assets",
        "SELECT o.participant_id FROM deliveries d JOIN orders o ON o.id = d.order_id",
    )
    findings.count("deliveries", sent, _per(deliveries, "participant_id"), 1)
    visits = await query(stack, "monitoring", "SELECT participant_id, status FROM visits")
    findings.count("visits", sent, _per(visits, "participant_id"), VISITS)
    reported = _per((v for v in visits if v["status"] == "reported"), "participant_id")
    findings.count("reported visits", sent, reported, 1)
    flags = await query(stack, "monitoring", "SELECT participant_id FROM flags")
    findings.count("flags", sent, _per(flags, "participant_id"), len(FLAGS))
    cases = await query(
        stack, "monitoring", "SELECT participant_id FROM cases WHERE status = 'closed'"
    )
    findings.count("closed cases", sent, _per(cases, "participant_id"), 1)
    ours = set(sent)
    for what, rows in (
        ("plans", plans),
        ("orders", orders),
        ("deliveries", deliveries),
        ("closed cases", cases),
    ):
        others = {str(row["participant_id"]) for row in rows} - ours
        findings.expect("duplicated", not others, f"{what} for {len(others)} never sent")
    timeline = await query(stack, "monitoring", "SELECT participant_id, event_type FROM timeline")
    for event_type in ONCE:
        entries = _per((e for e in timeline if e["event_type"] == event_type), "participant_id")
        findings.count(f"{event_type} on the timeline", sent, entries, 1)


async def money(stack: Stack, findings: Findings) -> list[dict[str, Any]]:
    """No budget beyond its allocation, and the ledger adds up to every budget's figures."""
    budgets = await query(stack, "assets", "SELECT id, allocated, reserved, spent FROM budgets")
    ledger = await query(
        stack,
        "assets",
        "SELECT budget_id, kind, sum(amount) AS amount FROM ledger_entries GROUP BY 1, 2",
    )
    held = await query(
        stack,
        "assets",
        "SELECT budget_id, sum(reserved_amount - spent_amount) AS reserved, "
        "sum(spent_amount) AS spent "
        "FROM orders GROUP BY 1",
    )
    # An order's money moves once each way: a second reservation or spend is an event applied twice.
    moves = await query(
        stack,
        "assets",
        "SELECT order_id, kind, count(*) AS times FROM ledger_entries "
        "WHERE order_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1",
    )
    for move in moves:
        findings.expect(
            "duplicated", False, f"order {move['order_id']}: {move['times']} {move['kind']}"
        )
    for budget in budgets:
        name = str(budget["id"])
        findings.expect(
            "overspent",
            budget["reserved"] + budget["spent"] <= budget["allocated"],
            f"budget {name}: {budget['reserved']} + {budget['spent']} > {budget['allocated']}",
        )
        kinds = {row["kind"]: row["amount"] for row in ledger if row["budget_id"] == budget["id"]}
        sums = {k: kinds.get(k, Decimal(0)) for k in EntryKinds}
        from_ledger = {
            "allocated": sums["allocation"] - sums["reduction"],
            "reserved": sums["reservation"] - sums["release"] - sums["spend"],
            "spent": sums["spend"],
        }
        figures = {key: budget[key] for key in from_ledger}
        findings.expect("mismatch", from_ledger == figures, f"ledger {from_ledger} != {figures}")
        orders = next((row for row in held if row["budget_id"] == budget["id"]), None)
        by_orders = {
            "reserved": orders["reserved"] if orders else Decimal(0),
            "spent": orders["spent"] if orders else Decimal(0),
        }
        in_budget = {"reserved": budget["reserved"], "spent": budget["spent"]}
        findings.expect("mismatch", by_orders == in_budget, f"orders {by_orders} != {in_budget}")
    return budgets


EntryKinds = ("allocation", "reduction", "reservation", "release", "spend")


async def read_models(stack: Stack, findings: Findings) -> None:
    """Monitoring's copies equal what the owning services hold."""
    pairs = [
        (
            "intake",
            "SELECT id FROM applications",
            "SELECT application_id AS id FROM application_facts",
        ),
        (
            "assets",
            "SELECT id, status FROM orders",
            "SELECT order_id AS id, status FROM order_facts",
        ),
        (
            "assets",
            "SELECT id, order_id FROM deliveries",
            "SELECT delivery_id AS id, order_id FROM delivery_facts",
        ),
        (
            "assets",
            "SELECT id, allocated FROM budgets",
            "SELECT budget_id AS id, allocated FROM budget_facts",
        ),
    ]
    for service, source, copy in pairs:
        owned = _rows(await query(stack, service, source))
        copied = _rows(await query(stack, "monitoring", copy))
        findings.expect("mismatch", owned == copied, f"{copy}: {len(copied)} rows != {service}'s")


def _rows(rows: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    return {tuple(str(value) for value in row.values()) for row in rows}


def report_funnel(findings: Findings, report: dict[str, Any], journeys: int) -> None:
    """GET /v1/reports/funnel counts every journey at every stage it reached."""
    counts = {stage["stage"]: stage["count"] for stage in report["stages"]}
    for stage in FUNNEL:
        findings.expect("mismatch", counts[stage] == journeys, f"funnel {stage}: {counts[stage]}")


def report_budgets(
    findings: Findings, report: dict[str, Any], budgets: list[dict[str, Any]]
) -> None:
    """GET /v1/reports/budgets says what assets' budgets say."""
    shown = {
        line["budget_id"]: (
            Decimal(line["allocated"]),
            Decimal(line["reserved"]),
            Decimal(line["spent"]),
        )
        for line in report["budgets"]
    }
    kept = {str(b["id"]): (b["allocated"], b["reserved"], b["spent"]) for b in budgets}
    findings.expect("mismatch", shown == kept, f"budgets report {shown} != assets {kept}")
