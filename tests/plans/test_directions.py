"""The directions catalogue: seeded by the migration, read by anyone signed in, kept by admins;
and the OpenAPI of every plans endpoint of this part, with summaries and examples."""

from __future__ import annotations

from decimal import Decimal

from plans.main import create_app
from tests.api.openapi_support import gaps
from tests.plans.plans_support import NEW, partner_key
from tests.service_fixtures import Auth, Service


async def test_seeded_catalogue_is_readable_by_staff_and_partners(
    plans: Service, auth: Auth
) -> None:
    listing = await plans.client.get("/v1/directions?limit=200", headers=auth("analyst"))
    assert listing.status_code == 200
    by_code = {d["code"]: d for d in listing.json()["items"]}
    expected = {"beekeeping", "cattle", "sheep_goats", "poultry", "greenhouse", "sewing"}
    assert expected | {"carpentry", "hairdressing", "bakery", "repair"} <= set(by_code)
    bees = by_code["beekeeping"]
    assert (bees["name_az"], bees["name_en"], bees["name_ru"]) == (
        "Arıçılıq",
        "Beekeeping",
        "Пчеловодство",
    )
    assert bees["ceiling"] == "3000.00"
    assert {"asset_type": "beehive", "quantity": 10} in bees["asset_package"]

    _, partner = await partner_key(plans, "plans:read")
    one = await plans.client.get("/v1/directions/sewing", headers=partner)
    assert one.status_code == 200
    assert one.json()["name_az"] == "Tikiş"
    assert (await plans.client.get("/v1/directions")).status_code == 401
    missing = await plans.client.get("/v1/directions/juggling", headers=partner)
    assert missing.status_code == 404


async def test_admin_adds_and_changes_a_direction(plans: Service, auth: Auth) -> None:
    admin = auth("admin")
    refused = await plans.client.post("/v1/directions", json=NEW, headers=auth("case_officer"))
    assert refused.status_code == 403
    _, partner = await partner_key(plans, "plans:write")
    assert (await plans.client.post("/v1/directions", json=NEW, headers=partner)).status_code == 403

    keyed = {**admin, "Idempotency-Key": "dairy-1"}
    created = await plans.client.post("/v1/directions", json=NEW, headers=keyed)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/directions/dairy"
    replay = await plans.client.post("/v1/directions", json=NEW, headers=keyed)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == created.json()
    again = await plans.client.post("/v1/directions", json=NEW, headers=admin)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "body.code"

    url = "/v1/directions/dairy"
    change = {"ceiling": "3100.50", "active": False}
    assert (await plans.client.patch(url, json=change, headers=admin)).status_code == 428
    stale = await plans.client.patch(url, json=change, headers={**admin, "If-Match": '"9"'})
    assert stale.status_code == 412
    changed = await plans.client.patch(
        url, json=change, headers={**admin, "If-Match": created.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text
    assert Decimal(changed.json()["ceiling"]) == Decimal("3100.50")
    assert changed.json()["active"] is False
    assert changed.json()["name_en"] == "Dairy processing"  # untouched fields stay
    active = await plans.client.get("/v1/directions?active=true&limit=200", headers=admin)
    assert "dairy" not in {d["code"] for d in active.json()["items"]}

    bad = await plans.client.post(
        "/v1/directions", json={**NEW, "code": "x2", "ceiling": "10.001"}, headers=admin
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.ceiling"


def test_every_endpoint_of_directions_participants_and_plans_is_documented() -> None:
    spec = create_app().openapi()
    mine = [
        path
        for path in spec["paths"]
        if path.startswith(("/v1/directions", "/v1/business-plans"))
        or (path.startswith("/v1/participants") and "trainings" not in path)
    ]
    assert {
        "/v1/directions",
        "/v1/directions/{code}",
        "/v1/participants",
        "/v1/participants/{participant_id}/consultations",
        "/v1/business-plans/{plan_id}/review",
        "/v1/business-plans/{plan_id}/versions",
        "/v1/business-plans/{plan_id}/pdf",
    } <= set(mine)
    found = [gap for gap in gaps(create_app()) if gap.split(" ")[1].rstrip(":") in mine]
    assert found == []
    pdf = spec["paths"]["/v1/business-plans/{plan_id}/pdf"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"]
    assert "409" in pdf
