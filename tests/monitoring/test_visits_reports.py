"""Visit reports from field staff who work offline: accepted once, late or out of order, corrected
only against the version read; photos; and partners kept to their own participants."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from shared.auth import Scope
from shared.db import utcnow
from tests.monitoring.visits_support import (
    JPEG,
    PDF,
    PNG,
    deliver,
    partner_key,
    visits_of,
    written,
)
from tests.service_fixtures import Auth, Service

NOTES = "Ayguen's neighbour Rauf bought the second hive"


@pytest.fixture
def monitoring_settings() -> dict[str, Any]:
    """A small upload limit, so that these tests reach it with small files."""
    return {"max_upload_bytes": 1024}


def report(visit: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "report_id": str(uuid.uuid4()),
        "visited_on": visit["due_on"],
        "operating": True,
        "income": "420.00",
        "costs": "150.00",
        "jobs": 2,
        "notes": NOTES,
        "location": {"latitude": "40.6821", "longitude": "46.3606"},
        **fields,
    }


async def test_a_report_is_accepted_once_and_a_second_device_is_refused(
    monitoring: Service, auth: Auth
) -> None:
    event, visits = await deliver(
        monitoring, auth, delivered_on=utcnow().date() - relativedelta(months=8)
    )
    hive_1, hive_2 = event.items[0].unit_ids
    visit = visits[1]  # month 3
    body = report(
        visit,
        items=[
            {"unit_id": str(hive_1), "status": "in_use"},
            {
                "asset_type": "beehive",
                "serial": "HIVE-2",
                "status": "sold",
                "reason": "sold_to_neighbour",
            },
        ],
    )
    monitor = auth("monitor")
    url = f"/v1/visits/{visit['id']}/report"
    first = await monitoring.client.post(url, json=body, headers=monitor)
    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored["id"] == body["report_id"]
    assert stored["revision"] == 1
    assert first.headers["etag"] == '"1"'
    assert stored["late"] is False
    assert [(i["unit_id"], i["serial"], i["status"]) for i in stored["items"]] == [
        (str(hive_1), "HIVE-1", "in_use"),
        (str(hive_2), "HIVE-2", "sold"),
    ]
    after = await monitoring.client.get(f"/v1/visits/{visit['id']}", headers=monitor)
    assert after.json()["status"] == "reported"
    assert after.json()["visited_on"] == visit["due_on"]

    # Sent again, with the fields in another order: the stored report, nothing new.
    resent = await monitoring.client.post(
        url,
        content=json.dumps(dict(reversed(list(body.items())))),
        headers={**monitor, "Content-Type": "application/json"},
    )
    assert resent.status_code == 200, resent.text
    assert resent.json() == stored
    other_device = await monitoring.client.post(url, json=report(visit), headers=monitor)
    assert other_device.status_code == 409, other_device.text
    assert other_device.json()["report_id"] == body["report_id"]

    reported = await written(monitoring, "monitoring.visit.reported")
    assert len(reported) == 1
    assert reported[0]["revision"] == 1
    assert reported[0]["month"] == 3
    assert reported[0]["operating"] is True
    assert reported[0]["income"] == "420.00"
    # Only the item whose status changed (from in_use at the handover).
    items = await written(monitoring, "monitoring.item.status_reported")
    assert [(i["unit_id"], i["serial"], i["status"], i["reason"]) for i in items] == [
        (str(hive_2), "HIVE-2", "sold", "sold_to_neighbour")
    ]
    assert items[0]["participant_id"] == str(event.participant_id)
    assert items[0]["reported_on"] == visit["due_on"]
    # Notes and coordinates never leave monitoring.
    text = json.dumps(reported + items)
    assert "Rauf" not in text
    assert "40.68" not in text
    assert "latitude" not in text


async def test_late_and_out_of_order_reports_are_accepted(monitoring: Service, auth: Auth) -> None:
    event, visits = await deliver(
        monitoring, auth, delivered_on=utcnow().date() - relativedelta(months=8)
    )
    three, six = visits[1], visits[2]
    monitor = auth("monitor")
    # The 6-month visit arrives first: hive 2 is dead.
    late_six = report(
        six,
        visited_on=str(utcnow().date() - timedelta(days=10)),
        items=[{"asset_type": "beehive", "serial": "HIVE-2", "status": "dead"}],
    )
    response = await monitoring.client.post(
        f"/v1/visits/{six['id']}/report", json=late_six, headers=monitor
    )
    assert response.status_code == 201, response.text
    assert response.json()["late"] is True  # visited after its due date
    # Then the 3-month one, made earlier: hive 2 was still in use then.
    response = await monitoring.client.post(
        f"/v1/visits/{three['id']}/report",
        json=report(
            three, items=[{"asset_type": "beehive", "serial": "HIVE-2", "status": "in_use"}]
        ),
        headers=monitor,
    )
    assert response.status_code == 201, response.text
    assert response.json()["late"] is False
    listed = await visits_of(monitoring, auth, event.participant_id)
    assert [(v["month"], v["status"], v["late"]) for v in listed] == [
        (1, "scheduled", None),
        (3, "reported", False),
        (6, "reported", True),
        (12, "scheduled", None),
    ]
    items = await written(monitoring, "monitoring.item.status_reported")
    # Each finding went out with its own date; assets keeps the newest by date in force.
    assert [(i["status"], i["reported_on"]) for i in items] == [
        ("dead", late_six["visited_on"]),
        ("in_use", three["due_on"]),
    ]
    reported = await written(monitoring, "monitoring.visit.reported")
    assert [(r["month"], r["revision"]) for r in reported] == [(6, 1), (3, 1)]


async def test_a_correction_needs_the_reports_etag(monitoring: Service, auth: Auth) -> None:
    event, visits = await deliver(
        monitoring, auth, delivered_on=utcnow().date() - relativedelta(months=8)
    )
    hive_1, hive_2 = event.items[0].unit_ids
    visit = visits[0]
    officer = auth("case_officer")
    url = f"/v1/visits/{visit['id']}/report"
    missing = await monitoring.client.get(url, headers=officer)
    assert missing.status_code == 404
    first = report(
        visit,
        items=[
            {"unit_id": str(hive_1), "status": "missing"},
            {"unit_id": str(hive_2), "status": "in_use"},
        ],
    )
    created = await monitoring.client.post(url, json=first, headers=officer)
    assert created.status_code == 201, created.text

    correction = {k: v for k, v in first.items() if k != "report_id"}
    correction.update(
        operating=False,
        income="0.00",
        items=[
            {"unit_id": str(hive_1), "status": "missing"},  # unchanged: no item event
            {"unit_id": str(hive_2), "status": "broken", "reason": "storm_damage"},
        ],
    )
    no_tag = await monitoring.client.put(url, json=correction, headers=officer)
    assert no_tag.status_code == 428
    stale = await monitoring.client.put(
        url, json=correction, headers={**officer, "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    read = await monitoring.client.get(url, headers=officer)
    assert read.headers["etag"] == '"1"'
    corrected = await monitoring.client.put(
        url, json=correction, headers={**officer, "If-Match": read.headers["etag"]}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["revision"] == 2
    assert corrected.headers["etag"] == '"2"'
    assert corrected.json()["operating"] is False
    assert corrected.json()["updated_by"] == corrected.json()["reported_by"]
    # A second device that read revision 1 is refused, not lost.
    lost = await monitoring.client.put(
        url, json={**correction, "jobs": 5}, headers={**officer, "If-Match": '"1"'}
    )
    assert lost.status_code == 412
    assert (await monitoring.client.get(url, headers=officer)).json()["jobs"] == 2

    reported = await written(monitoring, "monitoring.visit.reported")
    assert [(r["revision"], r["operating"]) for r in reported] == [(1, True), (2, False)]
    items = await written(monitoring, "monitoring.item.status_reported")
    assert [(i["unit_id"], i["status"]) for i in items] == [
        (str(hive_1), "missing"),
        (str(hive_2), "broken"),
    ]


async def test_reports_that_cannot_be_true_are_refused_field_by_field(
    monitoring: Service, auth: Auth
) -> None:
    event, visits = await deliver(
        monitoring, auth, delivered_on=utcnow().date() - relativedelta(months=8)
    )
    _, other_visits = await deliver(monitoring, auth, serials=("OTHER-1",))
    other_unit = (await deliver(monitoring, auth, serials=("OTHER-2",)))[0].items[0].unit_ids[0]
    visit = visits[0]
    url = f"/v1/visits/{visit['id']}/report"
    monitor = auth("monitor", **{"Accept-Language": "en"})

    async def errors(body: dict[str, Any]) -> dict[str, str]:
        response = await monitoring.client.post(url, json=body, headers=monitor)
        assert response.status_code == 422, response.text
        return {e["field"]: e["code"] for e in response.json()["errors"]}

    assert await errors(
        report(
            visit,
            visited_on=str(utcnow().date() + timedelta(days=1)),
            location={"latitude": "51.5072", "longitude": "-0.1276"},
            items=[
                {"unit_id": str(other_unit), "status": "sold"},  # another participant's
                {"asset_type": "beehive", "serial": "HIVE-77", "status": "sold"},
                {"asset_type": "beehive", "serial": "HIVE-1", "status": "in_use"},
                {"unit_id": str(event.items[0].unit_ids[0]), "status": "sold"},  # HIVE-1 again
            ],
        )
    ) == {
        "body.visited_on": "in_future",
        "body.location.latitude": "outside_country",
        "body.location.longitude": "outside_country",
        "body.items.0.unit_id": "unknown_unit",
        "body.items.1.serial": "unknown_unit",
        "body.items.3": "duplicate_unit",
    }
    assert await errors(report(visit, visited_on=str(event.delivered_on - timedelta(days=1)))) == {
        "body.visited_on": "before_delivery"
    }
    shape = await errors(
        report(
            visit,
            income="-1.00",
            jobs=-1,
            notes="x" * 4001,
            location={"latitude": "91", "longitude": "46"},
            items=[{"asset_type": "beehive", "status": "sold"}, {"unit_id": "x", "status": "lost"}],
        )
    )
    assert set(shape) >= {
        "body.income",
        "body.jobs",
        "body.notes",
        "body.location.latitude",
        "body.items.0",
        "body.items.1.unit_id",
        "body.items.1.status",
    }
    # Nothing was recorded.
    assert (await monitoring.client.get(url, headers=monitor)).status_code == 404
    assert other_visits  # the other participants' visits exist, untouched
    assert await written(monitoring, "monitoring.visit.reported") == []


async def test_photos_are_jpeg_or_png_within_the_size_limit(
    monitoring: Service, auth: Auth
) -> None:
    _, visits = await deliver(monitoring, auth)
    url = f"/v1/visits/{visits[0]['id']}/photos"
    monitor = auth("monitor")
    png = await monitoring.client.post(url, files={"file": ("hives.png", PNG)}, headers=monitor)
    assert png.status_code == 201, png.text
    assert png.json()["content_type"] == "image/png"
    assert png.json()["size"] == len(PNG)
    # The name says JPEG; the content decides.
    jpeg = await monitoring.client.post(url, files={"file": ("x.pdf", JPEG)}, headers=monitor)
    assert jpeg.json()["content_type"] == "image/jpeg"
    pdf = await monitoring.client.post(url, files={"file": ("hives.jpg", PDF)}, headers=monitor)
    assert pdf.status_code == 415, pdf.text
    big = await monitoring.client.post(
        url, files={"file": ("big.png", PNG + b"\x00" * 1024)}, headers=monitor
    )
    assert big.status_code == 413, big.text
    assert big.json()["type"].endswith("/payload-too-large")

    listing = await monitoring.client.get(url, headers=monitor)
    assert [p["id"] for p in listing.json()["items"]] == [png.json()["id"], jpeg.json()["id"]]
    one = await monitoring.client.get(f"{url}/{png.json()['id']}", headers=monitor)
    assert one.status_code == 200
    assert one.content == PNG
    assert one.headers["content-type"] == "image/png"
    assert (
        await monitoring.client.get(f"{url}/{uuid.uuid4()}", headers=monitor)
    ).status_code == 404
    # Analysts read figures, not pictures of people's homes.
    assert (await monitoring.client.get(url, headers=auth("analyst"))).status_code == 403


async def test_a_partner_sees_and_reports_only_its_own_participants_visits(
    monitoring: Service, auth: Auth
) -> None:
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    when = utcnow().date() - relativedelta(months=8)
    _, own = await deliver(monitoring, auth, partner_id=ours, delivered_on=when)
    _, foreign = await deliver(monitoring, auth, partner_id=theirs, delivered_on=when)
    _, ministry = await deliver(monitoring, auth, delivered_on=when)
    key = await partner_key(monitoring, ours, Scope.monitoring_read, Scope.monitoring_write)
    reader = await partner_key(monitoring, ours, Scope.monitoring_read)

    listing = await monitoring.client.get("/v1/visits", headers=key)
    assert listing.status_code == 200
    assert {v["id"] for v in listing.json()["items"]} == {v["id"] for v in own}

    mine, other = own[0], foreign[0]
    made = await monitoring.client.post(
        f"/v1/visits/{mine['id']}/report", json=report(mine), headers=key
    )
    assert made.status_code == 201, made.text
    assert made.json()["reported_by"].startswith("partner:")
    photo = await monitoring.client.post(
        f"/v1/visits/{mine['id']}/photos", files={"file": ("a.png", PNG)}, headers=key
    )
    assert photo.status_code == 201
    assert (await monitoring.client.get(f"/v1/visits/{mine['id']}", headers=key)).status_code == 200

    # Every visits endpoint answers 404 for another partner's (or the ministry's) visit.
    for visit in (other, ministry[0]):
        base = f"/v1/visits/{visit['id']}"
        correction = {k: v for k, v in report(visit).items() if k != "report_id"}
        calls = [
            monitoring.client.get(base, headers=key),
            monitoring.client.get(f"{base}/report", headers=key),
            monitoring.client.post(f"{base}/report", json=report(visit), headers=key),
            monitoring.client.put(
                f"{base}/report", json=correction, headers={**key, "If-Match": '"1"'}
            ),
            monitoring.client.post(f"{base}/photos", files={"file": ("a.png", PNG)}, headers=key),
            monitoring.client.get(f"{base}/photos", headers=key),
            monitoring.client.get(f"{base}/photos/{photo.json()['id']}", headers=key),
        ]
        for call in calls:
            response = await call
            assert response.status_code == 404, response.text
    # Reading is not reporting; staff-only endpoints are closed to partners.
    refused = await monitoring.client.post(
        f"/v1/visits/{own[1]['id']}/report", json=report(own[1]), headers=reader
    )
    assert refused.status_code == 403
    assign = await monitoring.client.post(
        f"/v1/visits/{own[1]['id']}/assign",
        json={"monitor_id": "m"},
        headers={**key, "If-Match": '"1"'},
    )
    assert assign.status_code == 403
    assert (await monitoring.client.get("/v1/monitors", headers=key)).status_code == 403


async def test_notes_and_exact_place_go_only_to_monitors_officers_and_admins(
    monitoring: Service, auth: Auth
) -> None:
    partner = uuid.uuid4()
    _, visits = await deliver(
        monitoring, auth, partner_id=partner, delivered_on=utcnow().date() - relativedelta(months=8)
    )
    visit = visits[0]
    url = f"/v1/visits/{visit['id']}/report"
    made = await monitoring.client.post(url, json=report(visit), headers=auth("monitor"))
    assert made.status_code == 201, made.text
    assert made.json()["notes"] == NOTES

    readers = {
        "monitor": auth("monitor"),
        "case_officer": auth("case_officer"),
        "admin": auth("admin"),
        "analyst": auth("analyst"),
        "partner": await partner_key(monitoring, partner, Scope.monitoring_read),
    }
    for who, headers in readers.items():
        response = await monitoring.client.get(url, headers=headers)
        assert response.status_code == 200, (who, response.text)
        body = response.json()
        if who in ("monitor", "case_officer", "admin"):
            assert body["notes"] == NOTES, who
            assert body["location"] == {"latitude": "40.682100", "longitude": "46.360600"}, who
        else:
            assert body["notes"] is None, who
            assert body["location"] is None, who
            assert "Rauf" not in response.text
            assert "40.68" not in response.text
            assert body["operating"] is True  # the coded facts stay

    # A partner's key that reports gets back its own report without them, as a reader would.
    writer = await partner_key(monitoring, partner, Scope.monitoring_read, Scope.monitoring_write)
    second = visits[1]
    sent = await monitoring.client.post(
        f"/v1/visits/{second['id']}/report", json=report(second), headers=writer
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["notes"] is None
    assert sent.json()["location"] is None
