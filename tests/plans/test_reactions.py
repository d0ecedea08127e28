"""Plans reacting to other services' events: monitoring asks for a revision, intake cancels an
enrolment."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.events import CaseFlagged, EnrollmentCancelled
from tests.events_support import publish
from tests.plans.plans_support import BEEHIVES, enrol, eventually, outbox, to_approved, to_submitted
from tests.service_fixtures import Auth, Service


async def status_of(plans: Service, auth: Auth, plan: dict[str, Any]) -> str:
    response = await plans.client.get(
        f"/v1/business-plans/{plan['id']}", headers=auth("case_officer")
    )
    status: str = response.json()["status"]
    return status


def flag(participant_id: str, action: str | None) -> CaseFlagged:
    return CaseFlagged(
        flag_id=uuid.uuid4(),
        participant_id=uuid.UUID(participant_id),
        rule="asset_sold" if action else "not_operating",
        action=action,
    )


async def test_a_flag_asking_for_revision_reopens_the_approved_plan(
    plans: Service, auth: Auth
) -> None:
    officer, reviewer = auth("case_officer"), auth("plan_reviewer")
    plan = await enrol(plans, auth)
    bystander = await enrol(plans, auth)
    first = (await to_approved(plans, plan, officer, reviewer, BEEHIVES)).json()
    await to_approved(plans, bystander, officer, reviewer, BEEHIVES)
    assert first["approved_by"] is not None
    assert first["approved_at"] is not None

    await publish(plans, flag(bystander["participant_id"], None))  # no revision asked
    await publish(plans, flag(plan["participant_id"], "revise_plan"))

    async def reopened() -> bool:
        return await status_of(plans, auth, plan) == "draft"

    await eventually(reopened, "the plan reopened")
    body = (await plans.client.get(f"/v1/business-plans/{plan['id']}", headers=officer)).json()
    assert body["status_reason"] == "asset_sold"
    assert body["items"][0]["asset_type"] == "beehive"  # the plan is revised, not restarted
    assert (body["approved_by"], body["approved_at"]) == (None, None)  # no longer approved
    changes = [e["data"] for e in await outbox(plans, "plans.plan.state_changed")]
    assert changes == [
        {
            "plan_id": plan["id"],
            "participant_id": plan["participant_id"],
            "state": "reopened",
            "reason": "asset_sold",
        }
    ]
    assert await status_of(plans, auth, bystander) == "approved"
    # The revision goes through review again, as version 2, and its approval is recorded anew.
    second_reviewer = auth("plan_reviewer", subject="reviewer-2")
    again = (await to_approved(plans, body, officer, second_reviewer, BEEHIVES)).json()
    assert (again["status"], again["revision"]) == ("approved", 2)
    assert again["approved_by"] == "staff:reviewer-2" != first["approved_by"]
    assert datetime.fromisoformat(again["approved_at"]) > datetime.fromisoformat(
        first["approved_at"]
    )
    approvals = [
        e["data"]["approved_at"]
        for e in await outbox(plans, "plans.plan.approved")
        if e["data"]["plan_id"] == plan["id"]
    ]
    assert [datetime.fromisoformat(at) for at in approvals] == [
        datetime.fromisoformat(first["approved_at"]),
        datetime.fromisoformat(again["approved_at"]),
    ]


async def test_a_cancelled_enrolment_cancels_open_plans_and_training_places(
    plans: Service, auth: Auth
) -> None:
    officer, admin = auth("case_officer"), auth("admin")
    plan = await enrol(plans, auth, "beekeeping")
    done = await enrol(plans, auth, "beekeeping")
    await to_submitted(plans, plan, officer, BEEHIVES)
    await to_approved(plans, done, officer, auth("plan_reviewer"), BEEHIVES)

    course = await plans.client.post(
        "/v1/trainings/courses",
        json={
            "direction": "beekeeping",
            "name": {"az": "Arıçılıq", "en": "Beekeeping", "ru": "Пчеловодство"},
            "days": 2,
            "hours": 12,
            "completion_threshold": "0.50",
            "active": True,
        },
        headers=admin,
    )
    assert course.status_code == 201, course.text
    training = await plans.client.post(
        "/v1/trainings/sessions",
        json={
            "course_id": course.json()["id"],
            "starts_on": "2027-04-05",
            "ends_on": "2027-04-06",
            "place": "Gəncə",
            "trainer": "Trainer",
            "capacity": 5,
        },
        headers=officer,
    )
    assert training.status_code == 201, training.text
    enrolments = f"/v1/trainings/sessions/{training.json()['id']}/enrolments"
    placed = await plans.client.post(
        enrolments, json={"participant_id": plan["participant_id"]}, headers=officer
    )
    assert placed.status_code == 201, placed.text
    placed_status = placed.json()["status"]

    await publish(
        plans,
        EnrollmentCancelled(participant_id=uuid.UUID(plan["participant_id"]), reason="withdrew"),
    )
    await publish(
        plans,
        EnrollmentCancelled(participant_id=uuid.UUID(done["participant_id"]), reason="withdrew"),
    )

    async def cancelled() -> bool:
        return await status_of(plans, auth, plan) == "cancelled"

    await eventually(cancelled, "the open plan cancelled")
    participant = await plans.client.get(
        f"/v1/participants/{plan['participant_id']}", headers=officer
    )
    assert (participant.json()["status"], participant.json()["cancel_reason"]) == (
        "cancelled",
        "withdrew",
    )
    place = await plans.client.get(f"{enrolments}/{plan['participant_id']}", headers=officer)
    assert place.status_code == 200, place.text
    assert place.json()["status"] != placed_status
    assert place.json()["status"] == "cancelled"

    async def other_handled() -> bool:
        response = await plans.client.get(
            f"/v1/participants/{done['participant_id']}", headers=officer
        )
        return bool(response.json()["status"] == "cancelled")

    await eventually(other_handled, "the second cancellation")
    assert await status_of(plans, auth, done) == "approved"  # decided plans stay as they are
    changes = [
        (e["data"]["plan_id"], e["data"]["state"], e["data"]["reason"])
        for e in await outbox(plans, "plans.plan.state_changed")
    ]
    assert changes == [(plan["id"], "cancelled", "withdrew")]
    refused = await plans.client.post(
        f"/v1/participants/{plan['participant_id']}/consultations",
        json={"direction": "poultry", "reason": "x"},
        headers=officer,
    )
    assert refused.status_code == 409
    assert refused.json()["current_state"] == "cancelled"
