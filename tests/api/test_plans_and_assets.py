"""Plans and assets over HTTP, fed by real events on NATS: the rules of the thin journey."""

from __future__ import annotations

import functools
import uuid
from decimal import Decimal
from typing import Any

from shared.db import utcnow
from shared.events import Envelope, Event, ParticipantEnrolled, PlanApproved
from shared.messaging.jetstream import subject_for
from tests.events_support import plan_approved
from tests.journey_support import PASSED_CHECKLIST, PLAN_CONTENT, STATE_FUND, eventually, one_item
from tests.service_fixtures import Auth, Service, StartService


async def publish(service: Service, event: Event) -> Envelope:
    envelope = Envelope.wrap(event)
    await (await service.jetstream_as(event.source_service)).publish(
        subject_for(service.settings.nats_namespace, envelope.type),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.id)},
    )
    return envelope


async def give_the_state_budget_money(assets: Service, auth: Auth) -> None:
    budget = await assets.client.post(
        f"/v1/funds/{STATE_FUND}/budgets",
        json={
            "round": "2026",
            "period_start": "2000-01-01",
            "period_end": "2099-12-31",
            "allocated": "100000.00",
        },
        headers=auth("admin"),
    )
    assert budget.status_code == 201, budget.text


async def draft_plan(plans: Service, auth: Auth) -> dict[str, Any]:
    participant_id = uuid.uuid4()
    await publish(
        plans,
        ParticipantEnrolled(
            participant_id=participant_id,
            applicant_id=uuid.uuid4(),
            region="AZ-LA",
            categories=["disability"],
            direction="sewing",
            enrolled_at=utcnow(),
        ),
    )
    plan: dict[str, Any] = await eventually(
        lambda: one_item(
            plans.client,
            f"/v1/business-plans?participant_id={participant_id}",
            auth("case_officer"),
        ),
        "a draft plan",
    )
    return plan


async def test_plan_transitions_allowed_and_refused(
    start_service: StartService, auth: Auth
) -> None:
    plans = await start_service("plans")
    author = auth("case_officer", subject="author")
    plan = await draft_plan(plans, auth)
    url = f"/v1/business-plans/{plan['id']}"
    etag = f'"{plan["version"]}"'

    empty = await plans.client.post(f"{url}/submit", headers={**author, "If-Match": etag})
    assert empty.status_code == 422  # an incomplete plan names what it lacks
    assert {"activity", "items"} <= {e["field"] for e in empty.json()["errors"]}

    early = await plans.client.post(
        f"{url}/approve", headers={**auth("plan_reviewer"), "If-Match": etag}
    )
    assert early.status_code == 409

    bad_price = await plans.client.put(
        f"{url}/items",
        json={"items": [{"asset_type": "sewing-machine", "quantity": 1, "unit_price": "12.345"}]},
        headers={**author, "If-Match": etag},
    )
    assert bad_price.status_code == 422
    assert bad_price.json()["errors"][0]["field"] == "body.items.0.unit_price"

    filled = await plans.client.put(
        f"{url}/items",
        json={"items": [{"asset_type": "sewing-machine", "quantity": 3, "unit_price": "0.10"}]},
        headers={**author, "If-Match": etag},
    )
    assert filled.status_code == 200
    assert Decimal(filled.json()["total"]) == Decimal("0.30")  # Decimal, not 0.30000000000000004
    stale = await plans.client.put(
        f"{url}/items",
        json={"items": [{"asset_type": "overlock", "quantity": 1, "unit_price": "900.00"}]},
        headers={**author, "If-Match": etag},
    )
    assert stale.status_code == 412

    written = await plans.client.patch(
        url, json=PLAN_CONTENT, headers={**author, "If-Match": filled.headers["etag"]}
    )
    assert written.status_code == 200
    submitted = await plans.client.post(
        f"{url}/submit", headers={**author, "If-Match": written.headers["etag"]}
    )
    assert submitted.status_code == 200
    reviewed = await plans.client.post(
        f"{url}/review",
        json={"checklist": PASSED_CHECKLIST},
        headers={**auth("plan_reviewer"), "If-Match": submitted.headers["etag"]},
    )
    assert reviewed.status_code == 200
    own = await plans.client.post(
        f"{url}/approve",
        headers={
            **auth("plan_reviewer", "case_officer", subject="author"),
            "If-Match": reviewed.headers["etag"],
        },
    )
    assert own.status_code == 403  # nobody approves a plan they submitted
    approved = await plans.client.post(
        f"{url}/approve",
        headers={**auth("plan_reviewer"), "If-Match": reviewed.headers["etag"]},
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert (
        await plans.client.put(
            f"{url}/items",
            json={"items": [{"asset_type": "overlock", "quantity": 1, "unit_price": "9.00"}]},
            headers={**author, "If-Match": approved.headers["etag"]},
        )
    ).status_code == 409


async def test_delivery_checks_serials(start_service: StartService, auth: Auth) -> None:
    assets = await start_service("assets")
    await give_the_state_budget_money(assets, auth)
    officer = auth("asset_officer")
    orders = []
    for _ in range(2):
        plan_id = uuid.uuid4()
        await publish(
            assets,
            plan_approved(("heifer", 2, "1800.00"), plan_id=plan_id),
        )
        url = f"/v1/orders?plan_id={plan_id}"
        orders.append(
            await eventually(functools.partial(one_item, assets.client, url, officer), "an order")
        )

    def delivery(order: dict[str, Any], serials: list[str]) -> dict[str, Any]:
        return {
            "order_id": order["id"],
            "delivered_on": "2026-03-01",
            "place": "Quba",
            "signed_by": "participant",
            "items": [{"order_item_id": order["items"][0]["id"], "serials": serials}],
        }

    over = await assets.client.post(
        "/v1/deliveries", json=delivery(orders[0], ["TAG-1", "TAG-2", "TAG-3"]), headers=officer
    )
    assert over.status_code == 422  # three tags for two heifers
    assert over.json()["errors"][0]["field"] == "body.items.0.serials"
    twice = await assets.client.post(
        "/v1/deliveries", json=delivery(orders[0], ["TAG-1", "TAG-1"]), headers=officer
    )
    assert twice.status_code == 422

    first = await assets.client.post(
        "/v1/deliveries", json=delivery(orders[0], ["TAG-1", "TAG-2"]), headers=officer
    )
    assert first.status_code == 201, first.text
    again = await assets.client.post(
        "/v1/deliveries", json=delivery(orders[0], ["TAG-8", "TAG-9"]), headers=officer
    )
    assert again.status_code == 409  # the order is delivered already
    reused_tag = await assets.client.post(
        "/v1/deliveries", json=delivery(orders[1], ["TAG-2", "TAG-3"]), headers=officer
    )
    assert reused_tag.status_code == 409  # an ear tag identifies one animal, once
    order = (await assets.client.get(f"/v1/orders/{orders[1]['id']}", headers=officer)).json()
    assert order["status"] == "reserved"


async def test_duplicate_approval_event_opens_one_order(
    start_service: StartService, auth: Auth
) -> None:
    assets = await start_service("assets")
    event = PlanApproved(
        plan_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        region="AZ-SAK",
        direction="beekeeping",
        items=[],
        total=Decimal("0.00"),
        approved_at=utcnow(),
    )
    envelope = Envelope.wrap(event)
    js = await assets.jetstream_as(event.source_service)
    for msg_id in ("a", "b"):  # two stream messages carrying the same event
        await js.publish(
            subject_for(assets.settings.nats_namespace, envelope.type),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": msg_id},
        )
    officer = auth("asset_officer")
    await eventually(
        lambda: one_item(assets.client, f"/v1/orders?plan_id={event.plan_id}", officer), "an order"
    )
    consumer = assets.runtime.consumers[0]

    async def both_handled() -> bool:
        info = await assets.runtime.nc.jetstream().consumer_info(
            f"{assets.settings.nats_namespace.upper()}_PLANS", consumer.durable
        )
        return bool(info.ack_floor.stream_seq == 2)

    await eventually(both_handled, "both copies handled")
    listing = await assets.client.get(f"/v1/orders?plan_id={event.plan_id}", headers=officer)
    assert len(listing.json()["items"]) == 1


async def test_a_plan_approved_again_revises_its_open_order(
    start_service: StartService, auth: Auth
) -> None:
    """A reopened plan approved a second time: one order, with the revised items."""
    assets = await start_service("assets")
    officer = auth("asset_officer")
    plan_id, participant_id = uuid.uuid4(), uuid.uuid4()

    def approved(quantity: int) -> PlanApproved:
        return plan_approved(
            ("beehive", quantity, "150.00"),
            region="AZ-SAK",
            direction="beekeeping",
            plan_id=plan_id,
            participant_id=participant_id,
        )

    url = f"/v1/orders?plan_id={plan_id}"
    await publish(assets, approved(2))
    await eventually(functools.partial(one_item, assets.client, url, officer), "an order")
    await publish(assets, approved(5))

    async def revised() -> bool:
        order = await one_item(assets.client, url, officer)
        return order is not None and order["items"][0]["quantity"] == 5

    await eventually(revised, "the order revised")
    listing = (await assets.client.get(url, headers=officer)).json()["items"]
    assert len(listing) == 1
    assert listing[0]["total"] == "750.00"
