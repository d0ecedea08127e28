"""Every adverse decision intake makes is recorded, with how to appeal it: ineligible (at
submission, import and re-assessment), waitlisted (a committed selection), excluded (a case
officer). An upheld appeal, as monitoring announces it, reverses the decision once."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from shared.db import utcnow
from shared.events import GrievanceResolved
from tests.events_support import publish
from tests.intake.applicants_support import register
from tests.intake.exclusions_support import (
    applied,
    excluded_rule,
    flagged,
    new_application_status,
    proposal_in,
    proposals,
)
from tests.intake.imports_support import csv_file, finished, referral, upload
from tests.intake.imports_support import fin as import_fin
from tests.intake.rounds_support import add_applicant, apply, open_round, outbox, run_selection
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service

SELECTED = "intake.application.selected"


def appeal(decision_id: str, outcome: str = "upheld", service: str = "intake") -> GrievanceResolved:
    return GrievanceResolved(
        grievance_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        grievance_type="appeal",
        category="decision",
        outcome=outcome,
        decision_id=uuid.UUID(decision_id),
        decision_service=service,
        resolved_at=utcnow(),
    )


async def decisions(intake: Service, auth: Auth, application_id: str) -> list[dict[str, Any]]:
    response = await intake.client.get(
        f"/v1/applications/{application_id}/decisions", headers=auth("case_officer")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def reversed_decision(intake: Service, auth: Auth, application_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        return next(
            (d for d in await decisions(intake, auth, application_id) if d["reversed_at"]), None
        )

    found: dict[str, Any] = await eventually(probe, "the decision to be reversed")
    return found


async def test_an_upheld_appeal_lifts_an_exclusion_once(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer", subject="officer-1")
    applicant_id, participant_id = await applied(intake, auth)
    await publish(intake, flagged(participant_id))
    proposal = await proposal_in(intake, auth, applicant_id)
    decided = await intake.client.post(
        f"/v1/exclusion-proposals/{proposal['id']}/decision",
        json={"decision": "exclude", "reason": "asset_sold", "note": "Seen at the market"},
        headers={**officer, "If-Match": f'"{proposal["version"]}"'},
    )
    assert decided.status_code == 200, decided.text
    decision_id = decided.json()["decision_id"]

    [excluded] = await decisions(intake, auth, participant_id)
    assert excluded["decision_id"] == decision_id
    assert (excluded["kind"], excluded["reason"], excluded["decided_by"]) == (
        "excluded",
        "asset_sold",
        "staff:officer-1",
    )
    assert excluded["ref_id"] == proposal["id"]
    appeal_until = date.fromisoformat(excluded["appeal_until"])
    assert (appeal_until - utcnow().date()).days == intake.settings.appeal_days
    assert excluded["how_to_appeal"] == (
        f"an appeal may be lodged until {appeal_until.isoformat()} with a case officer or the "
        "referring partner: POST /v1/grievances in monitoring naming decision_id"
    )
    assert (excluded["reversed_at"], excluded["reversal_effect"]) == (None, None)

    # Not eligible while excluded: the rules' decision, recorded too.
    again = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant_id, "direction": "poultry"},
        headers=officer,
    )
    assert again.json()["status"] == "ineligible"
    [ineligible] = await decisions(intake, auth, again.json()["id"])
    assert (ineligible["kind"], ineligible["reason"], ineligible["decided_by"]) == (
        "ineligible",
        "not_excluded",
        "rules",
    )

    # Dismissed, or about another service's decision: nothing changes. Upheld, sent twice: once.
    await publish(intake, appeal(decision_id, outcome="dismissed"))
    await publish(intake, appeal(decision_id, service="plans"))
    upheld = appeal(decision_id)
    await publish(intake, upheld)
    await publish(intake, upheld, msg_id=str(uuid.uuid4()))
    await publish(intake, appeal(str(uuid.uuid4())))  # an unknown decision is skipped
    lifted = await reversed_decision(intake, auth, participant_id)
    assert lifted["reversal_effect"] == "exclusion_lifted"
    assert lifted["how_to_appeal"] is None
    assert await excluded_rule(intake, auth, applicant_id) is None
    assert (await proposals(intake, auth, applicant_id))[0]["status"] == "lifted"
    assert await new_application_status(intake, auth, applicant_id) == "eligible"

    # The ineligibility decided while excluded, appealed: assessed again, now eligible.
    await publish(intake, appeal(ineligible["decision_id"]))
    reassessed = await reversed_decision(intake, auth, again.json()["id"])
    assert reassessed["reversal_effect"] == "reassessed"
    application = await intake.client.get(f"/v1/applications/{again.json()['id']}", headers=officer)
    assert application.json()["status"] == "eligible"
    assessed = await outbox(intake, "intake.application.assessed")
    assert [a["eligible"] for a in assessed if a["application_id"] == again.json()["id"]] == [
        False,
        True,
    ]
    reversals = await outbox(intake, "intake.decision.reversed")
    assert [(r["decision_id"], r["effect"], r["grievance_id"]) for r in reversals] == [
        (decision_id, "exclusion_lifted", str(upheld.grievance_id)),
        (ineligible["decision_id"], "reassessed", reversals[1]["grievance_id"]),
    ]


async def test_decisions_are_staff_only_and_of_a_known_application(
    intake: Service, auth: Auth
) -> None:
    _, application_id = await applied(intake, auth)
    url = f"/v1/applications/{application_id}/decisions"
    assert (await intake.client.get(url, headers=auth("case_officer"))).json()["items"] == []
    assert (await intake.client.get(url, headers=auth("analyst"))).status_code == 403
    missing = f"/v1/applications/{uuid.uuid4()}/decisions"
    assert (await intake.client.get(missing, headers=auth("case_officer"))).status_code == 404
    bad = "/v1/applications/not-an-id/decisions"
    assert (await intake.client.get(bad, headers=auth("case_officer"))).status_code == 422


async def test_ineligible_assessments_are_recorded_at_submission_import_and_reassessment(
    intake: Service, auth: Auth
) -> None:
    officer, admin = auth("case_officer"), auth("admin")
    round_ = await open_round(intake, auth, rules=[{"rule": "age_between", "min": 18, "max": 40}])
    young = await apply(intake, auth, await add_applicant(intake), round_["id"])  # born 1990
    old = await add_applicant(intake, birth_date=date(1960, 1, 1))
    refused = await apply(intake, auth, old, round_["id"])
    assert [d["reason"] for d in await decisions(intake, auth, young["id"])] == []
    [at_submission] = await decisions(intake, auth, refused["id"])
    assert (at_submission["kind"], at_submission["reason"], at_submission["ref_id"]) == (
        "ineligible",
        "age_between",
        round_["id"],
    )

    # An import: the row born 1950 is not eligible, the other is.
    rows = [referral(import_fin(1), birth_date="1950-01-01"), referral(import_fin(2))]
    response = await upload(intake.client, csv_file(rows), officer, round_id=round_["id"])
    assert response.status_code == 202, response.text
    assert (await finished(intake.client, response.headers["location"], officer))["imported"] == 2
    recorded = await outbox(intake, "intake.decision.recorded")
    imported = [d for d in recorded if d["application_id"] not in (refused["id"], young["id"])]
    assert [(d["kind"], d["reason"], d["decided_by"]) for d in imported] == [
        ("ineligible", "age_between", "rules")
    ]

    # Tighter rules re-assess the round: those now failing are recorded; the unchanged are not.
    changed = await intake.client.patch(
        f"/v1/rounds/{round_['id']}",
        json={"rules": [{"rule": "age_between", "min": 18, "max": 30}]},
        headers=admin | {"If-Match": round_["etag"]},
    )
    assert changed.status_code == 200, changed.text
    [young_now] = await decisions(intake, auth, young["id"])
    assert (young_now["kind"], young_now["reason"]) == ("ineligible", "age_between")
    assert len(await decisions(intake, auth, refused["id"])) == 1


async def test_a_committed_waitlisting_is_recorded_and_an_appeal_keeps_its_rank(
    intake: Service, auth: Auth
) -> None:
    round_ = await open_round(intake, auth, quotas={"AZ-GA": 1})
    first = await apply(intake, auth, await add_applicant(intake, household_size=5), round_["id"])
    second = await apply(intake, auth, await add_applicant(intake), round_["id"])
    admin = auth("admin", subject="admin-1")
    closed = await intake.client.post(
        f"/v1/rounds/{round_['id']}/close", headers=admin | {"If-Match": round_["etag"]}
    )
    assert closed.status_code == 200, closed.text
    selection = await run_selection(intake, auth, round_["id"])
    committed = await intake.client.post(
        f"/v1/selections/{selection['id']}/commit",
        headers=admin | {"If-Match": selection["etag"]},
    )
    assert committed.status_code == 200, committed.text
    outcomes = {s["application_id"]: s["outcome"] for s in await outbox(intake, SELECTED)}
    waitlisted_id = next(a for a, outcome in outcomes.items() if outcome == "waitlisted")
    enrolled_id = first["id"] if waitlisted_id == second["id"] else second["id"]
    assert await decisions(intake, auth, enrolled_id) == []
    [waitlisted] = await decisions(intake, auth, waitlisted_id)
    assert (waitlisted["kind"], waitlisted["reason"], waitlisted["decided_by"]) == (
        "waitlisted",
        "below_regional_cutoff",
        "staff:admin-1",
    )

    await publish(intake, appeal(waitlisted["decision_id"]))
    kept = await reversed_decision(intake, auth, waitlisted_id)
    assert kept["reversal_effect"] == "waitlisted"
    status = (await intake.client.get(f"/v1/applications/{waitlisted_id}", headers=admin)).json()
    assert status["status"] == "waitlisted"
    placed = [
        (s["outcome"], s["rank"])
        for s in await outbox(intake, SELECTED)
        if s["application_id"] == waitlisted_id
    ]
    assert placed == [("waitlisted", 2), ("waitlisted", 2)]


async def test_a_merge_keeps_an_exclusion_and_an_appeal_lifts_it_from_the_kept(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    drop_id, participant_id = await applied(intake, auth)
    await publish(intake, flagged(participant_id))
    proposal = await proposal_in(intake, auth, drop_id)
    decided = await intake.client.post(
        f"/v1/exclusion-proposals/{proposal['id']}/decision",
        json={"decision": "exclude", "reason": "asset_misused"},
        headers={**officer, "If-Match": f'"{proposal["version"]}"'},
    )
    assert decided.status_code == 200, decided.text
    keep = await register(intake, officer, last_name="Memmedova", first_name="Aygun")
    [flag] = (await intake.client.get("/v1/duplicates", headers=officer)).json()["items"]
    merged = await intake.client.post(
        f"/v1/duplicates/{flag['id']}/merge",
        json={"keep_id": keep["id"]},
        headers={**officer, "If-Match": f'"{flag["version"]}"'},
    )
    assert merged.status_code == 200, merged.text
    assert await excluded_rule(intake, auth, keep["id"]) == "asset_lost"  # the kept keeps it

    await publish(intake, appeal(decided.json()["decision_id"]))
    await reversed_decision(intake, auth, participant_id)
    assert await excluded_rule(intake, auth, keep["id"]) is None
    assert await excluded_rule(intake, auth, drop_id) is None  # a later merge cannot bring it back
    assert await new_application_status(intake, auth, keep["id"]) == "eligible"
