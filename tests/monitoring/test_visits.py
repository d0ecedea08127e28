"""Visits: scheduling on a handover, assignment to monitors by region and load, due and overdue
lists, and a closed case cancelling what is left."""

from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from monitoring.visits.models import VisitUnit
from shared.db import utcnow
from tests.monitoring.visits_support import (
    apply,
    close_case,
    deliver,
    delivery,
    put_monitor,
    visits_of,
)
from tests.service_fixtures import Auth, Service


async def test_a_handover_schedules_a_year_of_visits_with_the_least_loaded_monitor(
    monitoring: Service, auth: Auth
) -> None:
    await put_monitor(monitoring, auth, "m-b", "AZ-GA", "AZ-BA")
    await put_monitor(monitoring, auth, "m-a", "AZ-GA")
    await put_monitor(monitoring, auth, "m-c", "AZ-BA")

    first, visits = await deliver(monitoring, auth, region="AZ-GA")
    assert [(v["month"], v["due_on"]) for v in visits] == [
        (1, "2026-02-28"),  # a month after 31 January is the end of February
        (3, "2026-04-30"),
        (6, "2026-07-31"),
        (12, "2027-01-31"),
    ]
    assert {v["status"] for v in visits} == {"scheduled"}
    # m-a and m-b both have nothing yet: the smaller id; one participant, one monitor.
    assert {v["monitor_id"] for v in visits} == {"m-a"}
    _, second = await deliver(monitoring, auth, region="AZ-GA")
    assert {v["monitor_id"] for v in second} == {"m-b"}
    _, third = await deliver(monitoring, auth, region="AZ-GA")
    assert {v["monitor_id"] for v in third} == {"m-a"}  # 4 and 4 open: the smaller id again
    _, baku = await deliver(monitoring, auth, region="AZ-BA")
    assert {v["monitor_id"] for v in baku} == {"m-c"}  # m-b has 4 already

    # The same event applied again changes nothing.
    await apply(monitoring, first)
    assert len(await visits_of(monitoring, auth, first.participant_id)) == 4


async def test_a_later_partial_delivery_adds_units_but_no_visits(
    monitoring: Service, auth: Auth
) -> None:
    first, visits = await deliver(monitoring, auth, serials=("HIVE-1",))
    later = delivery(
        participant_id=first.participant_id,
        delivered_on=first.delivered_on + timedelta(days=20),
        serials=("HIVE-9",),
    )
    await apply(monitoring, later)
    after = await visits_of(monitoring, auth, first.participant_id)
    assert [(v["id"], v["due_on"]) for v in after] == [(v["id"], v["due_on"]) for v in visits]
    assert {v["delivery_id"] for v in after} == {str(first.delivery_id)}
    async with monitoring.runtime.sessionmaker() as session:
        units = (
            await session.scalars(
                select(VisitUnit).where(VisitUnit.participant_id == first.participant_id)
            )
        ).all()
    assert sorted((u.serial, u.status, str(u.delivery_id)) for u in units) == [
        ("HIVE-1", "in_use", str(first.delivery_id)),
        ("HIVE-9", "in_use", str(later.delivery_id)),
    ]
    assert {u.id for u in units} == {*first.items[0].unit_ids, *later.items[0].unit_ids}


async def test_waiting_visits_go_to_a_monitor_added_later_and_leave_one_taken_off(
    monitoring: Service, auth: Auth
) -> None:
    event, visits = await deliver(monitoring, auth, region="AZ-SKR")
    assert {v["monitor_id"] for v in visits} == {None}

    added = await put_monitor(monitoring, auth, "m-shaki", "AZ-SKR")
    assert added["open_visits"] == 4
    assert {v["monitor_id"] for v in await visits_of(monitoring, auth, event.participant_id)} == {
        "m-shaki"
    }
    await put_monitor(monitoring, auth, "m-other", "AZ-SKR")

    url = "/v1/monitors/m-shaki"
    change = {"regions": ["AZ-SKR"], "active": False}
    missing = await monitoring.client.put(url, json=change, headers=auth("admin"))
    assert missing.status_code == 428, missing.text
    stale = await monitoring.client.put(
        url, json=change, headers=auth("admin", **{"If-Match": '"9"'})
    )
    assert stale.status_code == 412, stale.text
    current = await monitoring.client.get(url, headers=auth("case_officer"))
    off = await monitoring.client.put(
        url, json=change, headers=auth("admin", **{"If-Match": current.headers["etag"]})
    )
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False
    assert off.json()["open_visits"] == 0
    # Its visits went to the region's other monitor.
    assert {v["monitor_id"] for v in await visits_of(monitoring, auth, event.participant_id)} == {
        "m-other"
    }
    listing = await monitoring.client.get(
        "/v1/monitors?region=AZ-SKR&active=true", headers=auth("case_officer")
    )
    assert [(m["id"], m["open_visits"]) for m in listing.json()["items"]] == [("m-other", 4)]
    refused = await monitoring.client.put(url, json=change, headers=auth("case_officer"))
    assert refused.status_code == 403


async def test_due_and_overdue_lists_per_monitor_and_region(
    monitoring: Service, auth: Auth
) -> None:
    today = utcnow().date()
    await put_monitor(monitoring, auth, "m-ganja", "AZ-GA")
    await put_monitor(monitoring, auth, "m-baku", "AZ-BA")
    # Month 1 due 5 days ago: overdue (and due).
    overdue, _ = await deliver(
        monitoring,
        auth,
        region="AZ-GA",
        delivered_on=today - relativedelta(months=1) - timedelta(days=5),
    )
    # Month 1 due in 7 days: due, not overdue.
    soon, _ = await deliver(
        monitoring,
        auth,
        region="AZ-GA",
        delivered_on=today - relativedelta(months=1) + timedelta(days=7),
    )
    # Month 1 due in 20 days: neither.
    await deliver(
        monitoring,
        auth,
        region="AZ-GA",
        delivered_on=today - relativedelta(months=1) + timedelta(days=20),
    )
    # Another region's overdue visit.
    baku, _ = await deliver(
        monitoring,
        auth,
        region="AZ-BA",
        delivered_on=today - relativedelta(months=1) - timedelta(days=2),
    )

    async def listed(query: str, **headers: str) -> list[tuple[str, int]]:
        response = await monitoring.client.get(f"/v1/visits?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [(v["participant_id"], v["month"]) for v in response.json()["items"]]

    me = auth("monitor", subject="m-ganja")
    assert await listed("monitor=me&due=overdue", **me) == [(str(overdue.participant_id), 1)]
    assert await listed("monitor=me&due=due", **me) == [
        (str(overdue.participant_id), 1),
        (str(soon.participant_id), 1),
    ]
    officer = auth("case_officer")
    assert await listed("region=AZ-BA&due=overdue", **officer) == [(str(baku.participant_id), 1)]
    assert await listed("due=overdue", **officer) == [
        (str(overdue.participant_id), 1),
        (str(baku.participant_id), 1),
    ]
    assert await listed("monitor=m-baku&status=scheduled&limit=2", **officer) == [
        (str(baku.participant_id), 1),
        (str(baku.participant_id), 3),
    ]
    bad = await monitoring.client.get("/v1/visits?due=someday&region=Baku", headers=officer)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"query.due", "query.region"}


async def test_an_officer_reassigns_a_scheduled_visit_with_if_match(
    monitoring: Service, auth: Auth
) -> None:
    await put_monitor(monitoring, auth, "m-1", "AZ-GA")
    await put_monitor(monitoring, auth, "m-2", "AZ-BA")
    _, visits = await deliver(monitoring, auth, region="AZ-GA")
    url = f"/v1/visits/{visits[0]['id']}"
    officer = auth("case_officer")
    read = await monitoring.client.get(url, headers=officer)
    assert read.headers["etag"] == f'"{read.json()["version"]}"'

    missing = await monitoring.client.post(
        f"{url}/assign", json={"monitor_id": "m-2"}, headers=officer
    )
    assert missing.status_code == 428
    unknown = await monitoring.client.post(
        f"{url}/assign",
        json={"monitor_id": "nobody"},
        headers={**officer, "If-Match": read.headers["etag"]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.monitor_id"
    moved = await monitoring.client.post(
        f"{url}/assign",
        json={"monitor_id": "m-2"},
        headers={**officer, "If-Match": read.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["monitor_id"] == "m-2"
    again = await monitoring.client.post(
        f"{url}/assign",
        json={"monitor_id": "m-1"},
        headers={**officer, "If-Match": read.headers["etag"]},
    )
    assert again.status_code == 412
    monitor = await monitoring.client.post(
        f"{url}/assign",
        json={"monitor_id": "m-1"},
        headers=auth("monitor", **{"If-Match": moved.headers["etag"]}),
    )
    assert monitor.status_code == 403


async def test_a_closed_case_cancels_the_visits_not_made(monitoring: Service, auth: Auth) -> None:
    today = utcnow().date()
    event, visits = await deliver(monitoring, auth, delivered_on=today - relativedelta(months=7))
    first = visits[0]
    made = await monitoring.client.post(
        f"/v1/visits/{first['id']}/report",
        json={
            "report_id": "2f0e3f3c-8d7a-4b1c-9e5f-1a2b3c4d5e6f",
            "visited_on": first["due_on"],
            "operating": True,
        },
        headers=auth("monitor"),
    )
    assert made.status_code == 201, made.text
    closed_on = today - timedelta(days=30)
    await close_case(monitoring, event.participant_id, closed_on)
    await close_case(monitoring, event.participant_id, closed_on)  # applied twice: the same
    after = await visits_of(monitoring, auth, event.participant_id)
    assert [(v["month"], v["status"]) for v in after] == [
        (1, "reported"),
        (3, "cancelled"),
        (6, "cancelled"),
        (12, "cancelled"),
    ]
    # A visit made before the case closed may still be reported; one after it may not.
    three, six = after[1], after[2]
    before = await monitoring.client.post(
        f"/v1/visits/{three['id']}/report",
        json={
            "report_id": "3a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "visited_on": str(closed_on - timedelta(days=1)),
            "operating": False,
        },
        headers=auth("monitor"),
    )
    assert before.status_code == 201, before.text
    too_late = await monitoring.client.post(
        f"/v1/visits/{six['id']}/report",
        json={
            "report_id": "4b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
            "visited_on": str(closed_on + timedelta(days=1)),
            "operating": True,
        },
        headers=auth("monitor"),
    )
    assert too_late.status_code == 409, too_late.text
    assert too_late.json()["current_state"] == "cancelled"
