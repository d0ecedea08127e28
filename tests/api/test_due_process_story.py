"""A family whose hive went missing: a field report proposes exclusion, a person decides, the
partner appeals for the family, the appeal is upheld and the exclusion is lifted. The four
services run in one process; every step's event and the timeline are checked, and no event or
log line carries the person's data."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from shared.events import EVENT_TYPES
from tests.api.partner_keys_support import referring_partner
from tests.events_support import announced
from tests.journey_support import APPLICANT, Headers, eventually, run_journey
from tests.service_fixtures import Auth, Service, StartService

PERSONAL = ("5ABC7DE", "Aygün", "Məmmədova", "1988-04-12", "+994501234567")  # APPLICANT's


def if_match(response: httpx.Response) -> dict[str, str]:
    return {"If-Match": response.headers["etag"]}


async def test_a_missing_hive_is_decided_by_people_and_an_upheld_appeal_lifts_the_exclusion(
    start_service: StartService, auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    intake = await start_service("intake")
    plans = await start_service("plans")
    assets = await start_service("assets")
    monitoring = await start_service("monitoring")
    _, partner = await referring_partner(intake, auth)

    def token(role: str, subject: str) -> Headers:
        return auth(role, subject=subject)

    officer = token("case_officer", "officer-1")
    monitor = token("monitor", "monitor-1")

    async def partner_key_known() -> bool:
        response = await monitoring.client.get("/v1/visits", headers=partner)
        return response.status_code == 200

    await eventually(partner_key_known, "monitoring to learn the partner's key")
    journey = await run_journey(
        intake.client, plans.client, assets.client, monitoring.client, token, referrer=partner
    )
    participant_id = journey["participant_id"]
    applicant_id = journey["applicant_id"]

    # 1. A monitor finds a hive missing: stolen, perhaps; the rule asset_lost proposes exclusion.
    first_visit = journey["visits"][0]
    report = {
        "report_id": "1f4e2c1a-7b3d-4e5f-8a9b-1c2d3e4f5a6b",
        "visited_on": "2026-02-27",
        "operating": True,
        "items": [
            {"asset_type": "beehive", "serial": "HIVE-001", "status": "in_use"},
            {"asset_type": "beehive", "serial": "HIVE-002", "status": "missing"},
        ],
        "income": "250.00",
        "costs": "100.00",
        "jobs": 1,
        "notes": f"{APPLICANT['first_name']} says a hive was stolen at night.",
    }
    reported = await monitoring.client.post(
        f"/v1/visits/{first_visit['id']}/report", json=report, headers=monitor
    )
    assert reported.status_code == 201, reported.text

    async def proposal() -> dict[str, Any] | None:
        response = await intake.client.get(
            f"/v1/exclusion-proposals?applicant_id={applicant_id}", headers=officer
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items[0] if items else None

    proposed = await eventually(proposal, "intake to record the flag's proposal")
    assert proposed["status"] == "pending"
    assert proposed["rule"] == "asset_lost"

    # 2. The proposal alone excludes nobody.
    person = await intake.client.get(
        f"/v1/applicants/{applicant_id}", headers={**officer, "X-Purpose": "case_review"}
    )
    assert person.status_code == 200, person.text
    assert person.json()["excluded_at"] is None

    # 3. A case officer decides to exclude, with a coded reason and a note kept in intake.
    current = await intake.client.get(f"/v1/exclusion-proposals/{proposed['id']}", headers=officer)
    assert current.status_code == 200, current.text
    decided = await intake.client.post(
        f"/v1/exclusion-proposals/{proposed['id']}/decision",
        json={
            "decision": "exclude",
            "reason": "asset_misused",
            "note": "The hive was not reported stolen to the police.",
        },
        headers={**officer, **if_match(current)},
    )
    assert decided.status_code == 200, decided.text
    decision_id = decided.json()["decision_id"]
    person = await intake.client.get(
        f"/v1/applicants/{applicant_id}", headers={**officer, "X-Purpose": "case_review"}
    )
    assert person.json()["excluded_at"] is not None

    # The decision says who, when, why and how to appeal; the partner sees it for its referral.
    async def decision() -> dict[str, Any] | None:
        response = await monitoring.client.get(
            f"/v1/decisions?application_id={participant_id}", headers=partner
        )
        assert response.status_code == 200, response.text
        found = [d for d in response.json()["items"] if d["decision_id"] == decision_id]
        return found[0] if found else None

    recorded = await eventually(decision, "monitoring to learn of the decision")
    assert recorded["kind"] == "excluded"
    assert recorded["service"] == "intake"
    assert recorded["decided_by"] == "staff:officer-1"
    assert recorded["reason"] == "asset_misused"
    assert recorded["appealable"] is True
    assert "POST /v1/grievances" in recorded["how_to_appeal"]
    in_azerbaijani = await monitoring.client.get(
        f"/v1/decisions?application_id={participant_id}",
        headers={**partner, "Accept-Language": "az"},
    )
    assert "apellyasiya" in in_azerbaijani.json()["items"][-1]["how_to_appeal"]

    # 4. The family appeals through the partner that referred them.
    lodged = await monitoring.client.post(
        "/v1/grievances",
        json={
            "application_id": participant_id,
            "type": "appeal",
            "category": "decision",
            "channel": "partner",
            "decision_id": decision_id,
            "description": "The hive was stolen; the theft was reported to the village head.",
        },
        headers=partner,
    )
    assert lodged.status_code == 201, lodged.text
    grievance = lodged.json()
    assert grievance["status"] == "lodged"

    # 5. A case officer acknowledges it and upholds it.
    url = f"/v1/grievances/{grievance['id']}"
    acknowledged = await monitoring.client.post(
        f"{url}/acknowledge", headers={**officer, **if_match(lodged)}
    )
    assert acknowledged.status_code == 200, acknowledged.text
    upheld = await monitoring.client.post(
        f"{url}/resolve",
        json={"outcome": "upheld", "note": "Theft confirmed by the village head."},
        headers={**officer, **if_match(acknowledged)},
    )
    assert upheld.status_code == 200, upheld.text

    # 6. Intake lifts the exclusion through its own event.
    async def lifted() -> bool:
        response = await intake.client.get(
            f"/v1/applicants/{applicant_id}", headers={**officer, "X-Purpose": "case_review"}
        )
        return response.json()["excluded_at"] is None

    await eventually(lifted, "intake to lift the exclusion")
    reversed_ = await eventually(
        lambda: _reversed(monitoring, participant_id, decision_id, officer),
        "monitoring to learn of the reversal",
    )
    assert reversed_["reversal_effect"] == "exclusion_lifted"

    # 7. A later application passes not_excluded.
    later = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant_id, "direction": "poultry"},
        headers=officer,
    )
    assert later.status_code == 201, later.text
    assessment = await intake.client.get(
        f"/v1/applications/{later.json()['id']}/assessment", headers=officer
    )
    assert assessment.status_code == 200, assessment.text
    assert "not_excluded" not in repr(assessment.json()), assessment.text

    # Each step's event, in its owner's outbox.
    steps = [
        (monitoring, "monitoring.case.flagged"),
        (intake, "intake.exclusion.proposed"),
        (intake, "intake.decision.recorded"),
        (monitoring, "monitoring.grievance.lodged"),
        (monitoring, "monitoring.grievance.acknowledged"),
        (monitoring, "monitoring.grievance.resolved"),
        (intake, "intake.decision.reversed"),
    ]
    for service, event_type in steps:
        assert await announced(service, event_type), f"no {event_type}"
    resolved = (await announced(monitoring, "monitoring.grievance.resolved"))[-1]["data"]
    assert resolved["outcome"] == "upheld"
    assert resolved["decision_id"] == decision_id
    assert resolved["decision_service"] == "intake"

    # The person's timeline shows the whole story, in order.
    async def story_on_timeline() -> list[str] | None:
        response = await monitoring.client.get(
            f"/v1/cases/{participant_id}/timeline", headers=officer
        )
        assert response.status_code == 200, response.text
        types = [entry["event_type"] for entry in response.json()["entries"]]
        wanted = [event_type for _, event_type in steps]
        seen = [t for t in types if t in wanted]
        return seen if set(wanted) <= set(seen) else None

    seen = await eventually(story_on_timeline, "the story on the timeline")
    assert seen.index("intake.decision.recorded") < seen.index("monitoring.grievance.lodged")
    assert seen.index("monitoring.grievance.resolved") < seen.index("intake.decision.reversed")

    # Nothing personal in any event, nor in any log line.
    everything = repr(
        [await announced(s, *EVENT_TYPES) for s in (intake, plans, assets, monitoring)]
    )
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for personal in PERSONAL:
        assert personal not in everything
        assert personal not in logs
    # Nor the free text of the report, the note or the appeal.
    assert "stolen" not in everything
    assert "stolen" not in logs


async def _reversed(
    monitoring: Service, participant_id: str, decision_id: str, headers: Headers
) -> dict[str, Any] | None:
    response = await monitoring.client.get(
        f"/v1/decisions?application_id={participant_id}", headers=headers
    )
    assert response.status_code == 200, response.text
    found = [d for d in response.json()["items"] if d["decision_id"] == decision_id]
    return found[0] if found and found[0]["reversed_at"] else None
