"""The asset catalogue and suppliers over HTTP: the seed covers the plans' packages, admins
edit with If-Match, asset officers read, partners read the catalogue but not the suppliers."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from typing import Any

from shared.auth import generate_api_key
from shared.events import Envelope, PartnerKeyIssued
from shared.partner_keys import on_partner_key_issued
from tests.service_fixtures import Auth, Service

PLANS_SEED = (
    Path(__file__).parents[2]
    / "services/plans/migrations/versions/20261126_0003_directions_participants_plans.py"
)


async def all_pages(assets: Service, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = f"{url}?limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = await assets.client.get(query, headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def test_the_seed_covers_every_asset_of_the_plans_packages(
    assets: Service, auth: Auth
) -> None:
    spec = importlib.util.spec_from_file_location("plans_seed", PLANS_SEED)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wanted = {item["asset_type"] for direction in module.SEED for item in direction[4]}

    types = await all_pages(assets, "/v1/asset-types", auth("asset_officer"))
    by_code = {t["code"]: t for t in types}
    assert wanted <= set(by_code)
    assert [t["code"] for t in types] == sorted(by_code)  # paged by code
    assert by_code["heifer"]["tracking"] == "ear_tag"
    assert by_code["laying-hen"]["tracking"] == "bulk"
    assert by_code["beehive"]["name_az"] == "Arı pətəyi"
    assert by_code["beehive"]["reference_price"] == "150.00"


async def test_admins_edit_asset_types_with_if_match(assets: Service, auth: Auth) -> None:
    admin = auth("admin")
    body = {
        "code": "spinning-wheel",
        "name_az": "Cəhrə",
        "name_en": "Spinning wheel",
        "name_ru": "Прялка",
        "unit": "piece",
        "tracking": "serial",
        "reference_price": "210.50",
    }
    refused = await assets.client.post("/v1/asset-types", json=body, headers=auth("asset_officer"))
    assert refused.status_code == 403
    created = await assets.client.post("/v1/asset-types", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/asset-types/spinning-wheel"
    taken = await assets.client.post("/v1/asset-types", json=body, headers=admin)
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "body.code"
    bad = await assets.client.post(
        "/v1/asset-types",
        json={**body, "code": "Loom!", "tracking": "weighed", "reference_price": "1.234"},
        headers=admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "body.code",
        "body.tracking",
        "body.reference_price",
    }

    url = "/v1/asset-types/spinning-wheel"
    change = {"reference_price": "199.00", "tracking": "bulk"}
    assert (await assets.client.patch(url, json=change, headers=admin)).status_code == 428
    stale = await assets.client.patch(url, json=change, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    changed = await assets.client.patch(
        url, json=change, headers={**admin, "If-Match": created.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["reference_price"] == "199.00"
    assert changed.json()["tracking"] == "bulk"
    assert changed.headers["etag"] != created.headers["etag"]
    read = await assets.client.get(url, headers=auth("asset_officer"))
    assert read.json()["version"] == 2
    assert (await assets.client.get("/v1/asset-types/no-such", headers=admin)).status_code == 404


async def test_suppliers_and_their_price_lists(assets: Service, auth: Auth) -> None:
    admin, officer = auth("admin"), auth("asset_officer")
    body = {
        "name": "Bal-Arı MMC",
        "tax_id": "1400123456",
        "email": "sales@bal-ari.az",
        "phone": "+994124000000",
        "prices": [
            {"asset_type": "beehive", "unit_price": "145.00", "valid_from": "2026-01-01"},
            {"asset_type": "no-such-thing", "unit_price": "1.00", "valid_from": "2026-01-01"},
        ],
    }
    unknown = await assets.client.post("/v1/suppliers", json=body, headers=admin)
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.prices.1.asset_type"]
    backwards = await assets.client.post(
        "/v1/suppliers",
        json={
            **body,
            "prices": [
                {
                    "asset_type": "beehive",
                    "unit_price": "1.00",
                    "valid_from": "2026-02-01",
                    "valid_to": "2026-01-01",
                }
            ],
        },
        headers=admin,
    )
    assert backwards.status_code == 422
    bad_tax_id = await assets.client.post(
        "/v1/suppliers", json={**body, "tax_id": "12345", "prices": []}, headers=admin
    )
    assert bad_tax_id.status_code == 422
    assert bad_tax_id.json()["errors"][0]["field"] == "body.tax_id"

    body["prices"] = body["prices"][:1]
    created = await assets.client.post("/v1/suppliers", json=body, headers=admin)
    assert created.status_code == 201, created.text
    supplier = created.json()
    assert [(p["asset_type"], p["unit_price"], p["valid_to"]) for p in supplier["prices"]] == [
        ("beehive", "145.00", None)
    ]
    twice = await assets.client.post("/v1/suppliers", json=body, headers=admin)
    assert twice.status_code == 409  # one supplier per tax id

    url = f"/v1/suppliers/{supplier['id']}/prices"
    prices = {
        "prices": [
            {
                "asset_type": "beehive",
                "unit_price": "150.00",
                "valid_from": "2026-01-01",
                "valid_to": "2026-12-31",
            },
            {"asset_type": "honey-extractor", "unit_price": "410.00", "valid_from": "2026-01-01"},
        ]
    }
    assert (await assets.client.put(url, json=prices, headers=admin)).status_code == 428
    replaced = await assets.client.put(
        url, json=prices, headers={**admin, "If-Match": created.headers["etag"]}
    )
    assert replaced.status_code == 200, replaced.text
    assert sorted(p["asset_type"] for p in replaced.json()["prices"]) == [
        "beehive",
        "honey-extractor",
    ]
    assert replaced.headers["etag"] != created.headers["etag"]  # the list is part of the supplier
    again = await assets.client.put(
        url, json=prices, headers={**admin, "If-Match": created.headers["etag"]}
    )
    assert again.status_code == 412

    patched = await assets.client.patch(
        f"/v1/suppliers/{supplier['id']}",
        json={"phone": None, "address": "Bakı"},
        headers={**admin, "If-Match": replaced.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["phone"], patched.json()["address"]) == (None, "Bakı")

    with_extractor = await assets.client.get(
        "/v1/suppliers?asset_type=honey-extractor", headers=officer
    )
    assert [s["id"] for s in with_extractor.json()["items"]] == [supplier["id"]]
    none = await assets.client.get("/v1/suppliers?asset_type=heifer", headers=officer)
    assert none.json()["items"] == []
    assert (
        await assets.client.get(f"/v1/suppliers/{uuid.uuid4()}", headers=officer)
    ).status_code == 404


async def test_partners_read_the_catalogue_but_not_suppliers(assets: Service, auth: Auth) -> None:
    key, prefix, key_hash = generate_api_key()
    event = PartnerKeyIssued(
        key_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        prefix=prefix,
        key_hash=key_hash,
        scopes=["assets:read"],
    )
    async with assets.runtime.sessionmaker.begin() as session:
        await on_partner_key_issued(session, event, Envelope.wrap(event))
    partner = {"X-API-Key": key}
    assert (await assets.client.get("/v1/asset-types/beehive", headers=partner)).status_code == 200
    assert (await assets.client.get("/v1/suppliers", headers=partner)).status_code == 403
    new_type = {
        "code": "x-ray",
        "name_az": "x",
        "name_en": "x",
        "name_ru": "x",
        "unit": "piece",
        "tracking": "serial",
        "reference_price": "1.00",
    }
    assert (
        await assets.client.post("/v1/asset-types", json=new_type, headers=partner)
    ).status_code == 403
    assert (await assets.client.get("/v1/asset-types")).status_code == 401
