"""A monitoring flag asking to exclude a person is a proposal, not an exclusion: a case officer
excludes (an adverse decision, which may be appealed) or declines, and monitoring withdraws a
pending one when the flag proves unfounded."""

from __future__ import annotations

import uuid

from tests.events_support import publish
from tests.intake.applicants_support import field_errors, partner_key
from tests.intake.exclusions_support import (
    applied,
    excluded_rule,
    flagged,
    new_application_status,
    proposal_in,
    proposals,
    resolved,
)
from tests.intake.rounds_support import outbox
from tests.service_fixtures import Auth, Service


async def test_a_flag_proposes_and_an_officer_excludes(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer", subject="officer-1")
    applicant_id, participant_id = await applied(intake, auth)
    flag = flagged(participant_id)
    await publish(intake, flagged(participant_id, "not_operating", "revise_plan"))
    await publish(intake, flag)
    await publish(intake, flag, msg_id=str(uuid.uuid4()))  # the same flag again: one proposal

    proposal = await proposal_in(intake, auth, applicant_id)
    assert (proposal["flag_id"], proposal["rule"]) == (str(flag.flag_id), "asset_lost")
    assert proposal["application_id"] == participant_id
    assert len(await proposals(intake, auth, applicant_id)) == 1
    assert await excluded_rule(intake, auth, applicant_id) is None  # not excluded yet
    assert await new_application_status(intake, auth, applicant_id) == "eligible"
    proposed = await outbox(intake, "intake.exclusion.proposed")
    assert [(p["proposal_id"], p["flag_id"]) for p in proposed] == [
        (proposal["id"], str(flag.flag_id))
    ]

    url = f"/v1/exclusion-proposals/{proposal['id']}"
    read = await intake.client.get(url, headers=officer)
    assert read.status_code == 200, read.text
    etag = read.headers["etag"]
    body = {"decision": "exclude", "reason": "asset_sold", "note": "Sold at the market"}
    assert (
        await intake.client.post(f"{url}/decision", json=body, headers=officer)
    ).status_code == 428
    stale = {**officer, "If-Match": '"99"'}
    assert (
        await intake.client.post(f"{url}/decision", json=body, headers=stale)
    ).status_code == 412
    ifmatch = {**officer, "If-Match": etag}
    analyst = {**auth("analyst"), "If-Match": etag}
    assert (
        await intake.client.post(f"{url}/decision", json=body, headers=analyst)
    ).status_code == 403
    assert (await intake.client.get(url, headers=auth("analyst"))).status_code == 403
    wrong = await intake.client.post(
        f"{url}/decision", json={"decision": "exclude", "reason": "asset_stolen"}, headers=ifmatch
    )
    assert wrong.status_code == 422
    assert field_errors(wrong) == {"body.reason": "reason_not_for_decision"}
    long_note = {**body, "note": "x" * 2001}
    too_long = await intake.client.post(f"{url}/decision", json=long_note, headers=ifmatch)
    assert field_errors(too_long) == {"body.note": "string_too_long"}
    assert (
        await intake.client.get(f"/v1/exclusion-proposals/{uuid.uuid4()}", headers=officer)
    ).status_code == 404

    decided = await intake.client.post(f"{url}/decision", json=body, headers=ifmatch)
    assert decided.status_code == 200, decided.text
    out = decided.json()
    assert out["status"] == "excluded"
    assert out["decision_id"] is not None
    assert (out["decided_by"], out["reason"], out["note"]) == (
        "staff:officer-1",
        "asset_sold",
        "Sold at the market",
    )
    assert decided.headers["etag"] != etag
    assert await excluded_rule(intake, auth, applicant_id) == "asset_lost"
    assert await new_application_status(intake, auth, applicant_id) == "ineligible"
    recorded = await outbox(intake, "intake.decision.recorded")
    mine = [d for d in recorded if d["kind"] == "excluded"]
    assert [(d["decision_id"], d["application_id"], d["reason"], d["ref_id"]) for d in mine] == [
        (out["decision_id"], participant_id, "asset_sold", proposal["id"])
    ]
    assert "note" not in mine[0]  # the note stays in intake

    again = {**officer, "If-Match": decided.headers["etag"]}
    refused = await intake.client.post(f"{url}/decision", json=body, headers=again)
    assert refused.status_code == 409, refused.text


async def test_an_officer_declines(intake: Service, auth: Auth) -> None:
    applicant_id, participant_id = await applied(intake, auth)
    await publish(intake, flagged(participant_id))
    proposal = await proposal_in(intake, auth, applicant_id)
    headers = {**auth("admin"), "If-Match": f'"{proposal["version"]}"'}  # admin is every role
    declined = await intake.client.post(
        f"/v1/exclusion-proposals/{proposal['id']}/decision",
        json={"decision": "decline", "reason": "asset_stolen"},
        headers=headers,
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["decision_id"]) == ("declined", None)
    assert await excluded_rule(intake, auth, applicant_id) is None
    withdrawn = await outbox(intake, "intake.exclusion.withdrawn")
    assert [(w["proposal_id"], w["reason"]) for w in withdrawn] == [
        (proposal["id"], "declined_by_officer")
    ]
    assert not [
        d for d in await outbox(intake, "intake.decision.recorded") if d["kind"] == "excluded"
    ]


async def test_an_unfounded_flag_withdraws_a_pending_proposal_only(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    pending_applicant, pending_participant = await applied(intake, auth)
    decided_applicant, decided_participant = await applied(intake, auth)
    pending, decided = flagged(pending_participant), flagged(decided_participant)
    await publish(intake, pending)
    await publish(intake, decided)
    proposal = await proposal_in(intake, auth, decided_applicant)
    excluded = await intake.client.post(
        f"/v1/exclusion-proposals/{proposal['id']}/decision",
        json={"decision": "exclude", "reason": "fraud_confirmed"},
        headers={**officer, "If-Match": f'"{proposal["version"]}"'},
    )
    assert excluded.status_code == 200, excluded.text

    await publish(intake, resolved(pending, "asset_recovered"))  # withdraws nothing
    await publish(intake, resolved(decided, "unfounded"))  # decided: the person appeals instead
    await publish(intake, resolved(pending, "report_corrected"))
    withdrawn = await proposal_in(intake, auth, pending_applicant, "withdrawn")
    assert withdrawn["reason"] == "report_corrected"
    assert (await proposals(intake, auth, decided_applicant))[0]["status"] == "excluded"
    assert await excluded_rule(intake, auth, decided_applicant) == "asset_lost"
    sent = await outbox(intake, "intake.exclusion.withdrawn")
    assert [(w["flag_id"], w["reason"]) for w in sent] == [
        (str(pending.flag_id), "report_corrected")
    ]

    listed = await intake.client.get("/v1/exclusion-proposals?status=withdrawn", headers=officer)
    assert [p["id"] for p in listed.json()["items"]] == [withdrawn["id"]]
    bad = await intake.client.get("/v1/exclusion-proposals?status=maybe", headers=officer)
    assert bad.status_code == 422
    partner = await partner_key(intake, auth, "Kənd Təşəbbüsləri")
    assert (await intake.client.get("/v1/exclusion-proposals", headers=partner)).status_code == 403
