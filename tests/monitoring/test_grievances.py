"""Grievances and appeals: lodged by a case officer or the referring partner, with deadlines from
the settings, taken through assign, acknowledge and resolve with If-Match, announced, and
escalated when a deadline passes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from monitoring.grievances.models import Grievance
from monitoring.grievances.service import escalate_overdue
from shared.db import utcnow
from shared.events import IntakeDecisionReversed, PlansDecisionRecorded
from tests.events_support import copied_partner_key
from tests.monitoring.cases_support import handle, outbox
from tests.monitoring.grievances_support import appeal, decided, enrolled, grievance, lodged
from tests.service_fixtures import Auth, Service


@pytest.fixture
def monitoring_settings() -> dict[str, Any]:
    return {
        "grievance_acknowledge_days": 2,
        "grievance_resolve_days": 20,
        "appeal_resolve_days": 10,
    }


async def test_an_officer_lodges_a_grievance_whose_text_stays_in_monitoring(
    monitoring: Service, auth: Auth
) -> None:
    participant = await enrolled(monitoring)
    response = await monitoring.client.post(
        "/v1/grievances",
        json=grievance(participant),
        headers=auth("case_officer", subject="officer-1", **{"Idempotency-Key": "g-1"}),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/grievances/{body['id']}"
    assert response.headers["etag"] == '"1"'
    today = utcnow().date()
    assert body["status"] == "lodged"
    assert body["acknowledge_by"] == str(today + timedelta(days=2))
    assert body["resolve_by"] == str(today + timedelta(days=20))
    assert (body["owner_role"], body["escalation_level"], body["channel"]) == (
        "case_officer",
        0,
        "office",
    )
    assert body["description"] == "The monitor did not come on the agreed day"
    # Sent again with its key: the same grievance, lodged once.
    replay = await monitoring.client.post(
        "/v1/grievances",
        json=grievance(participant),
        headers=auth("case_officer", subject="officer-1", **{"Idempotency-Key": "g-1"}),
    )
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == body["id"]
    [event] = await outbox(monitoring, "monitoring.grievance.lodged")
    assert event["grievance_id"] == body["id"]
    assert event["category"] == "service_complaint"
    assert "description" not in event
    assert "agreed day" not in str(event)


async def test_an_appeal_names_a_decision_it_may_still_appeal(
    monitoring: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    participant, other = await enrolled(monitoring), await enrolled(monitoring)
    decision = await decided(monitoring, participant, announce=PlansDecisionRecorded,
                             kind="plan_rejected", reason="unrealistic_income")  # fmt: skip
    expired = await decided(monitoring, participant, decided_at=utcnow() - timedelta(days=40))
    reversed_ = await decided(monitoring, participant)
    await handle(
        monitoring,
        IntakeDecisionReversed(
            decision_id=reversed_,
            application_id=participant,
            grievance_id=uuid.uuid4(),
            effect="exclusion_lifted",
            reversed_at=utcnow(),
        ),
    )

    async def refused(body: dict[str, Any]) -> tuple[str, str]:
        response = await monitoring.client.post("/v1/grievances", json=body, headers=officer)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        return error["field"], error["code"]

    no_decision = {**appeal(participant, decision), "decision_id": None}
    assert await refused(no_decision) == ("body.decision_id", "appeal_needs_decision")
    wrong_category = appeal(participant, decision, category="data_error")
    assert await refused(wrong_category) == ("body.category", "appeal_needs_decision")
    assert await refused(appeal(other, decision)) == ("body.decision_id", "unknown_decision")
    assert await refused(appeal(participant, uuid.uuid4())) == (
        "body.decision_id",
        "unknown_decision",
    )
    assert await refused(appeal(participant, reversed_)) == (
        "body.decision_id",
        "decision_reversed",
    )
    assert await refused(appeal(participant, expired)) == ("body.decision_id", "appeal_period_over")
    with_decision = grievance(participant, decision_id=str(decision))
    assert await refused(with_decision) == ("body.decision_id", "decision_only_for_appeals")
    assert await refused(grievance(participant, category="decision")) == (
        "body.category",
        "decision_only_for_appeals",
    )
    assert (await refused(grievance(participant, description="x" * 4001)))[0] == "body.description"
    assert (await refused(grievance(participant, channel="fax")))[0] == "body.channel"

    body = await lodged(monitoring, officer, appeal(participant, decision))
    assert (body["decision_id"], body["decision_service"]) == (str(decision), "plans")
    assert body["resolve_by"] == str(utcnow().date() + timedelta(days=10))
    [event] = await outbox(monitoring, "monitoring.grievance.lodged")
    assert (event["grievance_type"], event["decision_service"]) == ("appeal", "plans")


async def test_who_may_lodge_and_a_partner_only_for_its_referrals(
    monitoring: Service, auth: Auth
) -> None:
    partner, other_partner = uuid.uuid4(), uuid.uuid4()
    mine = await enrolled(monitoring, partner)
    theirs = await enrolled(monitoring, other_partner)
    key = await copied_partner_key(monitoring, partner, "monitoring:write", "monitoring:read")
    reader = await copied_partner_key(monitoring, partner, "monitoring:read")

    body = await lodged(monitoring, key, grievance(mine, channel="office"))
    assert (body["channel"], body["partner_id"]) == ("partner", str(partner))
    for application in (theirs, uuid.uuid4()):  # another's referral looks like an unknown one
        response = await monitoring.client.post(
            "/v1/grievances", json=grievance(application), headers=key
        )
        assert response.status_code == 404, response.text
    unknown = await monitoring.client.post(
        "/v1/grievances", json=grievance(uuid.uuid4()), headers=auth("case_officer")
    )
    assert unknown.status_code == 404
    for headers in (reader, auth("monitor"), auth("analyst")):
        response = await monitoring.client.post(
            "/v1/grievances", json=grievance(mine), headers=headers
        )
        assert response.status_code == 403, response.text

    # Reads: the partner sees its own only, another partner's is a 404.
    theirs_lodged = await lodged(monitoring, auth("case_officer"), grievance(theirs))
    listed = await monitoring.client.get("/v1/grievances", headers=reader)
    assert [g["id"] for g in listed.json()["items"]] == [body["id"]]
    hidden = await monitoring.client.get(f"/v1/grievances/{theirs_lodged['id']}", headers=reader)
    assert hidden.status_code == 404
    shown = await monitoring.client.get(f"/v1/grievances/{body['id']}", headers=reader)
    assert shown.status_code == 200
    assert shown.headers["etag"] == '"1"'
    # Partners do not handle grievances.
    ack = await monitoring.client.post(
        f"/v1/grievances/{body['id']}/acknowledge", headers={**key, "If-Match": '"1"'}
    )
    assert ack.status_code == 403


async def test_assign_acknowledge_and_resolve_take_if_match_and_follow_the_states(
    monitoring: Service, auth: Auth
) -> None:
    officer = auth("case_officer", subject="officer-9")
    participant = await enrolled(monitoring)
    decision = await decided(monitoring, participant)
    body = await lodged(monitoring, officer, appeal(participant, decision))
    url = f"/v1/grievances/{body['id']}"

    async def post(step: str, etag: str | None, json: Any = None, **headers: str) -> Any:
        extra = {"If-Match": etag} if etag else {}
        return await monitoring.client.post(
            f"{url}/{step}", json=json, headers={**(headers or officer), **extra}
        )

    assert (await post("acknowledge", None)).status_code == 428
    assert (await post("acknowledge", '"7"')).status_code == 412
    assert (await post("assign", '"1"', {}, **auth("analyst"))).status_code == 403
    assigned = await post("assign", '"1"', {})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["owner_id"] == "officer-9"
    acknowledged = await post("acknowledge", assigned.headers["etag"])
    assert acknowledged.json()["status"] == "acknowledged"
    again = await post("acknowledge", acknowledged.headers["etag"])
    assert again.status_code == 409
    assert again.json()["current_state"] == "acknowledged"
    bad = await post("resolve", acknowledged.headers["etag"], {"outcome": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.outcome"
    resolved = await post(
        "resolve", acknowledged.headers["etag"], {"outcome": "upheld", "note": "hive in use"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["outcome"]) == ("resolved", "upheld")
    for step, json in (("resolve", {"outcome": "dismissed"}), ("assign", {})):
        late = await post(step, resolved.headers["etag"], json)
        assert late.status_code == 409
        assert late.json()["current_state"] == "resolved"

    [ack_event] = await outbox(monitoring, "monitoring.grievance.acknowledged")
    assert ack_event["grievance_id"] == body["id"]
    [event] = await outbox(monitoring, "monitoring.grievance.resolved")
    assert (event["outcome"], event["grievance_type"]) == ("upheld", "appeal")
    assert (event["decision_id"], event["decision_service"]) == (str(decision), "intake")
    assert "hive in use" not in str(event)


async def test_lists_filter_and_page(monitoring: Service, auth: Auth) -> None:
    officer = auth("case_officer", subject="officer-4")
    participant = await enrolled(monitoring)
    complaint = await lodged(monitoring, officer, grievance(participant))
    fraud = await lodged(monitoring, officer, grievance(participant, category="suspected_fraud"))
    await monitoring.client.post(
        f"/v1/grievances/{fraud['id']}/assign", json={}, headers={**officer, "If-Match": '"1"'}
    )

    async def ids(query: str) -> list[str]:
        response = await monitoring.client.get(f"/v1/grievances?{query}", headers=officer)
        assert response.status_code == 200, response.text
        return [g["id"] for g in response.json()["items"]]

    assert await ids("") == [complaint["id"], fraud["id"]]
    assert await ids("category=suspected_fraud") == [fraud["id"]]
    assert await ids("owner=me") == [fraud["id"]]
    assert await ids("owner_id=officer-4") == [fraud["id"]]
    assert await ids(f"application_id={participant}&status=lodged") == [
        complaint["id"],
        fraud["id"],
    ]
    assert await ids("type=appeal") == []
    assert await ids("overdue=true") == []
    first = await monitoring.client.get("/v1/grievances?limit=1", headers=officer)
    cursor = first.json()["next_cursor"]
    assert await ids(f"limit=1&cursor={cursor}") == [fraud["id"]]
    bad = await monitoring.client.get("/v1/grievances?status=open", headers=officer)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.status"


async def test_a_passed_deadline_escalates_once_per_deadline(
    monitoring: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    participant = await enrolled(monitoring)
    body = await lodged(monitoring, officer, grievance(participant))
    grievance_id = uuid.UUID(body["id"])
    now = utcnow()

    async def escalate(at: Any) -> int:
        async with monitoring.runtime.sessionmaker() as session, session.begin():
            return await escalate_overdue(session, at)

    async def state() -> tuple[int, str]:
        async with monitoring.runtime.sessionmaker() as session:
            row = await session.scalar(select(Grievance).where(Grievance.id == grievance_id))
            assert row is not None
            return row.escalation_level, row.owner_role

    assert await escalate(now + timedelta(days=2)) == 0  # on the day itself, not yet
    assert await escalate(now + timedelta(days=3)) == 1
    assert await state() == (1, "admin")
    assert await escalate(now + timedelta(days=4)) == 0  # the acknowledge deadline, once
    # The list answers as of today, when no deadline has passed yet: escalated, not overdue.
    listed = await monitoring.client.get("/v1/grievances?overdue=false", headers=officer)
    assert [(g["id"], g["escalation_level"]) for g in listed.json()["items"]] == [(body["id"], 1)]
    assert await escalate(now + timedelta(days=21)) == 1  # then the resolve deadline
    assert await escalate(now + timedelta(days=30)) == 0
    assert await state() == (2, "admin")
    events = await outbox(monitoring, "monitoring.grievance.escalated")
    assert [(e["deadline"], e["level"]) for e in events] == [("acknowledge", 1), ("resolve", 2)]


async def test_the_grievance_report_counts_and_withholds_small_cells(
    monitoring: Service, auth: Auth
) -> None:
    officer, analyst = auth("case_officer"), auth("analyst")
    participant = await enrolled(monitoring)
    lodged_ids = [
        (await lodged(monitoring, officer, grievance(participant)))["id"] for _ in range(5)
    ]
    decision = await decided(monitoring, participant)
    await lodged(monitoring, officer, appeal(participant, decision))
    # Lodged 1 to 5 days ago, each resolved now.
    async with monitoring.runtime.sessionmaker() as session, session.begin():
        for days, grievance_id in enumerate(lodged_ids, start=1):
            row = await session.get(Grievance, uuid.UUID(grievance_id))
            assert row is not None
            row.lodged_at = utcnow() - timedelta(days=days)
    for grievance_id in lodged_ids:
        resolved = await monitoring.client.post(
            f"/v1/grievances/{grievance_id}/resolve",
            json={"outcome": "resolved"},
            headers={**officer, "If-Match": '"2"'},
        )
        assert resolved.status_code == 200, resolved.text

    exact = await monitoring.client.get("/v1/reports/grievances", headers=analyst)
    assert exact.status_code == 200, exact.text
    report = exact.json()
    assert (report["lodged"], report["resolved"], report["suppressed_below"]) == (6, 5, None)
    assert report["median_days_to_resolve"] == 3.0
    assert report["p90_days_to_resolve"] == 4.6
    counts = {(c["by"], c["group"]): c["count"] for c in report["counts"]}
    assert counts == {
        ("type", "appeal"): 1,
        ("type", "grievance"): 5,
        ("category", "decision"): 1,
        ("category", "service_complaint"): 5,
        ("outcome", "open"): 1,
        ("outcome", "resolved"): 5,
    }

    public = await monitoring.client.get("/v1/reports/grievances?audience=public", headers=analyst)
    shown = public.json()
    assert (shown["lodged"], shown["resolved"], shown["suppressed_below"]) == (6, None, 5)
    # 5 resolved of 6 would show the one still open; its days go with it.
    assert shown["suppressed"] == ["median_days_to_resolve", "p90_days_to_resolve", "resolved"]
    # The one appeal is withheld, and so is the other type's 5, which would give it away.
    assert {(c["by"], c["group"]): c["count"] for c in shown["counts"]} == dict.fromkeys(counts)

    period = await monitoring.client.get(
        f"/v1/reports/grievances?from={utcnow().date() + timedelta(days=1)}", headers=analyst
    )
    assert (period.json()["lodged"], period.json()["counts"]) == (0, [])
    bad = await monitoring.client.get(
        "/v1/reports/grievances?from=2027-02-01&to=2027-01-01", headers=analyst
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.to"
    for headers in (officer, auth("monitor")):
        refused = await monitoring.client.get("/v1/reports/grievances", headers=headers)
        assert refused.status_code == 403
    csv = await monitoring.client.get("/v1/reports/grievances?format=csv", headers=analyst)
    assert csv.status_code == 200
    assert "appeal" in csv.text
