"""Participants come from intake's enrolment events, once each, with no personal data; officers
record the direction chosen at a consultation; partners see only the people they referred."""

from __future__ import annotations

import uuid

from shared.events import ParticipantEnrolled
from shared.messaging.jetstream import subject_for
from tests.events_support import publish
from tests.plans.plans_support import enrol, enrolled, eventually, outbox, partner_key
from tests.service_fixtures import Auth, Service

CONSULTATION = {"direction": "poultry", "reason": "Keeps hens already; a market nearby."}


async def test_a_repeated_enrolment_makes_one_participant_and_one_plan(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    first = enrolled("sewing")
    # The same fact twice: in a second event with its own id, and the first event redelivered
    # under another message id (past JetStream's de-duplication, so only the inbox sees it).
    second = ParticipantEnrolled.model_validate(
        {**first.model_dump(), "region": "AZ-BA", "direction": "bakery"}
    )
    envelope = await publish(plans, first)
    await publish(plans, second)
    await (await plans.jetstream_as(first.source_service)).publish(
        subject_for(plans.settings.nats_namespace, envelope.type),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": "another-copy"},
    )
    marker = enrolled("cattle")  # published last: once it is in, the others were handled
    await publish(plans, marker)
    url = f"/v1/participants/{marker.participant_id}"

    async def marker_in() -> bool:
        return (await plans.client.get(url, headers=officer)).status_code == 200

    await eventually(marker_in, "the last enrolment")
    one = await plans.client.get(f"/v1/participants/{first.participant_id}", headers=officer)
    assert one.status_code == 200
    body = one.json()
    assert (body["region"], body["direction"], body["status"]) == ("AZ-GA", "sewing", "active")
    assert body["categories"] == ["war_participant"]
    assert set(body) == {
        "id",
        "applicant_id",
        "region",
        "categories",
        "direction",
        "partner_id",
        "round_id",
        "enrolled_at",
        "status",
        "cancel_reason",
        "cancelled_at",
    }  # ids and coded facts: no names, FIN, birth date or phone
    plans_of = await plans.client.get(
        f"/v1/business-plans?participant_id={first.participant_id}", headers=officer
    )
    assert len(plans_of.json()["items"]) == 1
    opened = [
        e
        for e in await outbox(plans, "plans.plan.opened")
        if e["data"]["participant_id"] == str(first.participant_id)
    ]
    assert len(opened) == 1


async def test_consultation_records_the_choice_and_moves_the_draft_plan(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer", subject="officer-7")
    plan = await enrol(plans, auth, "beekeeping")
    participant_id = plan["participant_id"]
    url = f"/v1/participants/{participant_id}/consultations"

    unknown = await plans.client.post(
        url, json={**CONSULTATION, "direction": "juggling"}, headers=officer
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.direction"
    assert (
        await plans.client.post(url, json={"direction": "poultry"}, headers=officer)
    ).status_code == 422

    keyed = {**officer, "Idempotency-Key": "consult-1"}
    made = await plans.client.post(url, json=CONSULTATION, headers=keyed)
    assert made.status_code == 201, made.text
    assert made.json()["consulted_by"] == "staff:officer-7"
    replay = await plans.client.post(url, json=CONSULTATION, headers=keyed)
    assert replay.headers["idempotent-replayed"] == "true"
    listing = await plans.client.get(url, headers=auth("plan_reviewer"))
    assert [(c["direction"], c["reason"]) for c in listing.json()["items"]] == [
        ("poultry", CONSULTATION["reason"])
    ]
    participant = await plans.client.get(f"/v1/participants/{participant_id}", headers=officer)
    assert participant.json()["direction"] == "poultry"
    moved = await plans.client.get(f"/v1/business-plans/{plan['id']}", headers=officer)
    assert moved.json()["direction"] == "poultry"
    chosen = [
        e["data"]
        for e in await outbox(plans, "plans.direction.chosen")
        if e["data"]["participant_id"] == participant_id
    ]
    assert chosen == [{"participant_id": participant_id, "direction": "poultry"}]
    assert (
        await plans.client.post(url, json=CONSULTATION, headers=auth("analyst"))
    ).status_code == 403


async def test_partners_see_and_consult_only_their_own_participants(
    plans: Service, auth: Auth
) -> None:
    ours_id, ours = await partner_key(plans, "plans:read", "plans:write")
    theirs_id, theirs = await partner_key(plans, "plans:read")
    mine = await enrol(plans, auth, "sewing", partner_id=ours_id)
    other = await enrol(plans, auth, "sewing", partner_id=theirs_id)
    await enrol(plans, auth, "sewing")  # referred by nobody: staff only

    listing = await plans.client.get("/v1/participants", headers=ours)
    assert [p["id"] for p in listing.json()["items"]] == [mine["participant_id"]]
    staff = await plans.client.get("/v1/participants", headers=auth("analyst"))
    assert len(staff.json()["items"]) == 3

    other_url = f"/v1/participants/{other['participant_id']}"
    for response in (
        await plans.client.get(other_url, headers=ours),
        await plans.client.get(f"{other_url}/consultations", headers=ours),
        await plans.client.post(f"{other_url}/consultations", json=CONSULTATION, headers=ours),
        await plans.client.get(f"/v1/participants/{uuid.uuid4()}", headers=ours),
    ):
        assert response.status_code == 404
    assert (await plans.client.get(other_url, headers=theirs)).status_code == 200

    mine_url = f"/v1/participants/{mine['participant_id']}/consultations"
    made = await plans.client.post(mine_url, json=CONSULTATION, headers=ours)
    assert made.status_code == 201
    read_only = await plans.client.post(mine_url, json=CONSULTATION, headers=theirs)
    assert read_only.status_code == 403  # a key without plans:write
    filtered = await plans.client.get(
        "/v1/participants?direction=poultry", headers=auth("case_officer")
    )
    assert [p["id"] for p in filtered.json()["items"]] == [mine["participant_id"]]
