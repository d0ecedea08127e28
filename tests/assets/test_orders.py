"""Orders: the events in and out, money held and released, suppliers and prices, partners."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import select

from assets.handlers import on_plan_state_changed
from assets.orders.models import Order
from assets.orders.service import deliver
from shared.events import Envelope, PlanStateChanged
from shared.messaging.jetstream import subject_for
from tests.assets.assets_support import (
    STATE,
    add_budget,
    approval,
    approve,
    order_of,
    outbox_count,
    partner_key,
)
from tests.journey_support import eventually, one_item
from tests.service_fixtures import Auth, Service


async def ledger(assets: Service, auth: Auth, fund: str = STATE) -> dict[str, Any]:
    response = await assets.client.get(
        f"/v1/funds/{fund}/ledger?round=2026-autumn", headers=auth("asset_officer")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_duplicate_approval_opens_one_order_and_reserves_once(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "5000.00")
    event = approval("1200.00", quantity=2)
    envelope = Envelope.wrap(event)
    js = await assets.jetstream_as(event.source_service)
    for msg_id in ("first", "second"):  # two stream messages carrying the same event
        await js.publish(
            subject_for(assets.settings.nats_namespace, envelope.type),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": msg_id},
        )
    officer = auth("asset_officer")
    url = f"/v1/orders?plan_id={event.plan_id}"
    order = await eventually(functools.partial(one_item, assets.client, url, officer), "an order")

    async def both_handled() -> bool:
        consumer = assets.runtime.consumers[0]
        info = await assets.runtime.nc.jetstream().consumer_info(
            f"{assets.settings.nats_namespace.upper()}_PLANS", consumer.durable
        )
        return bool(info.ack_floor.stream_seq == 2)

    await eventually(both_handled, "both copies handled")
    assert len((await assets.client.get(url, headers=officer)).json()["items"]) == 1
    order = (await assets.client.get(f"/v1/orders/{order['id']}", headers=officer)).json()
    assert (order["status"], order["reserved_amount"], order["fund_id"]) == (
        "reserved",
        "2400.00",
        STATE,
    )
    assert (await ledger(assets, auth))["reserved"] == "2400.00"
    assert await outbox_count(assets, "assets.order.opened", order["id"]) == 1
    assert await outbox_count(assets, "assets.order.reserved", order["id"]) == 1


async def test_cancelling_releases_the_money_to_the_next_in_line(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "1500.00")
    first = await approve(assets, approval("1000.00"))
    second = await approve(assets, approval("800.00"))
    third = await approve(assets, approval("200.00"))
    # Strictly first come, first served: the small third order waits behind the second.
    assert [o["status"] for o in (first, second, third)] == ["reserved", *["awaiting_budget"] * 2]

    officer = auth("asset_officer")
    url = f"/v1/orders/{first['id']}/cancel"
    body = {"reason": "participant_withdrew"}
    assert (await assets.client.post(url, json=body, headers=officer)).status_code == 428
    stale = await assets.client.post(url, json=body, headers={**officer, "If-Match": '"99"'})
    assert stale.status_code == 412
    cancelled = await assets.client.post(
        url, json=body, headers={**officer, "If-Match": f'"{first["version"]}"'}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["reserved_amount"]) == (
        "cancelled",
        "0.00",
    )
    assert (await order_of(assets, second["plan_id"]))["status"] == "reserved"
    assert (await order_of(assets, third["plan_id"]))["status"] == "reserved"
    totals = await ledger(assets, auth)
    assert (totals["reserved"], totals["available"]) == ("1000.00", "500.00")
    assert [(e["kind"], e["amount"]) for e in totals["entries"]] == [
        ("allocation", "1500.00"),
        ("reservation", "1000.00"),
        ("release", "1000.00"),
        ("reservation", "800.00"),
        ("reservation", "200.00"),
    ]
    assert await outbox_count(assets, "assets.order.cancelled", first["id"]) == 1

    again = await assets.client.post(
        url, json=body, headers={**officer, "If-Match": cancelled.headers["etag"]}
    )
    assert again.status_code == 409
    assert again.json()["current_state"] == "cancelled"


async def test_suppliers_prices_approval_ordering_and_delivery(assets: Service, auth: Auth) -> None:
    await add_budget(assets, auth, "1000.00")
    order = await approve(assets, approval("300.00", quantity=2))
    item = order["items"][0]["id"]
    officer, url = auth("asset_officer"), f"/v1/orders/{order['id']}"
    supplier = str(uuid.uuid4())

    def terms(price: str) -> dict[str, Any]:
        return {
            "items": [{"order_item_id": item, "supplier_id": supplier, "agreed_unit_price": price}]
        }

    early = await assets.client.post(
        f"{url}/place", headers={**officer, "If-Match": f'"{order["version"]}"'}
    )
    assert early.status_code == 409  # no supplier yet

    cheaper = await assets.client.put(
        f"{url}/terms",
        json=terms("250.00"),
        headers={**officer, "If-Match": f'"{order["version"]}"'},
    )
    assert cheaper.status_code == 200, cheaper.text
    assert (cheaper.json()["cost"], cheaper.json()["reserved_amount"]) == ("500.00", "500.00")
    assert (await ledger(assets, auth))["available"] == "500.00"  # the 100 saved is released

    dearer = await assets.client.put(
        f"{url}/terms",
        json=terms("450.00"),
        headers={**officer, "If-Match": cheaper.headers["etag"]},
    )
    assert dearer.status_code == 200
    # Above the plan's 300: approval needed, and until then only the plan's price is held.
    assert (dearer.json()["price_approval"], dearer.json()["reserved_amount"]) == (
        "required",
        "600.00",
    )
    refused = await assets.client.post(
        f"{url}/place", headers={**officer, "If-Match": dearer.headers["etag"]}
    )
    assert refused.status_code == 409
    not_admin = await assets.client.post(
        f"{url}/approve-price", headers={**officer, "If-Match": dearer.headers["etag"]}
    )
    assert not_admin.status_code == 403
    approved = await assets.client.post(
        f"{url}/approve-price", headers={**auth("admin"), "If-Match": dearer.headers["etag"]}
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["price_approval"], approved.json()["reserved_amount"]) == (
        "approved",
        "900.00",
    )
    placed = await assets.client.post(
        f"{url}/place", headers={**officer, "If-Match": approved.headers["etag"]}
    )
    assert placed.status_code == 200
    assert placed.json()["status"] == "ordered"
    late = await assets.client.put(
        f"{url}/terms", json=terms("1.00"), headers={**officer, "If-Match": placed.headers["etag"]}
    )
    assert late.status_code == 409
    assert late.json()["current_state"] == "ordered"

    async with assets.runtime.sessionmaker() as session, session.begin():
        row = await session.scalar(select(Order).where(Order.id == uuid.UUID(order["id"])))
        assert row is not None
        await deliver(session, row, {item.id: item.quantity for item in row.items})
    totals = await ledger(assets, auth)
    assert (totals["reserved"], totals["spent"], totals["available"]) == (
        "0.00",
        "900.00",
        "100.00",
    )
    assert (await order_of(assets, order["plan_id"]))["status"] == "delivered"


async def test_a_price_above_the_plan_that_does_not_fit_is_refused(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "350.00")
    order = await approve(assets, approval("300.00"))
    officer, url = auth("asset_officer"), f"/v1/orders/{order['id']}"
    dearer = await assets.client.put(
        f"{url}/terms",
        json={
            "items": [
                {
                    "order_item_id": order["items"][0]["id"],
                    "supplier_id": str(uuid.uuid4()),
                    "agreed_unit_price": "400.00",
                }
            ]
        },
        headers={**officer, "If-Match": f'"{order["version"]}"'},
    )
    refused = await assets.client.post(
        f"{url}/approve-price", headers={**auth("admin"), "If-Match": dearer.headers["etag"]}
    )
    assert refused.status_code == 409
    after = await order_of(assets, order["plan_id"])
    assert (after["price_approval"], after["reserved_amount"]) == ("required", "300.00")
    assert (await ledger(assets, auth))["reserved"] == "300.00"


async def test_approved_again_revises_the_order_and_its_reservation(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "1000.00")
    first = approval("150.00", quantity=2)
    order = await approve(assets, first)
    assert order["reserved_amount"] == "300.00"
    revised = await approve(assets, first.model_copy(update={"items": approval("150.00", 5).items}))
    assert (revised["id"], revised["status"], revised["reserved_amount"]) == (
        order["id"],
        "reserved",
        "750.00",
    )
    assert (await ledger(assets, auth))["reserved"] == "750.00"
    too_big = await approve(assets, first.model_copy(update={"items": approval("150.00", 9).items}))
    assert (too_big["status"], too_big["reserved_amount"]) == ("awaiting_budget", "0.00")
    assert (await ledger(assets, auth))["reserved"] == "0.00"


async def test_a_partners_fund_pays_for_its_referrals_and_partners_see_only_their_orders(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "10000.00")
    partner_a, partner_b, partner_c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    fund = await assets.client.post(
        "/v1/funds",
        json={"code": "union-a", "name": "Union A", "partner_id": str(partner_a)},
        headers=auth("admin"),
    )
    fund_a = fund.json()["id"]
    await add_budget(assets, auth, "2000.00", fund_id=fund_a)
    by_a = await approve(assets, approval("500.00", partner_id=partner_a))
    by_c = await approve(assets, approval("500.00", partner_id=partner_c))  # C has no fund
    by_state = await approve(assets, approval("500.00"))
    assert (by_a["fund_id"], by_c["fund_id"], by_state["fund_id"]) == (fund_a, STATE, STATE)
    assert (await ledger(assets, auth, fund_a))["reserved"] == "500.00"

    key_a = await partner_key(assets, partner_a)
    key_b = await partner_key(assets, partner_b)
    key_c = await partner_key(assets, partner_c)
    listed = await assets.client.get("/v1/orders", headers=key_a)
    assert [o["id"] for o in listed.json()["items"]] == [by_a["id"]]
    listed_c = await assets.client.get("/v1/orders", headers=key_c)
    assert [o["id"] for o in listed_c.json()["items"]] == [by_c["id"]]  # its own participant
    assert (await assets.client.get("/v1/orders", headers=key_b)).json()["items"] == []
    assert (await assets.client.get(f"/v1/orders/{by_a['id']}", headers=key_a)).status_code == 200
    for order in (by_a, by_state):
        for key in (key_b, key_c):
            response = await assets.client.get(f"/v1/orders/{order['id']}", headers=key)
            assert response.status_code == 404
    for key in (key_a, key_b):
        response = await assets.client.get(f"/v1/orders/{by_c['id']}", headers=key)
        assert response.status_code == 404
    # Partners read; changing orders is for the ministry's officers.
    write = await assets.client.post(
        f"/v1/orders/{by_a['id']}/cancel",
        json={"reason": "other"},
        headers={**key_a, "If-Match": '"1"'},
    )
    assert write.status_code == 403


async def test_a_waiting_order_with_cheaper_terms_goes_ahead_when_it_fits(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "500.00")
    order = await approve(assets, approval("600.00"))
    assert order["status"] == "awaiting_budget"
    cheaper = await assets.client.put(
        f"/v1/orders/{order['id']}/terms",
        json={
            "items": [
                {
                    "order_item_id": order["items"][0]["id"],
                    "supplier_id": str(uuid.uuid4()),
                    "agreed_unit_price": "450.00",
                }
            ]
        },
        headers={**auth("asset_officer"), "If-Match": f'"{order["version"]}"'},
    )
    assert cheaper.status_code == 200, cheaper.text
    assert (cheaper.json()["status"], cheaper.json()["reserved_amount"]) == ("reserved", "450.00")
    assert (await ledger(assets, auth))["available"] == "50.00"


async def test_a_cancelled_plan_cancels_its_order_and_releases_the_money(
    assets: Service, auth: Auth
) -> None:
    budget = await add_budget(assets, auth, "3000.00")
    event = approval("1000.00", quantity=2)
    order = await approve(assets, event)
    assert order["status"] == "reserved"
    cancelled = PlanStateChanged(
        plan_id=event.plan_id,
        participant_id=event.participant_id,
        state="cancelled",
        reason="enrolment_cancelled",
    )
    async with assets.runtime.sessionmaker() as session, session.begin():
        await on_plan_state_changed(session, cancelled, Envelope.wrap(cancelled))
        await on_plan_state_changed(session, cancelled, Envelope.wrap(cancelled))  # no harm twice
    after = await order_of(assets, event.plan_id)
    assert after["status"] == "cancelled"
    ledger = await assets.client.get(
        f"/v1/funds/{STATE}/ledger?round={budget['round']}", headers=auth("admin")
    )
    assert ledger.json()["reserved"] == "0.00"
    assert ledger.json()["available"] == "3000.00"
    assert await outbox_count(assets, "assets.order.cancelled", order["id"]) == 1
