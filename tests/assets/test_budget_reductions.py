"""Budgets reduced: never below what is reserved and spent, with If-Match, a ledger entry and
an event, and safe against approvals reserving at the same moment."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import func, select

from assets.funds import service as funds
from assets.funds.models import Budget, EntryKind, LedgerEntry
from assets.orders.models import Order, OrderStatus
from assets.orders.service import open_order_for
from shared.auth import Principal
from shared.events import PlanApproved
from shared.problems import Conflict
from shared.tables import SHARED_TABLES
from tests.assets.assets_support import (
    STATE,
    add_budget,
    approval,
    approve,
    outbox_count,
    partner_key,
)
from tests.service_fixtures import Auth, Service


async def test_a_budget_is_reduced_down_to_what_is_reserved_and_spent(
    assets: Service, auth: Auth
) -> None:
    admin = auth("admin", subject="admin-1")
    budget = await add_budget(assets, auth, "5000.00")
    await approve(assets, approval("3000.00"))
    url = f"/v1/funds/{STATE}/budgets/{budget['id']}"
    etag = (await assets.client.get(url, headers=admin)).headers["etag"]

    assert (
        await assets.client.post(f"{url}/reductions", json={"amount": "10.00"}, headers=admin)
    ).status_code == 428
    officer = {**auth("asset_officer"), "If-Match": etag}
    assert (
        await assets.client.post(f"{url}/reductions", json={"amount": "10.00"}, headers=officer)
    ).status_code == 403
    zero = await assets.client.post(
        f"{url}/reductions", json={"amount": "0.00"}, headers={**admin, "If-Match": etag}
    )
    assert zero.status_code == 422

    # 3,000 is held for the order: at most 2,000 can go.
    too_much = await assets.client.post(
        f"{url}/reductions",
        json={"amount": "2000.01"},
        headers={**admin, "If-Match": etag, "Accept-Language": "az"},
    )
    assert too_much.status_code == 409, too_much.text
    problem = too_much.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("body.amount", "exceeds_available")
    ]
    assert problem["available"] == "2000.00"
    assert "3000.00" in problem["detail"]
    assert "aşağı" in problem["detail"]  # in the language asked for

    reduced = await assets.client.post(
        f"{url}/reductions", json={"amount": "2000.00"}, headers={**admin, "If-Match": etag}
    )
    assert reduced.status_code == 200, reduced.text
    body = reduced.json()
    assert (body["allocated"], body["reserved"], body["available"]) == (
        "3000.00",
        "3000.00",
        "0.00",
    )
    assert reduced.headers["etag"] != etag
    stale = await assets.client.post(
        f"{url}/reductions", json={"amount": "1.00"}, headers={**admin, "If-Match": etag}
    )
    assert stale.status_code == 412

    ledger = await assets.client.get(
        f"/v1/funds/{STATE}/ledger?round=2026-autumn", headers=auth("analyst")
    )
    entries = ledger.json()["entries"]
    assert [(e["kind"], e["amount"]) for e in entries] == [
        ("allocation", "5000.00"),
        ("reservation", "3000.00"),
        ("reduction", "2000.00"),
    ]
    assert entries[-1]["by"] == "staff:admin-1"
    assert ledger.json()["allocated"] == "3000.00"
    assert await outbox_count(assets, "assets.budget.changed") == 2
    outbox = SHARED_TABLES.outbox
    async with assets.runtime.sessionmaker() as session:
        last = await session.scalar(
            select(outbox.c.envelope)
            .where(outbox.c.subject == "assets.budget.changed")
            .order_by(outbox.c.id.desc())
            .limit(1)
        )
    assert last is not None
    assert (last["data"]["allocated"], last["data"]["fund_partner_id"]) == ("3000.00", None)

    # A partner's key reaches no other fund's budget, and never reduces one.
    partner = await partner_key(assets, uuid.uuid4())
    assert (await assets.client.get(url, headers=partner)).status_code == 404
    refused = await assets.client.post(
        f"{url}/reductions",
        json={"amount": "1.00"},
        headers={**partner, "If-Match": reduced.headers["etag"]},
    )
    assert refused.status_code == 403


async def test_a_reduction_racing_reservations_never_leaves_the_fund_negative(
    assets: Service, auth: Auth
) -> None:
    budget_id = uuid.UUID((await add_budget(assets, auth, "10000.00"))["id"])
    sessionmaker = assets.runtime.sessionmaker
    admin = Principal(kind="staff", subject="admin-1")
    events = [approval("1000.00") for _ in range(10)]

    async def approve_one(event: PlanApproved) -> None:
        async with sessionmaker() as session, session.begin():
            await open_order_for(session, event)

    async def reduce(amount: str) -> bool:
        try:
            async with sessionmaker() as session, session.begin():
                budget = await session.get_one(Budget, budget_id)
                await funds.reduce_money(session, budget, Decimal(amount), admin)
        except Conflict:
            return False
        return True

    # Ten approvals of 1,000 and four reductions of 2,000 at once, against 10,000.
    outcomes = await asyncio.gather(
        *(approve_one(event) for event in events[:5]),
        *(reduce("2000.00") for _ in range(4)),
        *(approve_one(event) for event in events[5:]),
    )
    reductions = sum(1 for outcome in outcomes if outcome is True)

    async with sessionmaker() as session:
        row = await session.get_one(Budget, budget_id)
        orders = (await session.scalars(select(Order))).all()
        rows = await session.execute(
            select(LedgerEntry.kind, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.budget_id == budget_id)
            .group_by(LedgerEntry.kind)
        )
        sums: dict[str, Decimal] = {kind: total for kind, total in rows}
    reserved = [o for o in orders if o.status == OrderStatus.reserved]
    waiting = [o for o in orders if o.status == OrderStatus.awaiting_budget]
    assert len(reserved) + len(waiting) == 10
    assert row.allocated == Decimal("10000.00") - Decimal("2000.00") * reductions
    assert row.reserved == Decimal("1000.00") * len(reserved)
    assert row.available >= 0
    # The ledger tells the same story as the budget row.
    reduced = sums.get(EntryKind.reduction, Decimal("0.00"))
    assert reduced == Decimal("2000.00") * reductions
    assert sums[EntryKind.allocation] - reduced == row.allocated
    assert sums.get(EntryKind.reservation, Decimal("0.00")) == row.reserved
    # An order waits only when there is truly no room for it.
    if waiting:
        assert row.available < Decimal("1000.00")
    assert await outbox_count(assets, "assets.order.awaiting_budget") == len(waiting)
    assert await outbox_count(assets, "assets.budget.changed") == 1 + reductions
