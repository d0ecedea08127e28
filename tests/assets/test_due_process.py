"""Due process in assets: an officer's cancellation recorded as an adverse decision and restored
by an upheld appeal, a person's consent to share with a partner, their part of an access request,
and the erasure of the free text about them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from assets.handlers import handlers, on_plan_state_changed
from assets.settings import AssetsSettings
from shared.db import utcnow
from shared.events import (
    ApplicantErased,
    Envelope,
    GrievanceResolved,
    PlanStateChanged,
)
from shared.messaging.consumer import Handler
from tests.assets.assets_support import add_budget, approve, outbox_count, partner_key
from tests.events_support import (
    appeal_resolved,
    handle,
    plan_approved,
    publish,
    sharing_consent,
)
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service

HENS = ("laying-hen", 50, "8.00")  # 400.00, counted in bulk


def appeals(assets: Service) -> Handler:
    """assets' handler of monitoring's appeal resolutions."""
    return handlers(cast(AssetsSettings, assets.settings))["monitoring"][GrievanceResolved.type]


def hens_handover(order: dict[str, Any], quantity: int, place: str = "Quba") -> dict[str, Any]:
    return {
        "order_id": order["id"],
        "delivered_on": "2026-11-20",
        "place": place,
        "signed_by": "participant",
        "items": [{"order_item_id": order["items"][0]["id"], "quantity": quantity}],
    }


async def get(assets: Service, url: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await assets.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def cancel(
    assets: Service, auth: Auth, order: dict[str, Any], reason: str = "participant_withdrew"
) -> dict[str, Any]:
    officer = auth("asset_officer", subject="officer-1")
    url = f"/v1/orders/{order['id']}"
    current = await assets.client.get(url, headers=officer)
    response = await assets.client.post(
        f"{url}/cancel",
        json={"reason": reason},
        headers={**officer, "If-Match": current.headers["etag"]},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def decisions(
    assets: Service, order: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await get(assets, f"/v1/orders/{order['id']}/decisions", headers)
    )["items"]
    return items


async def test_an_officers_cancellation_is_a_decision_with_its_appeal_period(
    assets: Service, auth: Auth
) -> None:
    await add_budget(assets, auth, "5000.00")
    partner_id, other_partner = uuid.uuid4(), uuid.uuid4()
    order = await approve(assets, plan_approved(HENS, partner_id=partner_id))
    await cancel(assets, auth, order)

    [decision] = await decisions(assets, order, auth("analyst"))
    decided_at = datetime.fromisoformat(decision["decided_at"])
    appeal_until = (decided_at.date() + timedelta(days=30)).isoformat()
    assert decision == {
        "decision_id": decision["decision_id"],
        "application_id": decision["application_id"],
        "kind": "order_cancelled",
        "reason": "participant_withdrew",
        "decided_by": "staff:officer-1",
        "decided_at": decision["decided_at"],
        "appeal_until": appeal_until,
        "appealable": True,
        "how_to_appeal": f"an appeal may be lodged until {appeal_until} with a case officer or "
        "the referring partner: POST /v1/grievances in monitoring naming decision_id",
        "ref_id": order["id"],
        "reversed_at": None,
        "reversal_effect": None,
    }
    assert await decisions(assets, order, await partner_key(assets, partner_id)) == [decision]
    url = f"/v1/orders/{order['id']}/decisions"
    stranger = await partner_key(assets, other_partner)
    assert (await assets.client.get(url, headers=stranger)).status_code == 404
    assert (await assets.client.get(url, headers=auth("case_officer"))).status_code == 403
    bad = await assets.client.get(f"{url}?limit=0", headers=auth("analyst"))
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "query.limit")
    assert await outbox_count(assets, "assets.decision.recorded") == 1

    # An order cancelled because its plan was is no decision of assets about the person.
    withdrawn = await approve(assets, plan_approved(HENS))
    event = PlanStateChanged(
        plan_id=uuid.UUID(withdrawn["plan_id"]),
        participant_id=uuid.UUID(withdrawn["participant_id"]),
        state="cancelled",
        reason="enrolment_cancelled",
    )
    async with assets.runtime.sessionmaker() as session, session.begin():
        await on_plan_state_changed(session, event, Envelope.wrap(event))
    assert (await get(assets, f"/v1/orders/{withdrawn['id']}", auth("analyst")))[
        "status"
    ] == "cancelled"
    assert await decisions(assets, withdrawn, auth("analyst")) == []
    assert await outbox_count(assets, "assets.decision.recorded") == 1


async def test_an_upheld_appeal_restores_the_order_at_the_end_of_its_budgets_line(
    assets: Service, auth: Auth
) -> None:
    analyst = auth("analyst")
    await add_budget(assets, auth, "500.00")
    order = await approve(assets, plan_approved(HENS))  # 400.00 reserved
    await cancel(assets, auth, order)
    later = await approve(assets, plan_approved(("laying-hen", 40, "8.00")))  # takes 320.00
    assert later["status"] == "reserved"
    [decision] = await decisions(assets, order, analyst)
    participant = order["participant_id"]

    for ignored in (
        appeal_resolved(decision["decision_id"], participant, "assets", outcome="dismissed"),
        appeal_resolved(decision["decision_id"], participant, "plans"),
    ):
        await handle(assets, appeals(assets), ignored)
    assert (await decisions(assets, order, analyst))[0]["reversed_at"] is None
    upheld = appeal_resolved(decision["decision_id"], participant, "assets")
    await publish(assets, upheld)

    async def restored() -> bool:
        return await outbox_count(assets, "assets.decision.reversed") == 1

    await eventually(restored, "the cancellation reversed")
    # 180.00 is left: the restored order waits for its 400.00.
    now = await get(assets, f"/v1/orders/{order['id']}", analyst)
    assert (now["status"], now["reserved_amount"]) == ("awaiting_budget", "0.00")
    assert await outbox_count(assets, "assets.order.awaiting_budget", order["id"]) == 1
    [after] = await decisions(assets, order, analyst)
    assert after["reversal_effect"] == "order_restored"
    assert after["reversed_at"] is not None
    await handle(assets, appeals(assets), upheld.model_copy(update={"grievance_id": uuid.uuid4()}))
    assert await outbox_count(assets, "assets.decision.reversed") == 1

    # Money released by the later order reaches it, as for any order in line.
    await cancel(assets, auth, later, reason="duplicate")
    now = await get(assets, f"/v1/orders/{order['id']}", analyst)
    assert (now["status"], now["reserved_amount"]) == ("reserved", "400.00")
    assert await outbox_count(assets, "assets.order.reserved", order["id"]) == 2


async def test_a_partly_delivered_order_restored_holds_only_what_its_rest_needs(
    assets: Service, auth: Auth
) -> None:
    officer, analyst = auth("asset_officer"), auth("analyst")
    await add_budget(assets, auth, "1000.00")
    order = await approve(assets, plan_approved(HENS))
    delivered = await assets.client.post(
        "/v1/deliveries", json=hens_handover(order, 20), headers=officer
    )
    assert delivered.status_code == 201, delivered.text
    cancelled = await cancel(assets, auth, order)
    assert (cancelled["reserved_amount"], cancelled["spent_amount"]) == ("160.00", "160.00")
    # Another order takes all but 140.00 of what is left: too little for the rest's 240.00.
    other = await approve(assets, plan_approved(("laying-hen", 875, "0.80")))
    assert other["reserved_amount"] == "700.00"
    [decision] = await decisions(assets, order, analyst)

    await handle(
        assets,
        appeals(assets),
        appeal_resolved(decision["decision_id"], order["participant_id"], "assets"),
    )

    url = f"/v1/orders/{order['id']}"
    waiting = await get(assets, url, analyst)
    assert (waiting["status"], waiting["reserved_amount"]) == ("awaiting_budget", "160.00")
    # Its plan approved again meanwhile keeps the items, part of which were handed over.
    again = await approve(
        assets, plan_approved(("laying-hen", 10, "8.00"), plan_id=uuid.UUID(order["plan_id"]))
    )
    assert [(i["quantity"], i["delivered_quantity"]) for i in again["items"]] == [(50, 20)]
    # Money released reaches it: it holds what its rest needs, on top of what was spent.
    await cancel(assets, auth, other, reason="duplicate")
    now = await get(assets, url, analyst)
    assert (now["status"], now["reserved_amount"], now["spent_amount"]) == (
        "partly_delivered",
        "400.00",
        "160.00",
    )
    ledger = await get(assets, f"/v1/funds/{order['fund_id']}/ledger?round=2026-autumn", analyst)
    assert (ledger["reserved"], ledger["spent"], ledger["available"]) == (
        "240.00",
        "160.00",
        "600.00",
    )
    rest = await assets.client.post(
        "/v1/deliveries", json=hens_handover(order, 30), headers=officer
    )
    assert rest.status_code == 201, rest.text
    done = await get(assets, f"/v1/orders/{order['id']}", analyst)
    assert (done["status"], done["spent_amount"]) == ("delivered", "400.00")


async def test_a_withdrawn_consent_hides_the_orders_from_the_partner_that_referred_and_pays(
    assets: Service, auth: Auth
) -> None:
    admin, officer = auth("admin"), auth("asset_officer")
    partner_id = uuid.uuid4()
    fund = await assets.client.post(
        "/v1/funds",
        json={"code": "union-a", "name": "Union A fund", "partner_id": str(partner_id)},
        headers=admin,
    )
    assert fund.status_code == 201, fund.text
    await add_budget(assets, auth, "5000.00", fund_id=fund.json()["id"])
    partner = await partner_key(assets, partner_id)
    order = await approve(assets, plan_approved(HENS, partner_id=partner_id))
    kept = await approve(assets, plan_approved(HENS, partner_id=partner_id))
    assert order["fund_id"] == kept["fund_id"] == fund.json()["id"]  # referred and paid by it
    delivery = await assets.client.post(
        "/v1/deliveries", json=hens_handover(order, 50), headers=officer
    )
    assert delivery.status_code == 201, delivery.text
    unit = delivery.json()["units"][0]["id"]
    reads = (
        f"/v1/orders/{order['id']}",
        f"/v1/orders/{order['id']}/decisions",
        f"/v1/deliveries/{delivery.json()['id']}",
        f"/v1/items/{unit}",
    )
    ledger_url = f"/v1/funds/{order['fund_id']}/ledger?round=2026-autumn&limit=100"
    ledger_before = await get(assets, ledger_url, partner)

    async def partner_sees() -> set[str]:
        listed = await get(assets, "/v1/orders", partner)
        return {item["id"] for item in listed["items"]}

    assert await partner_sees() == {order["id"], kept["id"]}

    await publish(assets, sharing_consent(order["participant_id"], partner_id, granted=False))

    async def hidden() -> bool:
        return await partner_sees() == {kept["id"]}

    await eventually(hidden, "the order hidden from the partner")
    for url in reads:
        assert (await assets.client.get(url, headers=partner)).status_code == 404, url
        assert (await assets.client.get(url, headers=admin)).status_code == 200, url
    assert (await get(assets, "/v1/deliveries", partner))["items"] == []
    # Its own money's ledger still adds up, order ids and all.
    assert await get(assets, ledger_url, partner) == ledger_before

    await publish(assets, sharing_consent(order["participant_id"], partner_id, granted=True))

    async def shown() -> bool:
        return order["id"] in await partner_sees()

    await eventually(shown, "the order shown again")
    for url in reads:
        assert (await assets.client.get(url, headers=partner)).status_code == 200, url


async def test_the_access_part_and_the_erasure(assets: Service, auth: Auth) -> None:
    admin, officer = auth("admin"), auth("asset_officer")
    await add_budget(assets, auth, "5000.00")
    order = await approve(assets, plan_approved(HENS))
    bystander = await approve(assets, plan_approved(HENS))
    for each in (order, bystander):
        response = await assets.client.post(
            "/v1/deliveries",
            json=hens_handover(each, 20, place="Quba, the yard behind the school"),
            headers=officer,
        )
        assert response.status_code == 201, response.text
    await cancel(assets, auth, order)
    participant = order["participant_id"]
    url = f"/v1/subject-access/assets?application_id={participant}"

    response = await assets.client.get(url, headers=admin)

    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert [row["id"] for row in records["orders"]] == [order["id"]]
    assert [row["quantity"] for row in records["order_items"]] == [50]
    [delivery] = records["deliveries"]
    assert delivery["place"] == "Quba, the yard behind the school"
    assert "act_key" not in delivery
    [unit] = records["delivered_units"]
    assert (unit["asset_type"], unit["quantity"]) == ("laying-hen", 20)
    assert [row["status"] for row in records["item_history"]] == ["in_use"]
    [decision] = records["adverse_decisions"]
    assert decision["kind"] == "order_cancelled"
    assert (await assets.client.get(url, headers=auth("asset_officer"))).status_code == 403
    missing = await assets.client.get("/v1/subject-access/assets", headers=admin)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "query.application_id"

    await publish(
        assets,
        ApplicantErased(
            applicant_id=uuid.uuid4(),
            application_ids=[uuid.UUID(participant)],
            basis="retention_elapsed",
            erased_at=utcnow(),
        ),
    )

    async def erased() -> dict[str, Any] | None:
        records: dict[str, Any] = (await get(assets, url, admin))["records"]
        return records if records["deliveries"][0]["place"] == "" else None

    after = await eventually(erased, "the handover's place erased")
    assert after["delivered_units"] == records["delivered_units"]
    assert after["orders"][0]["spent_amount"] == "160.00"
    assert after["adverse_decisions"] == records["adverse_decisions"]
    other = await get(assets, f"/v1/deliveries?order_id={bystander['id']}", admin)
    assert other["items"][0]["place"] == "Quba, the yard behind the school"
