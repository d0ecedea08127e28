"""Deliveries over HTTP on a real database and NATS: serial numbers handed over once, the
handover act's upload checks, partners kept to their own deliveries, the event out and
monitoring's findings in."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from assets.deliveries.service import on_item_status_reported
from assets.funds.models import STATE_FUND_ID
from shared.db import utcnow
from shared.events import (
    Envelope,
    ItemStatusReported,
)
from shared.filestore import DEFAULT_MAX_UPLOAD_BYTES, FileStore, LocalFileStore
from shared.tables import SHARED_TABLES
from tests.assets.assets_support import a_pdf, a_png, partner_key
from tests.events_support import plan_approved, publish
from tests.journey_support import eventually, one_item
from tests.service_fixtures import Auth, Service


@pytest.fixture
async def assets(assets: Service, auth: Auth, tmp_path: Path) -> Service:
    """The folder's `assets` (tests/assets/conftest.py), with handover acts stored under the test's
    tmp_path and a funded state budget for this year."""
    assets.runtime.parts[FileStore] = LocalFileStore(tmp_path / "files")
    today = utcnow().date()
    budget = await assets.client.post(
        f"/v1/funds/{STATE_FUND_ID}/budgets",
        json={
            "round": "test-round",
            "period_start": today.replace(month=1, day=1).isoformat(),
            "period_end": today.replace(month=12, day=31).isoformat(),
            "allocated": "1000000.00",
        },
        headers=auth("admin"),
    )
    assert budget.status_code == 201, budget.text
    return assets


async def reserved_order(
    assets: Service,
    auth: Auth,
    items: list[tuple[str, int, str]],
    partner_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """An order for a freshly approved plan, paid from the state budget."""
    plan_id = uuid.uuid4()
    await publish(assets, plan_approved(*items, plan_id=plan_id, partner_id=partner_id))
    officer = auth("asset_officer")

    async def reserved() -> dict[str, Any] | None:
        order = await one_item(assets.client, f"/v1/orders?plan_id={plan_id}", officer)
        return order if order and order["status"] == "reserved" else None

    order: dict[str, Any] = await eventually(reserved, "a reserved order")
    return order


def handover(order: dict[str, Any], *lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": order["id"],
        "delivered_on": "2026-03-01",
        "place": "Quba",
        "signed_by": "participant",
        "items": [
            {"order_item_id": item["id"], **line}
            for item, line in zip(order["items"], lines, strict=True)
        ],
    }


async def test_a_serial_handed_over_twice_is_refused_and_flagged(
    assets: Service, auth: Auth
) -> None:
    officer = auth("asset_officer", subject="officer-7")
    first_order = await reserved_order(assets, auth, [("heifer", 2, "1800.00")])
    second_order = await reserved_order(assets, auth, [("heifer", 2, "1800.00")])
    first = await assets.client.post(
        "/v1/deliveries",
        json=handover(first_order, {"serials": ["TAG-1", "TAG-2"]}),
        headers=officer,
    )
    assert first.status_code == 201, first.text
    tag_2 = next(unit for unit in first.json()["units"] if unit["serial"] == "TAG-2")

    again = await assets.client.post(
        "/v1/deliveries",
        json=handover(second_order, {"serials": ["TAG-3", "TAG-2"]}),
        headers=officer,
    )
    assert again.status_code == 409, again.text
    assert [e["field"] for e in again.json()["errors"]] == ["body.items.0.serials.1"]
    order = (await assets.client.get(f"/v1/orders/{second_order['id']}", headers=officer)).json()
    assert order["status"] == "reserved"  # nothing of the refused handover stayed
    assert (await assets.client.get("/v1/items?serial=TAG-3", headers=officer)).json()[
        "items"
    ] == []

    flags = await assets.client.get("/v1/serial-flags", headers=auth("analyst"))
    assert flags.status_code == 200, flags.text
    [flag] = flags.json()["items"]
    assert (flag["asset_type"], flag["serial"]) == ("heifer", "TAG-2")
    assert flag["order_id"] == second_order["id"]
    assert flag["existing_unit_id"] == tag_2["id"]
    assert flag["flagged_by"] == "staff:officer-7"

    # A number is unique within its asset type: an ear tag and a serial may share digits.
    sewing = await reserved_order(assets, auth, [("sewing-machine", 1, "650.00")])
    same_digits = await assets.client.post(
        "/v1/deliveries", json=handover(sewing, {"serials": ["TAG-2"]}), headers=officer
    )
    assert same_digits.status_code == 201, same_digits.text


async def test_tracked_units_by_number_and_bulk_by_count(assets: Service, auth: Auth) -> None:
    officer = auth("asset_officer")
    order = await reserved_order(
        assets, auth, [("beehive", 2, "150.00"), ("laying-hen", 50, "8.00")]
    )
    bad = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, {"serials": ["H-1", "H-2", "H-3"]}, {"serials": ["HEN-1"]}),
        headers=officer,
    )
    assert bad.status_code == 422
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [
        ("body.items.0.serials", "over_delivery"),
        ("body.items.1.serials", "not_tracked"),
    ]
    unnumbered = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, {"quantity": 2}, {"quantity": 51}),
        headers=officer,
    )
    assert unnumbered.status_code == 422
    assert [(e["field"], e["code"]) for e in unnumbered.json()["errors"]] == [
        ("body.items.0.serials", "missing"),
        ("body.items.1.quantity", "over_delivery"),
    ]
    unsigned = await assets.client.post(
        "/v1/deliveries",
        json={**handover(order, {"serials": ["H-1", "H-2"]}, {"quantity": 50}), "signed_by": "Əli"},
        headers=officer,
    )
    assert unsigned.status_code == 422  # a coded signer, never a name

    done = await assets.client.post(
        "/v1/deliveries",
        json={
            **handover(order, {"serials": ["H-1", "H-2"]}, {"quantity": 50}),
            "signed_by": "representative",
            "officer_id": "staff-4711",
        },
        headers={**officer, "Idempotency-Key": "handover-1"},
    )
    assert done.status_code == 201, done.text
    delivery = done.json()
    assert done.headers["location"] == f"/v1/deliveries/{delivery['id']}"
    assert sorted((u["asset_type"], u["serial"], u["quantity"]) for u in delivery["units"]) == [
        ("beehive", "H-1", 1),
        ("beehive", "H-2", 1),
        ("laying-hen", None, 50),
    ]
    replayed = await assets.client.post(
        "/v1/deliveries",
        json={
            **handover(order, {"serials": ["H-1", "H-2"]}, {"quantity": 50}),
            "signed_by": "representative",
            "officer_id": "staff-4711",
        },
        headers={**officer, "Idempotency-Key": "handover-1"},
    )
    assert replayed.status_code == 201
    assert replayed.json()["id"] == delivery["id"]
    order_now = (await assets.client.get(f"/v1/orders/{order['id']}", headers=officer)).json()
    assert order_now["status"] == "delivered"

    # The event out: ids, codes and amounts, one entry per order item.
    outbox = SHARED_TABLES.outbox
    async with assets.runtime.sessionmaker() as session:
        envelopes = (
            await session.scalars(
                select(outbox.c.envelope).where(
                    outbox.c.subject.endswith("assets.delivery.completed")
                )
            )
        ).all()
    [envelope] = envelopes
    data = envelope["data"]
    assert data["delivery_id"] == delivery["id"]
    assert data["order_id"] == order["id"]
    assert data["total"] == "700.00"
    assert [
        (i["asset_type"], i["quantity"], i["unit_price"], i["serials"]) for i in data["items"]
    ] == [
        ("beehive", 2, "150.00", ["H-1", "H-2"]),
        ("laying-hen", 50, "8.00", []),
    ]
    assert "staff-4711" not in str(envelope)
    assert "Quba" not in str(data)


async def test_the_act_upload_checks_type_and_size_and_reads_back(
    assets: Service, auth: Auth
) -> None:
    officer = auth("asset_officer")
    order = await reserved_order(assets, auth, [("overlock", 1, "750.00")])
    created = await assets.client.post(
        "/v1/deliveries", json=handover(order, {"serials": ["OV-1"]}), headers=officer
    )
    assert created.status_code == 201, created.text
    url = f"/v1/deliveries/{created.json()['id']}/act"
    etag = created.headers["etag"]

    async def upload(name: str, content: bytes, content_type: str, tag: str | None) -> Any:
        headers = {**officer, **({"If-Match": tag} if tag else {})}
        return await assets.client.post(
            url, files={"file": (name, content, content_type)}, headers=headers
        )

    assert (await assets.client.get(url, headers=officer)).status_code == 404  # none yet
    assert (await upload("act.pdf", a_pdf(), "application/pdf", None)).status_code == 428
    # Named and labelled a PDF, but it is not one: the content decides.
    fake = await upload("act.pdf", b"<html>not a scan</html>", "application/pdf", etag)
    assert fake.status_code == 415, fake.text
    assert fake.json()["type"].endswith("/unsupported-media-type")
    gif = await upload("act.png", b"GIF89a" + bytes(64), "image/png", etag)
    assert gif.status_code == 415
    too_large = b"%PDF-1.7\n" + bytes(DEFAULT_MAX_UPLOAD_BYTES)
    large = await upload("act.pdf", too_large, "application/pdf", etag)
    assert large.status_code == 413, large.text

    pdf = a_pdf()
    stored = await upload("whatever.bin", pdf, "application/octet-stream", etag)
    assert stored.status_code == 200, stored.text
    assert stored.json()["act"]["content_type"] == "application/pdf"
    assert stored.json()["act"]["size"] == len(pdf)
    back = await assets.client.get(url, headers=officer)
    assert back.status_code == 200
    assert back.headers["content-type"] == "application/pdf"
    assert back.content == pdf

    stale = await upload("act.png", a_png(), "image/png", etag)
    assert stale.status_code == 412  # the act changed since that ETag
    png = a_png()
    replaced = await upload("act.png", png, "image/png", stored.headers["etag"])
    assert replaced.status_code == 200, replaced.text
    back = await assets.client.get(url, headers=officer)
    assert back.headers["content-type"] == "image/png"
    assert back.content == png
    store = assets.runtime.parts[FileStore]
    assert isinstance(store, LocalFileStore)
    assert len([p for p in store.base_path.rglob("*") if p.is_file()]) == 1  # the old one went

    # The signed act is for staff who handle handovers only.
    assert (await assets.client.get(url, headers=auth("analyst"))).status_code == 403


async def test_partners_see_only_deliveries_of_their_orders(assets: Service, auth: Auth) -> None:
    officer = auth("asset_officer")
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    order = await reserved_order(assets, auth, [("beehive", 1, "150.00")], partner_id=ours)
    created = await assets.client.post(
        "/v1/deliveries", json=handover(order, {"serials": ["P-1"]}), headers=officer
    )
    assert created.status_code == 201, created.text
    delivery = created.json()
    unit_id = delivery["units"][0]["id"]
    own, other = await partner_key(assets, ours), await partner_key(assets, theirs)

    assert (
        await assets.client.get(f"/v1/deliveries/{delivery['id']}", headers=own)
    ).status_code == 200
    assert (await assets.client.get(f"/v1/items/{unit_id}", headers=own)).status_code == 200
    found = await assets.client.get("/v1/items?serial=P-1", headers=own)
    assert [i["id"] for i in found.json()["items"]] == [unit_id]
    assert [
        d["id"] for d in (await assets.client.get("/v1/deliveries", headers=own)).json()["items"]
    ] == [delivery["id"]]

    # Another partner's delivery is answered exactly like a missing one.
    for url in (f"/v1/deliveries/{delivery['id']}", f"/v1/items/{unit_id}"):
        response = await assets.client.get(url, headers=other)
        missing = await assets.client.get(url.rsplit("/", 1)[0] + f"/{uuid.uuid4()}", headers=other)
        assert response.status_code == missing.status_code == 404
        assert response.json()["type"] == missing.json()["type"]
    for url in ("/v1/deliveries", "/v1/items?serial=P-1", "/v1/items"):
        assert (await assets.client.get(url, headers=other)).json()["items"] == []
    # Partners neither record handovers, nor read acts or flags.
    assert (
        await assets.client.post(
            "/v1/deliveries", json=handover(order, {"serials": ["P-2"]}), headers=own
        )
    ).status_code == 403
    assert (
        await assets.client.get(f"/v1/deliveries/{delivery['id']}/act", headers=own)
    ).status_code == 403
    assert (await assets.client.get("/v1/serial-flags", headers=own)).status_code == 403


async def test_monitoring_findings_update_status_and_history(assets: Service, auth: Auth) -> None:
    officer = auth("asset_officer")
    order = await reserved_order(assets, auth, [("heifer", 2, "1800.00")])
    created = await assets.client.post(
        "/v1/deliveries", json=handover(order, {"serials": ["COW-1", "COW-2"]}), headers=officer
    )
    assert created.status_code == 201, created.text
    cow_1 = next(u for u in created.json()["units"] if u["serial"] == "COW-1")
    visit = uuid.uuid4()
    sessionmaker = assets.runtime.sessionmaker

    async def report(**fields: Any) -> Envelope:
        event = ItemStatusReported(visit_id=visit, **fields)
        envelope = Envelope.wrap(event)
        async with sessionmaker.begin() as session:  # as the consumer would: one transaction
            await on_item_status_reported(session, event, envelope)
        return envelope

    sold = await report(unit_id=cow_1["id"], status="sold", reported_on="2026-06-01")
    # A finding from an earlier visit that arrives late goes into the history, not the status.
    late = await report(
        asset_type="heifer", serial="COW-1", status="broken", reported_on="2026-04-01"
    )
    await report(asset_type="heifer", serial="NO-SUCH-TAG", status="dead", reported_on="2026-06-01")

    item = await assets.client.get(f"/v1/items/{cow_1['id']}", headers=officer)
    assert item.status_code == 200, item.text
    body = item.json()
    assert body["status"] == "sold"
    assert [
        (h["status"], h["occurred_on"], h["source_event_id"], h["reason"]) for h in body["history"]
    ] == [
        ("in_use", "2026-03-01", None, "handover"),
        ("sold", "2026-06-01", str(sold.id), "monitoring_visit"),
        ("broken", "2026-04-01", str(late.id), "monitoring_visit"),
    ]
    other = await assets.client.get("/v1/items?serial=COW-2", headers=officer)
    assert other.json()["items"][0]["status"] == "in_use"
    by_status = await assets.client.get("/v1/items?status=sold", headers=officer)
    assert [i["serial"] for i in by_status.json()["items"]] == ["COW-1"]
    with pytest.raises(ValueError, match="unit_id"):  # a finding must name its unit
        ItemStatusReported(visit_id=visit, status="dead", reported_on="2026-06-01")
