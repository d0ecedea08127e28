"""Budgets linked to intake's programme rounds: an approved plan of a participant selected in a
round is paid from that round's budget, whatever day it was approved; without one, the budget
covering the approval day pays, as before."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from shared.events import PlanApproved
from shared.tables import SHARED_TABLES
from tests.assets.assets_support import STATE, add_budget, approval, approve
from tests.service_fixtures import Auth, Service

SPRING = {"round": "2026-spring", "period_start": "2026-01-01", "period_end": "2026-06-30"}
AUTUMN = {"round": "2026-autumn", "period_start": "2026-07-01", "period_end": "2026-12-31"}
# Approved in the autumn round's period: the date alone would pick the autumn budget.
IN_AUTUMN = datetime(2026, 9, 15, 10, 0, tzinfo=UTC)


def in_round(event: PlanApproved, round_id: uuid.UUID | None) -> PlanApproved:
    return event.model_copy(update={"round_id": round_id})


async def budget(assets: Service, auth: Auth, budget_id: str, fund: str = STATE) -> dict[str, Any]:
    response = await assets.client.get(
        f"/v1/funds/{fund}/budgets/{budget_id}", headers=auth("asset_officer")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def budget_events(assets: Service) -> list[dict[str, Any]]:
    outbox = SHARED_TABLES.outbox
    async with assets.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(outbox.c.envelope)
            .where(outbox.c.subject == "assets.budget.changed")
            .order_by(outbox.c.id)
        )
        return [row.envelope["data"] for row in rows]


async def test_a_plan_is_paid_from_its_rounds_budget_even_when_another_covers_the_day(
    assets: Service, auth: Auth
) -> None:
    round_r = uuid.uuid4()
    spring = await add_budget(assets, auth, "5000.00", **SPRING, round_id=str(round_r))
    autumn = await add_budget(assets, auth, "5000.00", **AUTUMN)

    of_round = await approve(assets, in_round(approval("1200.00", approved_at=IN_AUTUMN), round_r))
    by_hand = await approve(assets, approval("700.00", approved_at=IN_AUTUMN))
    unfunded_round = await approve(
        assets, in_round(approval("300.00", approved_at=IN_AUTUMN), uuid.uuid4())
    )

    assert (of_round["status"], of_round["budget_id"]) == ("reserved", spring["id"])
    assert of_round["fund_id"] == STATE
    # No round, or a round without a budget of its own: the day decides, as before.
    assert (by_hand["status"], by_hand["budget_id"]) == ("reserved", autumn["id"])
    assert (unfunded_round["status"], unfunded_round["budget_id"]) == ("reserved", autumn["id"])
    assert (await budget(assets, auth, spring["id"]))["reserved"] == "1200.00"
    assert (await budget(assets, auth, autumn["id"]))["reserved"] == "1000.00"

    # The round's budget is spent: the next order of the round waits for it, not for autumn's.
    waiting = await approve(assets, in_round(approval("4000.00", approved_at=IN_AUTUMN), round_r))
    assert (waiting["status"], waiting["budget_id"]) == ("awaiting_budget", spring["id"])
    admin = auth("admin")
    autumn_url = f"/v1/funds/{STATE}/budgets/{autumn['id']}/top-ups"
    topped = await assets.client.post(
        autumn_url, json={"amount": "5000.00"}, headers={**admin, "If-Match": '"1"'}
    )
    assert topped.status_code == 200, topped.text
    assert topped.json()["reserved"] == "1000.00"  # autumn's money is not the round's
    still = await assets.client.get(f"/v1/orders/{waiting['id']}", headers=auth("asset_officer"))
    assert still.json()["status"] == "awaiting_budget"
    spring_url = f"/v1/funds/{STATE}/budgets/{spring['id']}/top-ups"
    served = await assets.client.post(
        spring_url, json={"amount": "1000.00"}, headers={**admin, "If-Match": '"1"'}
    )
    assert served.status_code == 200, served.text
    assert (served.json()["reserved"], served.json()["available"]) == ("5200.00", "800.00")
    now = await assets.client.get(f"/v1/orders/{waiting['id']}", headers=auth("asset_officer"))
    assert (now.json()["status"], now.json()["budget_id"]) == ("reserved", spring["id"])


async def test_a_partners_round_budget_pays_before_the_state_budget(
    assets: Service, auth: Auth
) -> None:
    admin = auth("admin")
    partner_id, round_r = uuid.uuid4(), uuid.uuid4()
    fund = await assets.client.post(
        "/v1/funds",
        json={"code": "union-r", "name": "Union fund", "partner_id": str(partner_id)},
        headers=admin,
    )
    assert fund.status_code == 201, fund.text
    fund_id = fund.json()["id"]
    own = await add_budget(assets, auth, "2000.00", fund_id, **SPRING, round_id=str(round_r))
    state = await add_budget(assets, auth, "9000.00", **AUTUMN, round_id=str(round_r))

    referred = await approve(
        assets,
        in_round(approval("500.00", partner_id=partner_id, approved_at=IN_AUTUMN), round_r),
    )
    assert (referred["fund_id"], referred["budget_id"]) == (fund_id, own["id"])
    not_referred = await approve(
        assets, in_round(approval("500.00", approved_at=IN_AUTUMN), round_r)
    )
    assert (not_referred["fund_id"], not_referred["budget_id"]) == (STATE, state["id"])


async def test_one_budget_per_fund_and_round_and_its_changes_name_the_round(
    assets: Service, auth: Auth
) -> None:
    admin = auth("admin")
    round_r = uuid.uuid4()
    linked = await add_budget(assets, auth, "100.00", **SPRING, round_id=str(round_r))
    twice = await assets.client.post(
        f"/v1/funds/{STATE}/budgets",
        json={**AUTUMN, "round_id": str(round_r), "allocated": "50.00"},
        headers=admin,
    )
    assert twice.status_code == 409, twice.text
    assert [(e["field"], e["code"]) for e in twice.json()["errors"]] == [("body.round_id", "taken")]
    unlinked = await add_budget(assets, auth, "50.00", **AUTUMN)
    topped = await assets.client.post(
        f"/v1/funds/{STATE}/budgets/{linked['id']}/top-ups",
        json={"amount": "25.00"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert topped.status_code == 200, topped.text

    events = await budget_events(assets)
    assert [(e["budget_id"], e["allocated"], e["round_id"]) for e in events] == [
        (linked["id"], "100.00", str(round_r)),
        (unlinked["id"], "50.00", None),
        (linked["id"], "125.00", str(round_r)),
    ]
    listed = await assets.client.get(
        f"/v1/funds/{STATE}/budgets?round_id={round_r}", headers=auth("analyst")
    )
    assert [b["id"] for b in listed.json()["items"]] == [linked["id"]]
