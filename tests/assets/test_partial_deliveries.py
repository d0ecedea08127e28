"""An order handed over in several deliveries: each with its own units, act and event; never more
than was ordered; the reservation turned into spending delivery by delivery."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from shared.tables import SHARED_TABLES
from tests.assets.assets_support import STATE, add_budget, approve
from tests.events_support import plan_approved
from tests.service_fixtures import Auth, Service


def handover(
    order: dict[str, Any], *lines: dict[str, Any] | None, on: str = "2026-11-20"
) -> dict[str, Any]:
    """A delivery of the given lines, the n-th line for the order's n-th item (None: skipped)."""
    return {
        "order_id": order["id"],
        "delivered_on": on,
        "place": "Quba",
        "signed_by": "participant",
        "items": [
            {"order_item_id": item["id"], **line}
            for item, line in zip(order["items"], lines, strict=False)
            if line is not None
        ],
    }


async def ledger(assets: Service, auth: Auth) -> dict[str, Any]:
    response = await assets.client.get(
        f"/v1/funds/{STATE}/ledger?round=2026-autumn&limit=100", headers=auth("asset_officer")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def completed_events(assets: Service, order_id: str) -> list[dict[str, Any]]:
    outbox = SHARED_TABLES.outbox
    async with assets.runtime.sessionmaker() as session:
        envelopes = await session.scalars(
            select(outbox.c.envelope)
            .where(
                outbox.c.subject == "assets.delivery.completed",
                outbox.c.envelope["data"]["order_id"].astext == order_id,
            )
            .order_by(outbox.c.id)
        )
        return [envelope["data"] for envelope in envelopes]


async def test_two_deliveries_complete_an_order_each_with_its_event_and_spending(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "10000.00")
    order = await approve(
        assets, plan_approved(("heifer", 3, "1800.00"), ("laying-hen", 50, "8.00"))
    )
    heifers, hens = (item["id"] for item in order["items"])
    officer, url = auth("asset_officer"), f"/v1/orders/{order['id']}"
    supplier = str(uuid.uuid4())
    terms = await assets.client.put(
        f"{url}/terms",
        json={
            "items": [
                {"order_item_id": heifers, "supplier_id": supplier, "agreed_unit_price": "1700.00"},
                {"order_item_id": hens, "supplier_id": supplier, "agreed_unit_price": "8.00"},
            ]
        },
        headers={**officer, "If-Match": f'"{order["version"]}"'},
    )
    assert terms.status_code == 200, terms.text
    placed = await assets.client.post(
        f"{url}/place", headers={**officer, "If-Match": terms.headers["etag"]}
    )
    assert (placed.status_code, placed.json()["reserved_amount"]) == (200, "5500.00")

    first = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, {"serials": ["TAG-1", "TAG-2"]}, {"quantity": 20}),
        headers=officer,
    )
    assert first.status_code == 201, first.text
    now = (await assets.client.get(url, headers=officer)).json()
    assert now["status"] == "partly_delivered"
    assert [i["delivered_quantity"] for i in now["items"]] == [2, 20]
    # Spending at the agreed prices the order holds: 2 x 1700 + 20 x 8.
    assert (now["reserved_amount"], now["spent_amount"]) == ("5500.00", "3560.00")
    totals = await ledger(assets, auth)
    assert (totals["reserved"], totals["spent"], totals["available"]) == (
        "1940.00",
        "3560.00",
        "4500.00",
    )

    # More than is left of an item is refused on its field, and nothing changes.
    over = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, {"serials": ["TAG-3", "TAG-4"]}, {"quantity": 31}),
        headers=officer,
    )
    assert over.status_code == 422, over.text
    assert [(e["field"], e["code"]) for e in over.json()["errors"]] == [
        ("body.items.0.serials", "over_delivery"),
        ("body.items.1.quantity", "over_delivery"),
    ]
    assert (await ledger(assets, auth))["spent"] == "3560.00"

    # The rest, on another day: only the hens first, then the last heifer.
    hens_only = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, None, {"quantity": 30}, on="2026-11-27"),
        headers=officer,
    )
    assert hens_only.status_code == 201, hens_only.text
    assert (await assets.client.get(url, headers=officer)).json()["status"] == "partly_delivered"
    last = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, {"serials": ["TAG-3"]}, on="2026-11-28"),
        headers=officer,
    )
    assert last.status_code == 201, last.text
    done = (await assets.client.get(url, headers=officer)).json()
    assert done["status"] == "delivered"
    assert [i["delivered_quantity"] for i in done["items"]] == [3, 50]
    assert (done["reserved_amount"], done["spent_amount"]) == ("5500.00", "5500.00")
    totals = await ledger(assets, auth)
    assert (totals["reserved"], totals["spent"], totals["available"]) == (
        "0.00",
        "5500.00",
        "4500.00",
    )
    spends = [(e["amount"], e["order_id"]) for e in totals["entries"] if e["kind"] == "spend"]
    assert spends == [("3560.00", order["id"]), ("240.00", order["id"]), ("1700.00", order["id"])]

    # Each delivery's event carries its own items and total (at the plan's prices).
    events = await completed_events(assets, order["id"])
    assert [e["delivery_id"] for e in events] == [
        first.json()["id"],
        hens_only.json()["id"],
        last.json()["id"],
    ]
    assert [
        [(i["asset_type"], i["quantity"], i["serials"]) for i in e["items"]] for e in events
    ] == [
        [("heifer", 2, ["TAG-1", "TAG-2"]), ("laying-hen", 20, [])],
        [("laying-hen", 30, [])],
        [("heifer", 1, ["TAG-3"])],
    ]
    assert [e["total"] for e in events] == ["3760.00", "240.00", "1800.00"]
    assert [e["order_delivered"] for e in events] == [False, False, True]
    assert [e["delivered_on"] for e in events] == ["2026-11-20", "2026-11-27", "2026-11-28"]

    listed = await assets.client.get(f"/v1/deliveries?order_id={order['id']}", headers=officer)
    assert [len(d["units"]) for d in listed.json()["items"]] == [3, 1, 1]
    after = await assets.client.post(
        "/v1/deliveries", json=handover(order, {"serials": ["TAG-9"]}), headers=officer
    )
    assert after.status_code == 409
    assert after.json()["current_state"] == "delivered"


async def test_cancelling_a_partly_delivered_order_releases_only_the_rest(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "1000.00")
    order = await approve(assets, plan_approved(("beehive", 4, "150.00")))
    officer = auth("asset_officer")
    part = await assets.client.post(
        "/v1/deliveries", json=handover(order, {"serials": ["H-1"]}), headers=officer
    )
    assert part.status_code == 201, part.text
    current = await assets.client.get(f"/v1/orders/{order['id']}", headers=officer)
    cancelled = await assets.client.post(
        f"/v1/orders/{order['id']}/cancel",
        json={"reason": "participant_withdrew"},
        headers={**officer, "If-Match": current.headers["etag"]},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["spent_amount"]) == ("cancelled", "150.00")
    totals = await ledger(assets, auth)
    assert (totals["reserved"], totals["spent"], totals["available"]) == (
        "0.00",
        "150.00",
        "850.00",
    )
    assert [(e["kind"], e["amount"]) for e in totals["entries"]] == [
        ("allocation", "1000.00"),
        ("reservation", "600.00"),
        ("spend", "150.00"),
        ("release", "450.00"),
    ]
    # The unit handed over stays, with its history.
    item = await assets.client.get("/v1/items?serial=H-1", headers=officer)
    assert [i["status"] for i in item.json()["items"]] == ["in_use"]


async def test_simultaneous_handovers_of_one_order_never_deliver_more_than_ordered(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "10000.00")
    order = await approve(assets, plan_approved(("heifer", 3, "1000.00")))
    officer = auth("asset_officer")

    async def hand_over(tags: list[str]) -> tuple[int, int]:
        response = await assets.client.post(
            "/v1/deliveries", json=handover(order, {"serials": tags}), headers=officer
        )
        return response.status_code, len(tags)

    # Five handovers race for three units: the order row lock makes them take turns.
    results = await asyncio.gather(
        *(hand_over([f"T-{n}-a", f"T-{n}-b"]) for n in range(4)), hand_over(["T-single"])
    )
    # The late ones are refused: more than remains (422), or the order is delivered already (409).
    assert {code for code, _ in results} <= {201, 409, 422}
    accepted = sum(units for code, units in results if code == 201)
    now = (await assets.client.get(f"/v1/orders/{order['id']}", headers=officer)).json()
    delivered = now["items"][0]["delivered_quantity"]
    # In any order of turns the three units are handed over (a pair and the single), no more.
    assert accepted == delivered == 3
    units = (
        await assets.client.get("/v1/items?asset_type=heifer&limit=100", headers=officer)
    ).json()["items"]
    assert len(units) == delivered
    totals = await ledger(assets, auth)
    assert Decimal(totals["spent"]) == Decimal("1000.00") * delivered
    assert Decimal(totals["reserved"]) == Decimal("1000.00") * (3 - delivered)
    assert now["status"] == "delivered"
