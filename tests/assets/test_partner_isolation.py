"""Partner A, holding every scope, tries every assets endpoint on partner B's fund, budget, order,
delivery and items: nothing of B's is shown and nothing of B's changes. The endpoints come from
the OpenAPI document, so a new one is covered the day it is added."""

from __future__ import annotations

import re
import uuid
from typing import Any

from shared.auth import Scope, generate_api_key
from shared.events import Envelope, PartnerKeyIssued
from shared.partner_keys import on_partner_key_issued
from tests.assets import add_budget, approval, approve
from tests.service_fixtures import Auth, Service, StartService

REFUSED = {401, 403, 404, 422}
B_OWNED = {"fund_id", "budget_id", "order_id", "delivery_id", "item_id"}


async def all_scopes_key(assets: Service, partner_id: uuid.UUID) -> dict[str, str]:
    key, prefix, key_hash = generate_api_key()
    event = PartnerKeyIssued(
        key_id=uuid.uuid4(),
        partner_id=partner_id,
        prefix=prefix,
        key_hash=key_hash,
        scopes=list(Scope),
    )
    async with assets.runtime.sessionmaker() as session, session.begin():
        await on_partner_key_issued(session, event, Envelope.wrap(event))
    return {"X-API-Key": key}


async def snapshot(assets: Service, auth: Auth, ids: dict[str, str]) -> list[Any]:
    admin = auth("admin")
    urls = [
        f"/v1/funds/{ids['fund_id']}",
        f"/v1/funds/{ids['fund_id']}/budgets/{ids['budget_id']}",
        f"/v1/funds/{ids['fund_id']}/ledger?round={ids['round']}",
        f"/v1/orders/{ids['order_id']}",
        f"/v1/deliveries/{ids['delivery_id']}",
        f"/v1/items/{ids['item_id']}",
    ]
    seen = []
    for url in urls:
        response = await assets.client.get(url, headers=admin)
        assert response.status_code == 200, (url, response.text)
        seen.append((url, response.json()))
    return seen


async def test_partner_a_can_neither_see_nor_change_partner_b(
    start_service: StartService, auth: Auth
) -> None:
    assets = await start_service("assets")
    partner_a, partner_b = uuid.uuid4(), uuid.uuid4()
    key_a = await all_scopes_key(assets, partner_a)
    fund = await assets.client.post(
        "/v1/funds",
        json={"code": "union-b", "name": "Union B", "partner_id": str(partner_b)},
        headers=auth("admin"),
    )
    assert fund.status_code == 201, fund.text
    budget = await add_budget(assets, auth, "5000.00", fund_id=fund.json()["id"])
    order = await approve(assets, approval("900.00", quantity=2, partner_id=partner_b))
    assert order["status"] == "reserved"
    delivery = await assets.client.post(
        "/v1/deliveries",
        json={
            "order_id": order["id"],
            "delivered_on": "2026-05-01",
            "place": "Şəki",
            "signed_by": "participant",
            "items": [
                {"order_item_id": order["items"][0]["id"], "serials": ["HIVE-B-1", "HIVE-B-2"]}
            ],
        },
        headers=auth("asset_officer"),
    )
    assert delivery.status_code == 201, delivery.text
    items = await assets.client.get(
        f"/v1/items?delivery_id={delivery.json()['id']}", headers=auth("asset_officer")
    )
    ids = {
        "fund_id": fund.json()["id"],
        "budget_id": budget["id"],
        "order_id": order["id"],
        "delivery_id": delivery.json()["id"],
        "item_id": items.json()["items"][0]["id"],
        "code": "beehive",
        "supplier_id": str(uuid.uuid4()),
        "round": budget["round"],
    }
    before = await snapshot(assets, auth, ids)
    secrets = {ids[name] for name in B_OWNED} | {str(partner_b), "HIVE-B-1", "HIVE-B-2"}

    tried = 0
    for path, operations in assets.app.openapi()["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for method in operations:
            if not params and method != "get":
                continue  # creating one's own objects is not the question here
            url = path.format(**ids)
            request = assets.client.build_request(
                method.upper(),
                url,
                headers={**key_a, "If-Match": "*"},
                json={} if method != "get" else None,
            )
            response = await assets.client.send(request)
            tried += 1
            if params & B_OWNED:
                assert response.status_code in REFUSED, (method, url, response.status_code)
            leaked = [value for value in secrets if value in response.text and value not in url]
            assert not leaked, (method, url, leaked)
    assert tried > 20
    assert await snapshot(assets, auth, ids) == before
