"""Over NATS, with assets and monitoring as real processes: a handover schedules the visits, and
an item reported sold at a visit changes the item's status in assets."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from shared.db import utcnow
from shared.devkeys import mint_token
from shared.events import Envelope
from shared.messaging.jetstream import ensure_streams, subject_for
from tests.conftest import LaunchServices
from tests.events_support import plan_approved
from tests.journey_support import STATE_FUND, eventually, one_item

pytestmark = pytest.mark.e2e


async def test_an_item_reported_sold_reaches_assets(
    launch_services: LaunchServices, dev_keys: Path, nats_server: Any, nats_namespace: str
) -> None:
    services = await launch_services("assets", "monitoring")
    assets = httpx.AsyncClient(base_url=services["assets"].url, timeout=10)
    monitoring = httpx.AsyncClient(base_url=services["monitoring"].url, timeout=10)

    def token(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(dev_keys, roles=[role], subject=role)}"}

    try:
        budget = await assets.post(
            f"/v1/funds/{STATE_FUND}/budgets",
            json={
                "round": "visits",
                "period_start": "2000-01-01",
                "period_end": "2099-12-31",
                "allocated": "10000.00",
            },
            headers=token("admin"),
        )
        assert budget.status_code == 201, budget.text
        # plans approves a plan (published as plans would).
        approved = plan_approved(("beehive", 2, "150.00"), region="AZ-GA", direction="beekeeping")
        envelope = Envelope.wrap(approved)
        nc = await nats.connect(nats_server.url, **nats_server.identity("plans").connect_options())
        try:
            # Plans' stream, as plans makes it when it starts (it does not run here).
            await ensure_streams(nc.jetstream(), nats_namespace, "plans")
            await nc.jetstream().publish(
                subject_for(nats_namespace, envelope.type),
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": str(envelope.id)},
            )
        finally:
            await nc.close()
        officer = token("asset_officer")
        order = await eventually(
            lambda: one_item(assets, f"/v1/orders?plan_id={approved.plan_id}", officer),
            "assets to open the order",
        )
        delivered_on = utcnow().date() - timedelta(days=40)
        delivery = await assets.post(
            "/v1/deliveries",
            json={
                "order_id": order["id"],
                "delivered_on": str(delivered_on),
                "place": "Gəncə",
                "signed_by": "participant",
                "items": [
                    {
                        "order_item_id": order["items"][0]["id"],
                        "serials": ["NATS-HIVE-1", "NATS-HIVE-2"],
                    }
                ],
            },
            headers=officer,
        )
        assert delivery.status_code == 201, delivery.text

        monitor = token("monitor")
        visit = await eventually(
            lambda: one_item(
                monitoring, f"/v1/visits?participant_id={approved.participant_id}", monitor
            ),
            "monitoring to schedule the visits",
        )
        assert visit["month"] == 1
        assert visit["delivery_id"] == delivery.json()["id"]
        made = await monitoring.post(
            f"/v1/visits/{visit['id']}/report",
            json={
                "report_id": str(uuid.uuid4()),
                "visited_on": visit["due_on"],
                "operating": True,
                "items": [
                    {"asset_type": "beehive", "serial": "NATS-HIVE-1", "status": "in_use"},
                    {
                        "asset_type": "beehive",
                        "serial": "NATS-HIVE-2",
                        "status": "sold",
                        "reason": "sold_to_neighbour",
                    },
                ],
            },
            headers=monitor,
        )
        assert made.status_code == 201, made.text

        async def sold() -> dict[str, Any] | None:
            item = await one_item(assets, "/v1/items?serial=NATS-HIVE-2", officer)
            return item if item is not None and item["status"] == "sold" else None

        item = await eventually(sold, "assets to mark the item sold")
        history = (await assets.get(f"/v1/items/{item['id']}", headers=officer)).json()
        assert [(h["status"], h["reason"]) for h in history["history"]] == [
            ("in_use", "handover"),
            ("sold", "sold_to_neighbour"),
        ]
        kept = await one_item(assets, "/v1/items?serial=NATS-HIVE-1", officer)
        assert kept is not None
        assert kept["status"] == "in_use"
    finally:
        await assets.aclose()
        await monitoring.aclose()
