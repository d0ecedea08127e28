"""Due process in plans: a rejection recorded as an adverse decision and reopened by an upheld
appeal, a person's consent to share with the referring partner, their part of an access request,
and the erasure of the free text about them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from plans.handlers import handlers
from plans.settings import PlansSettings
from shared.db import utcnow
from shared.events import ApplicantErased, GrievanceResolved
from shared.messaging.consumer import Handler
from tests.events_support import appeal_resolved, handle, publish, sharing_consent
from tests.plans.plans_support import (
    BEEHIVES,
    DAYS,
    PLAN_CONTENT,
    create_course,
    create_session,
    enrol,
    etag,
    eventually,
    outbox,
    partner_key,
    record_memorandum,
    to_submitted,
)
from tests.service_fixtures import Auth, Service

REJECTION = {"comment": "The market is not there.", "section": "market", "reason": "no_market"}


def appeals(plans: Service) -> Handler:
    """plans' handler of monitoring's appeal resolutions."""
    return handlers(cast(PlansSettings, plans.settings))["monitoring"][GrievanceResolved.type]


async def rejected(
    plans: Service, auth: Auth, partner_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """A plan written, submitted, commented on and rejected."""
    officer, reviewer = auth("case_officer"), auth("plan_reviewer", subject="reviewer-1")
    plan = await enrol(plans, auth, partner_id=partner_id)
    url = f"/v1/business-plans/{plan['id']}"
    submitted = await to_submitted(plans, plan, officer, BEEHIVES)
    reviewed = await plans.client.post(
        f"{url}/review",
        json={
            "comments": [{"section": "place", "comment": "Which garden, exactly?"}],
            "checklist": [{"check": "market_assessed", "passed": False, "note": "No buyers"}],
        },
        headers={**reviewer, **etag(submitted)},
    )
    assert reviewed.status_code == 200, reviewed.text
    current = await plans.client.get(url, headers=reviewer)
    response = await plans.client.post(
        f"{url}/reject", json=REJECTION, headers={**reviewer, **etag(current)}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def decisions(plans: Service, plan_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await plans.client.get(f"/v1/business-plans/{plan_id}/decisions", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_rejection_is_a_decision_with_its_appeal_period(plans: Service, auth: Auth) -> None:
    partner_id, partner = await partner_key(plans, "plans:read")
    _, other_partner = await partner_key(plans, "plans:read")
    plan = await rejected(plans, auth, partner_id)

    [decision] = await decisions(plans, plan["id"], auth("case_officer"))
    decided_at = datetime.fromisoformat(decision["decided_at"])
    appeal_until = (decided_at.date() + timedelta(days=30)).isoformat()
    assert decision == {
        "decision_id": decision["decision_id"],
        "application_id": decision["application_id"],
        "kind": "plan_rejected",
        "reason": "no_market",
        "decided_by": "staff:reviewer-1",
        "decided_at": decision["decided_at"],
        "appeal_until": appeal_until,
        "appealable": True,
        "how_to_appeal": f"an appeal may be lodged until {appeal_until} with a case officer or "
        "the referring partner: POST /v1/grievances in monitoring naming decision_id",
        "ref_id": plan["id"],
        "reversed_at": None,
        "reversal_effect": None,
    }
    # The referring partner sees it; another partner cannot tell the plan exists.
    assert await decisions(plans, plan["id"], partner) == [decision]
    url = f"/v1/business-plans/{plan['id']}/decisions"
    assert (await plans.client.get(url, headers=other_partner)).status_code == 404
    assert (await plans.client.get(url, headers=auth("monitor"))).status_code == 403
    bad = await plans.client.get(f"{url}?limit=0", headers=auth("case_officer"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.limit"

    [announced] = [e["data"] for e in await outbox(plans, "plans.decision.recorded")]
    assert announced["decision_id"] == decision["decision_id"]
    assert (announced["ref_id"], announced["partner_id"]) == (plan["id"], str(partner_id))
    assert announced["application_id"] == plan["participant_id"]
    assert "note" not in announced  # the reviewer's words stay in plans


async def test_an_upheld_appeal_reopens_the_rejected_plan_once(plans: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    plan = await rejected(plans, auth)
    [decision] = await decisions(plans, plan["id"], officer)
    participant = plan["participant_id"]

    # A dismissed appeal, a grievance, and an appeal against another service's decision (with
    # the same id) change nothing.
    for ignored in (
        appeal_resolved(decision["decision_id"], participant, "plans", outcome="dismissed"),
        appeal_resolved(decision["decision_id"], participant, "assets"),
        appeal_resolved(decision["decision_id"], participant, "plans", grievance_type="grievance"),
    ):
        await handle(plans, appeals(plans), ignored)
    assert (await decisions(plans, plan["id"], officer))[0]["reversed_at"] is None
    upheld = appeal_resolved(decision["decision_id"], participant, "plans")
    await publish(plans, upheld)

    async def reversed_() -> list[dict[str, Any]]:
        return await outbox(plans, "plans.decision.reversed")

    [announced] = await eventually(reversed_, "the decision reversed")
    # Another upheld appeal against the same decision finds it reversed already.
    await handle(plans, appeals(plans), upheld.model_copy(update={"grievance_id": uuid.uuid4()}))
    body = (await plans.client.get(f"/v1/business-plans/{plan['id']}", headers=officer)).json()
    assert (body["status"], body["status_reason"]) == ("draft", "appeal_upheld")
    assert body["items"][0]["asset_type"] == "beehive"  # revised, not restarted
    [after] = await decisions(plans, plan["id"], officer)
    assert after["reversal_effect"] == "plan_reopened"
    assert after["reversed_at"] is not None
    assert announced["data"]["effect"] == "plan_reopened"
    assert announced["data"]["grievance_id"] == str(upheld.grievance_id)
    changes = [e["data"]["state"] for e in await outbox(plans, "plans.plan.state_changed")]
    assert changes == ["rejected", "reopened"]
    assert len(await reversed_()) == 1
    # The reopened plan is written and submitted again, as a new version.
    again = (await to_submitted(plans, body, officer, BEEHIVES)).json()
    assert (again["status"], again["revision"]) == ("submitted", 2)


async def test_a_withdrawn_consent_hides_the_participant_from_the_referring_partner(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    partner_id, partner = await partner_key(plans, "plans:read", "trainings:write")
    await record_memorandum(plans, partner_id)
    plan = await enrol(plans, auth, partner_id=partner_id)
    kept = await enrol(plans, auth, partner_id=partner_id)
    participant = plan["participant_id"]
    # Both in a training session the partner runs, present on its first day.
    course = await create_course(plans, auth)
    training = (await create_session(plans, partner, course["id"]))["id"]
    for person in (participant, kept["participant_id"]):
        enrolled = await plans.client.post(
            f"/v1/trainings/sessions/{training}/enrolments",
            json={"participant_id": person},
            headers=partner,
        )
        assert enrolled.status_code == 201, enrolled.text
    register = f"/v1/trainings/sessions/{training}/attendance/{DAYS[0]}"
    present = {"participant_ids": [participant, kept["participant_id"]]}
    assert (await plans.client.put(register, json=present, headers=partner)).status_code == 200
    reads = (
        f"/v1/business-plans/{plan['id']}",
        f"/v1/participants/{participant}",
        f"/v1/participants/{participant}/consultations",
        f"/v1/participants/{participant}/trainings",
        f"/v1/trainings/sessions/{training}/enrolments/{participant}",
    )

    async def partner_sees() -> set[str]:
        plans_listed = await plans.client.get("/v1/business-plans", headers=partner)
        return {item["participant_id"] for item in plans_listed.json()["items"]}

    async def partner_lists() -> tuple[set[str], set[str], set[str]]:
        participants = await plans.client.get("/v1/participants", headers=partner)
        enrolments = await plans.client.get(
            f"/v1/trainings/sessions/{training}/enrolments", headers=partner
        )
        day = await plans.client.get(register, headers=partner)
        return (
            {item["id"] for item in participants.json()["items"]},
            {item["participant_id"] for item in enrolments.json()["items"]},
            set(day.json()["participant_ids"]),
        )

    both = {participant, kept["participant_id"]}
    assert await partner_sees() == both
    assert await partner_lists() == (both, both, both)

    await publish(plans, sharing_consent(participant, partner_id, granted=False))

    async def hidden() -> bool:
        return await partner_sees() == {kept["participant_id"]}

    await eventually(hidden, "the participant hidden from the partner")
    for url in reads:
        assert (await plans.client.get(url, headers=partner)).status_code == 404, url
        assert (await plans.client.get(url, headers=officer)).status_code == 200, url
    only_kept = {kept["participant_id"]}
    assert await partner_lists() == (only_kept, only_kept, only_kept)
    staff_day = await plans.client.get(register, headers=officer)
    assert set(staff_day.json()["participant_ids"]) == both

    await publish(plans, sharing_consent(participant, partner_id, granted=True))

    async def shown() -> bool:
        return participant in await partner_sees()

    await eventually(shown, "the participant shown again")
    for url in reads:
        assert (await plans.client.get(url, headers=partner)).status_code == 200, url
    assert await partner_lists() == (both, both, both)


async def test_the_access_part_has_everything_about_the_participant(
    plans: Service, auth: Auth
) -> None:
    plan = await rejected(plans, auth)
    participant = plan["participant_id"]
    url = f"/v1/subject-access/plans?application_id={participant}"

    response = await plans.client.get(url, headers=auth("admin"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["application_ids"] == [participant]
    records = body["records"]
    assert [row["id"] for row in records["participants"]] == [participant]
    [written] = records["business_plans"]
    assert (written["id"], written["activity"]) == (plan["id"], PLAN_CONTENT["activity"])
    assert len(written["projections"]) == 12
    assert [row["asset_type"] for row in records["plan_items"]] == ["beehive", "honey-extractor"]
    [version] = records["plan_versions"]
    assert version["comments"][-1]["comment"] == REJECTION["comment"]
    assert records["direction_consultations"] == []
    assert records["training_enrolments"] == records["training_attendance"] == []
    [decision] = records["adverse_decisions"]
    assert (decision["kind"], decision["note"]) == ("plan_rejected", REJECTION["comment"])
    assert (await plans.client.get(url, headers=auth("case_officer"))).status_code == 403
    missing = await plans.client.get("/v1/subject-access/plans", headers=auth("admin"))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "query.application_id"


async def test_erasure_removes_the_words_and_keeps_the_numbers(plans: Service, auth: Auth) -> None:
    admin = auth("admin")
    plan = await rejected(plans, auth)
    bystander = await rejected(plans, auth)
    participant = plan["participant_id"]
    consulted = await plans.client.post(
        f"/v1/participants/{participant}/consultations",
        json={"direction": "beekeeping", "reason": "Keeps bees with her father in Gəncə"},
        headers={**auth("case_officer"), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert consulted.status_code == 201, consulted.text

    await publish(
        plans,
        ApplicantErased(
            applicant_id=uuid.uuid4(),
            application_ids=[uuid.UUID(participant)],
            basis="lawful_request",
            erased_at=utcnow(),
        ),
    )

    async def erased() -> dict[str, Any] | None:
        response = await plans.client.get(
            f"/v1/subject-access/plans?application_id={participant}", headers=admin
        )
        records: dict[str, Any] = response.json()["records"]
        return records if records["business_plans"][0]["activity"] is None else None

    records = await eventually(erased, "the plan's words erased")
    [written] = records["business_plans"]
    assert (written["place"], written["market"]) == (None, None)
    assert len(written["projections"]) == 12
    assert written["projections"][0]["income"] == "300.00"
    assert (written["status"], written["own_contribution"]) == ("rejected", "100.00")
    assert [row["unit_price"] for row in records["plan_items"]] == ["150.50", "420.00"]
    [version] = records["plan_versions"]
    assert {version["content"][name] for name in ("activity", "place", "market")} == {None}
    assert version["content"]["total"] == "721.00"
    assert {comment["comment"] for comment in version["comments"]} == {""}
    assert [c["section"] for c in version["comments"]] == ["place", "market"]
    assert version["checklist"]["market_assessed"]["note"] is None
    assert version["checklist"]["market_assessed"]["passed"] is False
    [consultation] = records["direction_consultations"]
    assert (consultation["reason"], consultation["direction"]) == ("", "beekeeping")
    [decision] = records["adverse_decisions"]
    assert (decision["note"], decision["reason"]) == (None, "no_market")
    # Another person's plan keeps its words.
    other = await plans.client.get(f"/v1/business-plans/{bystander['id']}", headers=admin)
    assert other.json()["activity"] == PLAN_CONTENT["activity"]
