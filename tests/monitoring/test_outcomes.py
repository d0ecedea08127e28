"""Outcomes: the last visit graduates an operating business and fails one that is not; a cancelled
enrolment drops the case out; an officer closes a case with a coded reason; a case closes once."""

from __future__ import annotations

import uuid

from shared.events import EnrollmentCancelled
from tests.events_support import publish
from tests.journey_support import eventually
from tests.monitoring.cases_support import delivered, handle, outbox, reported
from tests.service_fixtures import Auth, StartService


async def test_the_last_visit_decides_graduated_or_failed_once(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    officer = auth("case_officer")
    alive, closed_down, midway = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for participant in (alive, closed_down, midway):
        await handle(monitoring, delivered(participant))
    await handle(monitoring, reported(midway, month=6, operating=False))  # not the last visit
    last = reported(alive, month=12, operating=True)
    await handle(monitoring, last)
    await handle(monitoring, reported(closed_down, month=12, operating=False))
    # A correction of the last report does not reopen or close the case again.
    await handle(
        monitoring,
        reported(alive, visit_id=last.visit_id, month=12, operating=False, revision=2),
    )

    async def case(participant: uuid.UUID) -> dict[str, object]:
        response = await monitoring.client.get(f"/v1/cases/{participant}", headers=officer)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    graduated = await case(alive)
    assert (graduated["status"], graduated["outcome"], graduated["close_reason"]) == (
        "closed",
        "graduated",
        "operating_at_12_months",
    )
    assert graduated["closed_on"] == "2026-05-02"
    failed = await case(closed_down)
    assert (failed["outcome"], failed["close_reason"]) == ("failed", "not_operating_at_12_months")
    assert (await case(midway))["status"] == "open"

    events = await outbox(monitoring, "monitoring.case.closed")
    assert sorted((e["participant_id"], e["outcome"], e["reason"]) for e in events) == sorted(
        [
            (str(alive), "graduated", "operating_at_12_months"),
            (str(closed_down), "failed", "not_operating_at_12_months"),
        ]
    )
    by_outcome = await monitoring.client.get("/v1/cases?outcome=graduated", headers=officer)
    assert [c["participant_id"] for c in by_outcome.json()["items"]] == [str(alive)]
    still_open = await monitoring.client.get("/v1/cases?status=open", headers=officer)
    assert [c["participant_id"] for c in still_open.json()["items"]] == [str(midway)]


async def test_a_cancelled_enrolment_drops_the_open_case_out(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    officer = auth("case_officer")
    leaving, graduated = uuid.uuid4(), uuid.uuid4()
    await handle(monitoring, delivered(leaving))
    await handle(monitoring, delivered(graduated))
    await handle(monitoring, reported(graduated, month=12, operating=True))
    # intake's event, over NATS, through monitoring's consumer of intake's stream.
    await publish(monitoring, EnrollmentCancelled(participant_id=leaving, reason="withdrew"))
    await publish(monitoring, EnrollmentCancelled(participant_id=graduated, reason="withdrew"))

    async def dropped() -> dict[str, object] | None:
        body: dict[str, object] = (
            await monitoring.client.get(f"/v1/cases/{leaving}", headers=officer)
        ).json()
        return body if body["status"] == "closed" else None

    case = await eventually(dropped, "the case dropped out")
    assert (case["outcome"], case["close_reason"]) == ("dropped_out", "withdrew")

    async def both_closed_events() -> list[dict[str, object]] | None:
        events = await outbox(monitoring, "monitoring.case.closed")
        return events if len(events) == 2 else None

    events = await eventually(both_closed_events, "two closings")
    # The graduated case stays graduated: a closed case is not closed again.
    assert sorted((e["participant_id"], e["outcome"]) for e in events) == sorted(
        [(str(leaving), "dropped_out"), (str(graduated), "graduated")]
    )

    async def second_cancellation_handled() -> bool:
        consumer = next(
            c for c in monitoring.runtime.consumers if c.name == "monitoring-from-intake"
        )
        info = await monitoring.runtime.nc.jetstream().consumer_info(
            f"{monitoring.settings.nats_namespace.upper()}_INTAKE", consumer.durable
        )
        return bool(info.ack_floor.stream_seq == 2)

    await eventually(second_cancellation_handled, "the second cancellation handled")
    assert len(await outbox(monitoring, "monitoring.case.closed")) == 2
    kept = (await monitoring.client.get(f"/v1/cases/{graduated}", headers=officer)).json()
    assert kept["outcome"] == "graduated"


async def test_an_officer_closes_a_case_with_a_coded_reason_once(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    officer = auth("case_officer", subject="officer-1")
    participant = uuid.uuid4()
    await handle(monitoring, delivered(participant))
    url = f"/v1/cases/{participant}/close"
    body = {"outcome": "dropped_out", "reason": "moved_away", "closed_on": "2026-06-01"}

    assert (await monitoring.client.post(url, json=body, headers=officer)).status_code == 428
    stale = await monitoring.client.post(url, json=body, headers={**officer, "If-Match": '"9"'})
    assert stale.status_code == 412
    mismatch = await monitoring.client.post(
        url,
        json={"outcome": "graduated", "reason": "moved_away"},
        headers={**officer, "If-Match": '"1"'},
    )
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["field"] == "body.reason"
    monitor = await monitoring.client.post(
        url, json=body, headers={**auth("monitor"), "If-Match": '"1"'}
    )
    assert monitor.status_code == 403

    closed = await monitoring.client.post(url, json=body, headers={**officer, "If-Match": '"1"'})
    assert closed.status_code == 200, closed.text
    assert closed.headers["etag"] == '"2"'
    assert (closed.json()["outcome"], closed.json()["close_reason"]) == (
        "dropped_out",
        "moved_away",
    )
    again = await monitoring.client.post(
        url,
        json={"outcome": "failed", "reason": "business_closed"},
        headers={**officer, "If-Match": '"2"'},
    )
    assert again.status_code == 409
    assert again.json()["current_state"] == "dropped_out"
    # A last visit reported afterwards changes nothing either.
    await handle(monitoring, reported(participant, month=12, operating=True))
    events = await outbox(monitoring, "monitoring.case.closed")
    assert events == [
        {
            "participant_id": str(participant),
            "outcome": "dropped_out",
            "reason": "moved_away",
            "closed_on": "2026-06-01",
        }
    ]


async def test_a_cancellation_heard_before_the_handover_drops_the_case_out(
    start_service: StartService, auth: Auth
) -> None:
    """Intake's stream and assets' are not ordered with each other: monitoring can hear of a
    cancelled enrolment before the handover made while it stood."""
    monitoring = await start_service("monitoring")
    officer = auth("case_officer")
    leaving, staying = uuid.uuid4(), uuid.uuid4()
    await handle(monitoring, EnrollmentCancelled(participant_id=leaving, reason="withdrew"))
    await handle(monitoring, delivered(leaving))
    await handle(monitoring, delivered(leaving))  # the handover again: nothing new
    await handle(monitoring, delivered(staying))

    case = (await monitoring.client.get(f"/v1/cases/{leaving}", headers=officer)).json()
    assert (case["status"], case["outcome"], case["close_reason"]) == (
        "closed",
        "dropped_out",
        "enrollment_cancelled",
    )
    kept = (await monitoring.client.get(f"/v1/cases/{staying}", headers=officer)).json()
    assert kept["status"] == "open"
    events = await outbox(monitoring, "monitoring.case.closed")
    assert [(e["participant_id"], e["outcome"]) for e in events] == [(str(leaving), "dropped_out")]

    async def visits_cancelled() -> list[str] | None:
        response = await monitoring.client.get(
            f"/v1/visits?participant_id={leaving}", headers=officer
        )
        statuses = [visit["status"] for visit in response.json()["items"]]
        return statuses if statuses and set(statuses) == {"cancelled"} else None

    await eventually(visits_cancelled, "the dropped-out case's visits cancelled")
