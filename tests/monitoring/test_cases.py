"""Cases: opened once by the first handover, with what the plan expects whatever order the events
arrive in; listed with filters; a partner sees its own only."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from shared.db import utcnow
from tests.events_support import publish
from tests.journey_support import eventually
from tests.monitoring.cases_support import approved, delivered, flags, handle, partner_key, reported
from tests.service_fixtures import Auth, StartService


async def test_the_first_handover_opens_one_case_with_the_plans_expectations(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    officer = auth("case_officer")
    early, late = uuid.uuid4(), uuid.uuid4()
    # The plan's approval arrives before the handover for one, after it for the other.
    await handle(monitoring, approved(early, "300.00"))
    await handle(monitoring, delivered(early, direction="poultry"))
    await handle(monitoring, delivered(late, region="AZ-BA"))
    await handle(monitoring, approved(late, "450.00"))
    # A second, later delivery (a partial handover) opens nothing new and moves nothing.
    await handle(monitoring, delivered(early, region="AZ-BA", delivered_on=date(2026, 3, 1)))
    # An older approval arriving late does not replace the newer one.
    stale = approved(late, "10.00", approved_at=utcnow() - timedelta(days=30))
    await handle(monitoring, stale)

    case = await monitoring.client.get(f"/v1/cases/{early}", headers=officer)
    assert case.status_code == 200, case.text
    assert case.headers["etag"] == '"1"'
    body = case.json()
    assert (body["region"], body["direction"], body["delivered_on"]) == (
        "AZ-GA",
        "poultry",
        "2026-01-31",
    )
    assert (body["status"], body["outcome"], body["open_flags"]) == ("open", None, [])
    assert [row["month"] for row in body["expected"]] == list(range(1, 13))
    assert {row["income"] for row in body["expected"]} == {"300.00"}
    other = (await monitoring.client.get(f"/v1/cases/{late}", headers=officer)).json()
    assert {row["income"] for row in other["expected"]} == {"450.00"}

    listing = await monitoring.client.get("/v1/cases", headers=officer)
    assert listing.status_code == 200, listing.text
    assert sorted(c["participant_id"] for c in listing.json()["items"]) == sorted(
        [str(early), str(late)]
    )
    by_region = await monitoring.client.get("/v1/cases?region=AZ-BA", headers=officer)
    assert [c["participant_id"] for c in by_region.json()["items"]] == [str(late)]
    by_direction = await monitoring.client.get("/v1/cases?direction=poultry", headers=officer)
    assert [c["participant_id"] for c in by_direction.json()["items"]] == [str(early)]
    closed = await monitoring.client.get("/v1/cases?status=closed", headers=officer)
    assert closed.json()["items"] == []
    missing = await monitoring.client.get(f"/v1/cases/{uuid.uuid4()}", headers=officer)
    assert missing.status_code == 404
    assert (await monitoring.client.get("/v1/cases")).status_code == 401


async def test_the_plans_expectations_arrive_over_nats_in_either_order(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    officer = auth("case_officer")
    participant = uuid.uuid4()
    await publish(monitoring, delivered(participant))
    await publish(monitoring, approved(participant, "200.00"))

    async def expected() -> list[object] | None:
        response = await monitoring.client.get(f"/v1/cases/{participant}", headers=officer)
        if response.status_code != 200:
            return None
        rows: list[object] = response.json()["expected"]
        return rows or None

    rows = await eventually(expected, "the case with its expectations")
    assert len(rows) == 12


async def test_a_partner_sees_only_its_own_cases_and_flags(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    partner_id, key = await partner_key(monitoring)
    _, other_key = await partner_key(monitoring)
    ours, theirs, ministry = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await handle(monitoring, delivered(ours, partner_id=partner_id))
    await handle(monitoring, delivered(theirs, partner_id=uuid.uuid4()))
    await handle(monitoring, delivered(ministry))
    for participant in (ours, theirs, ministry):
        await handle(monitoring, reported(participant, operating=False))

    listing = await monitoring.client.get("/v1/cases", headers=key)
    assert listing.status_code == 200, listing.text
    assert [c["participant_id"] for c in listing.json()["items"]] == [str(ours)]
    assert (await monitoring.client.get(f"/v1/cases/{ours}", headers=key)).status_code == 200
    for hidden in (theirs, ministry):
        response = await monitoring.client.get(f"/v1/cases/{hidden}", headers=key)
        assert response.status_code == 404
    assert (await monitoring.client.get("/v1/cases", headers=other_key)).json()["items"] == []

    own_flags = await flags(monitoring, key)
    assert [f["participant_id"] for f in own_flags] == [str(ours)]
    staff_flags = await flags(monitoring, auth("case_officer"), "rule=not_operating")
    assert len(staff_flags) == 3
    foreign = next(f for f in staff_flags if f["participant_id"] == str(theirs))
    assert (
        await monitoring.client.get(f"/v1/flags/{foreign['id']}", headers=key)
    ).status_code == 404
    assert (
        await monitoring.client.get(f"/v1/flags/{own_flags[0]['id']}", headers=key)
    ).status_code == 200
    filtered = await flags(monitoring, key, f"participant_id={theirs}")
    assert filtered == []

    # Partners read; they change nothing.
    rule = await monitoring.client.get("/v1/flag-rules/not_operating", headers=key)
    assert rule.status_code == 200
    changes = [
        monitoring.client.put(
            "/v1/flag-rules/not_operating",
            json={"parameters": {}, "actions": [], "owner_role": "monitor", "active": False},
            headers={**key, "If-Match": rule.headers["etag"]},
        ),
        monitoring.client.post(
            f"/v1/cases/{ours}/close",
            json={"outcome": "dropped_out", "reason": "withdrew"},
            headers={**key, "If-Match": '"1"'},
        ),
        monitoring.client.post(
            f"/v1/flags/{own_flags[0]['id']}/resolve",
            json={"resolution": "no_action"},
            headers={**key, "If-Match": '"1"'},
        ),
        monitoring.client.post("/v1/flags/overdue-check", headers=key),
    ]
    for change in changes:
        assert (await change).status_code == 403
