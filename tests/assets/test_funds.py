"""Funds and budgets: reservations under concurrency, top-ups, the ledger, partner scoping."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import func, select

from assets.funds.models import Budget, EntryKind, LedgerEntry
from assets.orders.models import Order, OrderStatus
from assets.orders.service import open_order_for
from shared.events import PlanApproved
from tests.assets.assets_support import STATE, add_budget, approval, outbox_count, partner_key
from tests.service_fixtures import Auth, Service


async def test_simultaneous_approvals_never_overspend_and_the_rest_wait_in_line(
    assets: Service, auth: Auth
) -> None:
    budget = await add_budget(assets, auth, "7500.00")
    sessionmaker = assets.runtime.sessionmaker
    events = [approval("1000.00") for _ in range(20)]

    async def approve(event: PlanApproved) -> None:
        async with sessionmaker() as session, session.begin():
            await open_order_for(session, event)

    # Twenty approvals at once, each in its own transaction, against room for seven.
    await asyncio.gather(*(approve(event) for event in events))

    async with sessionmaker() as session:
        row = await session.get_one(Budget, uuid.UUID(budget["id"]))
        orders = (await session.scalars(select(Order))).all()
        reservations = await session.scalar(
            select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.budget_id == row.id, LedgerEntry.kind == EntryKind.reservation
            )
        )
    reserved = [o for o in orders if o.status == OrderStatus.reserved]
    waiting = [o for o in orders if o.status == OrderStatus.awaiting_budget]
    assert (len(reserved), len(waiting)) == (7, 13)
    assert row.reserved == Decimal("7000.00") == sum(o.reserved_amount for o in reserved)
    assert reservations == row.reserved
    assert row.available == Decimal("500.00") >= 0
    assert all(o.reserved_amount == 0 for o in waiting)
    assert await outbox_count(assets, "assets.order.awaiting_budget") == 13
    assert await outbox_count(assets, "assets.order.reserved") == 7

    ledger = await assets.client.get(
        f"/v1/funds/{STATE}/ledger?round=2026-autumn&limit=200", headers=auth("asset_officer")
    )
    assert ledger.status_code == 200, ledger.text
    body = ledger.json()
    assert (body["allocated"], body["reserved"], body["spent"], body["available"]) == (
        "7500.00",
        "7000.00",
        "0.00",
        "500.00",
    )
    assert [e["kind"] for e in body["entries"]] == ["allocation"] + ["reservation"] * 7
    assert {e["order_id"] for e in body["entries"][1:]} == {str(o.id) for o in reserved}

    # 2,500 more: with the 500 left, the three oldest waiting orders go ahead, the rest wait.
    url = f"/v1/funds/{STATE}/budgets/{budget['id']}"
    etag = (await assets.client.get(url, headers=auth("asset_officer"))).headers["etag"]
    topped = await assets.client.post(
        f"{url}/top-ups", json={"amount": "2500.00"}, headers={**auth("admin"), "If-Match": etag}
    )
    assert topped.status_code == 200, topped.text
    assert (topped.json()["reserved"], topped.json()["available"]) == ("10000.00", "0.00")
    oldest = sorted(waiting, key=lambda o: (o.awaiting_since, o.id))
    async with sessionmaker() as session:
        now = {o.id: o.status for o in (await session.scalars(select(Order))).all()}
    assert [now[o.id] for o in oldest] == [OrderStatus.reserved] * 3 + [
        OrderStatus.awaiting_budget
    ] * 10


async def test_budgets_are_managed_by_admins_with_if_match(assets: Service, auth: Auth) -> None:
    admin = auth("admin")
    assert (
        await assets.client.post(
            f"/v1/funds/{STATE}/budgets",
            json={**_round(), "allocated": "10.00"},
            headers=auth("asset_officer"),
        )
    ).status_code == 403
    budget = await add_budget(assets, auth, "100.00")
    again = await assets.client.post(
        f"/v1/funds/{STATE}/budgets",
        json={"round": "other", "period_start": "2027-06-01", "period_end": "2027-07-01"}
        | {"allocated": "5.00"},
        headers=admin,
    )
    assert again.status_code == 409  # its dates overlap the first budget's
    backwards = await assets.client.post(
        f"/v1/funds/{STATE}/budgets",
        json={"round": "x1", "period_start": "2031-06-01", "period_end": "2031-01-01"}
        | {"allocated": "5.00"},
        headers=admin,
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "body.period_end"

    url = f"/v1/funds/{STATE}/budgets/{budget['id']}/top-ups"
    assert (
        await assets.client.post(url, json={"amount": "1.00"}, headers=admin)
    ).status_code == 428
    first = await assets.client.post(
        url, json={"amount": "50.00"}, headers={**admin, "If-Match": '"1"'}
    )
    assert first.status_code == 200
    assert first.json()["allocated"] == "150.00"
    stale = await assets.client.post(
        url, json={"amount": "50.00"}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412  # a lost update refused: the allocation stays 150
    negative = await assets.client.post(
        url, json={"amount": "-5.00"}, headers={**admin, "If-Match": first.headers["etag"]}
    )
    assert negative.status_code == 422
    listed = await assets.client.get(f"/v1/funds/{STATE}/budgets", headers=admin)
    assert [b["allocated"] for b in listed.json()["items"]] == ["150.00"]
    assert await outbox_count(assets, "assets.budget.changed") == 2


async def test_partners_see_only_their_own_funds(assets: Service, auth: Auth) -> None:
    admin = auth("admin")
    partner_a, partner_b = uuid.uuid4(), uuid.uuid4()
    created = await assets.client.post(
        "/v1/funds",
        json={"code": "union-a", "name": "Union A fund", "partner_id": str(partner_a)},
        headers={**admin, "Idempotency-Key": "fund-a"},
    )
    assert created.status_code == 201, created.text
    replay = await assets.client.post(
        "/v1/funds",
        json={"code": "union-a", "name": "Union A fund", "partner_id": str(partner_a)},
        headers={**admin, "Idempotency-Key": "fund-a"},
    )
    assert replay.json()["id"] == created.json()["id"]
    twice = await assets.client.post(
        "/v1/funds",
        json={"code": "union-a2", "name": "Union A again", "partner_id": str(partner_a)},
        headers=admin,
    )
    assert twice.status_code == 409  # one fund per partner
    fund_a = created.json()["id"]
    await add_budget(assets, auth, "900.00", fund_id=fund_a)

    key_a, key_b = await partner_key(assets, partner_a), await partner_key(assets, partner_b)
    own = await assets.client.get("/v1/funds", headers=key_a)
    assert [f["id"] for f in own.json()["items"]] == [fund_a]
    assert (await assets.client.get("/v1/funds", headers=key_b)).json()["items"] == []
    staff = await assets.client.get("/v1/funds", headers=auth("analyst"))
    assert {f["id"] for f in staff.json()["items"]} == {fund_a, STATE}
    for path in ("", "/budgets", "/ledger?round=2026-autumn"):
        assert (
            await assets.client.get(f"/v1/funds/{fund_a}{path}", headers=key_a)
        ).status_code == 200
        for other in (key_b,):
            assert (
                await assets.client.get(f"/v1/funds/{fund_a}{path}", headers=other)
            ).status_code == 404
        # The state budget is not a partner's either.
        assert (
            await assets.client.get(f"/v1/funds/{STATE}{path}", headers=key_a)
        ).status_code == 404


def _round() -> dict[str, str]:
    return {"round": "r1", "period_start": "2026-01-01", "period_end": "2026-12-31"}
