"""Monitoring's findings about delivered items reach assets over NATS, once."""

from __future__ import annotations

import uuid
from datetime import date

from shared.events import Envelope, ItemStatusReported
from shared.messaging.jetstream import subject_for
from tests.assets.assets_support import add_budget, approval, approve
from tests.journey_support import eventually, handover
from tests.service_fixtures import Auth, Service


async def test_a_finding_published_twice_updates_the_item_once(assets: Service, auth: Auth) -> None:
    officer = auth("asset_officer")
    await add_budget(assets, auth, "5000.00")
    order = await approve(assets, approval("1800.00"))
    delivered = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, {"beehive": ["TAG-77"]}, delivered_on="2026-04-01", place="Quba"),
        headers=officer,
    )
    assert delivered.status_code == 201, delivered.text

    finding = Envelope.wrap(
        ItemStatusReported(
            visit_id=uuid.uuid4(),
            asset_type="beehive",
            serial="TAG-77",
            status="sold",
            reported_on=date(2026, 7, 1),
            reason="sold_to_neighbour",
        )
    )
    js = await assets.jetstream_as("monitoring")
    for msg_id in ("first", "again"):  # the same finding delivered twice
        await js.publish(
            subject_for(assets.settings.nats_namespace, finding.type),
            finding.model_dump_json().encode(),
            headers={"Nats-Msg-Id": msg_id},
        )

    async def sold() -> dict[str, object] | None:
        listing = await assets.client.get("/v1/items?serial=TAG-77", headers=officer)
        item: dict[str, object] = listing.json()["items"][0]
        return item if item["status"] == "sold" else None

    item = await eventually(sold, "the item marked sold")
    consumer = next(c for c in assets.runtime.consumers if c.name == "assets-from-monitoring")

    async def both_handled() -> bool:
        info = await assets.runtime.nc.jetstream().consumer_info(
            f"{assets.settings.nats_namespace.upper()}_MONITORING", consumer.durable
        )
        return bool(info.ack_floor.stream_seq == 2)

    await eventually(both_handled, "both copies handled")
    history = (await assets.client.get(f"/v1/items/{item['id']}", headers=officer)).json()
    assert [entry["status"] for entry in history["history"]] == ["in_use", "sold"]
