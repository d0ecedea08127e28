"""Business plans through every state, allowed and refused; the direction's ceiling in Decimal;
versions, comments and the checklist; the approval event; and partners kept to their own plans."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.plans import test_trainings as trainings
from tests.plans.plans_support import (
    BEEHIVES,
    DAYS,
    PASSED_CHECKLIST,
    PLAN_CONTENT,
    create_course,
    create_session,
    enrol,
    etag,
    outbox,
    partner_key,
    to_approved,
    to_submitted,
)
from tests.service_fixtures import Auth, Service, StartService


def refused_in(response: Any, state: str) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/invalid-state")
    assert body["current_state"] == state
    assert state in body["detail"]


async def test_every_transition_allowed_and_refused(plans: Service, auth: Auth) -> None:
    author = auth("case_officer", subject="author")
    reviewer = auth("plan_reviewer", subject="reviewer")
    plan = await enrol(plans, auth)
    url = f"/v1/business-plans/{plan['id']}"
    draft = await plans.client.get(url, headers=author)
    comment = {"comment": "Costs leave out winter feed.", "section": "projections"}

    # draft: only the author's steps
    for step, body in (("review", {}), ("request-changes", comment), ("reject", comment)):
        refused_in(
            await plans.client.post(
                f"{url}/{step}", json=body, headers={**reviewer, **etag(draft)}
            ),
            "draft",
        )
    refused_in(
        await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(draft)}), "draft"
    )
    incomplete = await plans.client.post(f"{url}/submit", headers={**author, **etag(draft)})
    assert incomplete.status_code == 422
    assert {e["field"] for e in incomplete.json()["errors"]} == {
        "activity",
        "place",
        "market",
        "projections",
        "jobs_created",
        "items",
    }
    assert (await plans.client.post(f"{url}/submit", headers=author)).status_code == 428
    stale = await plans.client.post(f"{url}/submit", headers={**author, "If-Match": '"99"'})
    assert stale.status_code == 412

    # draft -> submitted: a version is kept
    submitted = await to_submitted(plans, plan, author, BEEHIVES)
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["revision"] == 1
    for response in (
        await plans.client.put(
            f"{url}/items", json={"items": BEEHIVES}, headers={**author, **etag(submitted)}
        ),
        await plans.client.patch(
            url, json={"jobs_created": 2}, headers={**author, **etag(submitted)}
        ),
        await plans.client.post(f"{url}/submit", headers={**author, **etag(submitted)}),
        await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(submitted)}),
    ):
        refused_in(response, "submitted")
    own = await plans.client.post(
        f"{url}/review",
        json={},
        headers={**auth("plan_reviewer", subject="author"), **etag(submitted)},
    )
    assert own.status_code == 403  # whoever wrote the plan cannot review it

    # submitted -> in_review: the reviewer's first comments and checks
    failing = [
        *PASSED_CHECKLIST[:-1],
        {"check": PASSED_CHECKLIST[-1]["check"], "passed": False, "note": "No receipt"},
    ]
    reviewed = await plans.client.post(
        f"{url}/review",
        json={
            "comments": [{"section": "market", "comment": "Name the shops."}],
            "checklist": failing,
        },
        headers={**reviewer, **etag(submitted)},
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "in_review"
    blocked = await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(reviewed)})
    assert blocked.status_code == 409
    assert blocked.json()["failing_checks"] == ["own_contribution_confirmed"]
    no_comment = await plans.client.post(
        f"{url}/request-changes", json={}, headers={**reviewer, **etag(reviewed)}
    )
    assert no_comment.status_code == 422
    assert no_comment.json()["errors"][0]["field"] == "body.comment"

    # in_review -> changes_requested -> (edited) -> submitted again: version 2
    sent_back = await plans.client.post(
        f"{url}/request-changes",
        json={**comment, "reason": "projections_unrealistic"},
        headers={**reviewer, **etag(reviewed)},
    )
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "changes_requested"
    assert sent_back.json()["status_reason"] == "projections_unrealistic"
    refused_in(
        await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(sent_back)}),
        "changes_requested",
    )
    edited = await plans.client.patch(
        url,
        json={"own_contribution": "250.00", "jobs_created": 2},
        headers={**author, **etag(sent_back)},
    )
    assert edited.status_code == 200
    resubmitted = await plans.client.post(f"{url}/submit", headers={**author, **etag(edited)})
    assert resubmitted.status_code == 200
    assert resubmitted.json()["revision"] == 2

    versions = await plans.client.get(f"{url}/versions", headers=reviewer)
    first, second = versions.json()["items"]
    assert (first["number"], second["number"]) == (1, 2)
    assert first["content"]["own_contribution"] == PLAN_CONTENT["own_contribution"]
    assert second["content"]["own_contribution"] == "250.00"
    assert first["content"]["total"] == "721.00"
    assert [(c["section"], c["comment"], c["by"]) for c in first["comments"]] == [
        ("market", "Name the shops.", "staff:reviewer"),
        ("projections", comment["comment"], "staff:reviewer"),
    ]
    assert {c["check"]: c["passed"] for c in first["checklist"]}[
        "own_contribution_confirmed"
    ] is False
    assert second["comments"] == []
    assert second["checklist"] == []

    # submitted -> in_review -> approved, by another reviewer than the authors
    passed = await plans.client.post(
        f"{url}/review",
        json={"checklist": PASSED_CHECKLIST},
        headers={**reviewer, **etag(resubmitted)},
    )
    own_approval = await plans.client.post(
        f"{url}/approve",
        headers={**auth("plan_reviewer", "case_officer", subject="author"), **etag(passed)},
    )
    assert own_approval.status_code == 403
    approved = await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(passed)})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "staff:reviewer"
    for response in (
        await plans.client.put(
            f"{url}/items", json={"items": BEEHIVES}, headers={**author, **etag(approved)}
        ),
        await plans.client.patch(
            url, json={"jobs_created": 3}, headers={**author, **etag(approved)}
        ),
        await plans.client.post(f"{url}/submit", headers={**author, **etag(approved)}),
        await plans.client.post(f"{url}/review", json={}, headers={**reviewer, **etag(approved)}),
        await plans.client.post(
            f"{url}/reject", json=comment, headers={**reviewer, **etag(approved)}
        ),
        await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(approved)}),
    ):
        refused_in(response, "approved")

    # the events out: submitted twice, changes requested once, approved once with the items
    mine = str(plan["id"])
    changes = [
        e["data"]
        for e in await outbox(plans, "plans.plan.state_changed")
        if e["data"]["plan_id"] == mine
    ]
    assert changes == [
        {
            "plan_id": mine,
            "participant_id": plan["participant_id"],
            "state": "changes_requested",
            "reason": "projections_unrealistic",
        }
    ]
    assert (
        len(
            [e for e in await outbox(plans, "plans.plan.submitted") if e["data"]["plan_id"] == mine]
        )
        == 2
    )
    (event,) = [
        e["data"]
        for e in await outbox(plans, "plans.plan.approved")
        if e["data"]["plan_id"] == mine
    ]
    assert event["total"] == "721.00"
    assert event["region"] == "AZ-GA"
    assert event["direction"] == "beekeeping"
    assert [
        (i["asset_type"], i["quantity"], i["unit_price"], i["total"]) for i in event["items"]
    ] == [
        ("beehive", 2, "150.50", "301.00"),
        ("honey-extractor", 1, "420.00", "420.00"),
    ]


async def test_rejection_is_final(plans: Service, auth: Auth) -> None:
    author, reviewer = auth("case_officer"), auth("plan_reviewer")
    plan = await enrol(plans, auth)
    url = f"/v1/business-plans/{plan['id']}"
    submitted = await to_submitted(plans, plan, author, BEEHIVES)
    assert (
        await plans.client.post(
            f"{url}/reject", json={"comment": ""}, headers={**reviewer, **etag(submitted)}
        )
    ).status_code == 422
    rejected = await plans.client.post(
        f"{url}/reject",
        json={"comment": "No market for honey there.", "reason": "no_market"},
        headers={**reviewer, **etag(submitted)},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"  # straight from submitted: review starts on it
    for response in (
        await plans.client.post(f"{url}/submit", headers={**author, **etag(rejected)}),
        await plans.client.patch(
            url, json={"jobs_created": 1}, headers={**author, **etag(rejected)}
        ),
        await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(rejected)}),
        await plans.client.post(
            f"{url}/request-changes", json={"comment": "x"}, headers={**reviewer, **etag(rejected)}
        ),
        await plans.client.get(f"{url}/pdf", headers=author),
    ):
        refused_in(response, "rejected")
    (change,) = [
        e["data"]
        for e in await outbox(plans, "plans.plan.state_changed")
        if e["data"]["plan_id"] == plan["id"]
    ]
    assert (change["state"], change["reason"]) == ("rejected", "no_market")


async def test_requested_assets_stay_within_the_directions_ceiling(
    plans: Service, auth: Auth
) -> None:
    author, admin = auth("case_officer"), auth("admin")
    plan = await enrol(plans, auth, "repair")  # ceiling 2500.00
    url = f"/v1/business-plans/{plan['id']}"
    current = await plans.client.get(url, headers=author)
    # 3 x 333.33 + 1 x 1500.01 = 2500.00 exactly: Decimal, where floats would drift.
    at_ceiling = [
        {"asset_type": "shoe-repair-kit", "quantity": 3, "unit_price": "333.33"},
        {"asset_type": "soldering-station", "quantity": 1, "unit_price": "1500.01"},
    ]
    over = [at_ceiling[0], {**at_ceiling[1], "unit_price": "1500.02"}]
    refused = await plans.client.put(
        f"{url}/items", json={"items": over}, headers={**author, **etag(current)}
    )
    assert refused.status_code == 422
    body = refused.json()
    assert [e["field"] for e in body["errors"]] == ["body.items.0", "body.items.1"]
    assert {e["code"] for e in body["errors"]} == {"ceiling_exceeded"}
    assert (body["ceiling"], body["total"]) == ("2500.00", "2500.01")
    assert [i["asset_type"] for i in body["items"]] == ["shoe-repair-kit", "soldering-station"]
    assert "2500.00" in body["detail"]
    assert "soldering-station" in body["detail"]
    kept = await plans.client.get(url, headers=author)
    assert kept.json()["items"] == []
    assert kept.json()["version"] == current.json()["version"]

    filled = await plans.client.put(
        f"{url}/items", json={"items": at_ceiling}, headers={**author, **etag(current)}
    )
    assert filled.status_code == 200, filled.text
    assert Decimal(filled.json()["total"]) == Decimal("2500.00")
    written = await plans.client.patch(url, json=PLAN_CONTENT, headers={**author, **etag(filled)})

    # The ceiling is lowered before the plan is submitted: the submission is refused.
    direction = await plans.client.get("/v1/directions/repair", headers=admin)
    lowered = await plans.client.patch(
        "/v1/directions/repair", json={"ceiling": "2499.99"}, headers={**admin, **etag(direction)}
    )
    assert lowered.status_code == 200
    late = await plans.client.post(f"{url}/submit", headers={**author, **etag(written)})
    assert late.status_code == 422
    assert [e["field"] for e in late.json()["errors"]] == ["items.0", "items.1"]
    assert late.json()["ceiling"] == "2499.99"
    still = await plans.client.get(url, headers=author)
    assert still.json()["status"] == "draft"


async def test_requested_assets_come_from_the_directions_package(
    plans: Service, auth: Auth
) -> None:
    author, admin = auth("case_officer"), auth("admin")
    plan = await enrol(plans, auth)  # beekeeping: beehive, bee-colony, honey-extractor
    url = f"/v1/business-plans/{plan['id']}"
    current = await plans.client.get(url, headers=author)
    mixed = [
        {"asset_type": "beehive", "quantity": 2, "unit_price": "150.50"},
        {"asset_type": "heifer", "quantity": 1, "unit_price": "900.00"},  # cattle's
        {"asset_type": "honey-extractor", "quantity": 1, "unit_price": "420.00"},
        {"asset_type": "sewing-machine", "quantity": 1, "unit_price": "300.00"},  # sewing's
    ]
    refused = await plans.client.put(
        f"{url}/items", json={"items": mixed}, headers={**author, **etag(current)}
    )
    assert refused.status_code == 422
    body = refused.json()
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("body.items.1.asset_type", "not_in_package"),
        ("body.items.3.asset_type", "not_in_package"),
    ]
    assert body["package"] == ["beehive", "bee-colony", "honey-extractor"]
    assert "heifer, sewing-machine" in body["detail"]
    in_az = await plans.client.put(
        f"{url}/items",
        json={"items": mixed},
        headers={**author, **etag(current), "Accept-Language": "az"},
    )
    assert in_az.json()["errors"][0]["message"] == "İstiqamətin aktiv paketində deyil"
    kept = await plans.client.get(url, headers=author)
    assert kept.json()["items"] == []
    assert kept.json()["version"] == current.json()["version"]

    # Inside the package, the ceiling (3000.00) still counts in Decimal.
    over = [{"asset_type": "beehive", "quantity": 3, "unit_price": "1000.01"}]
    ceiling = await plans.client.put(
        f"{url}/items", json={"items": over}, headers={**author, **etag(current)}
    )
    assert ceiling.status_code == 422
    assert [(e["field"], e["code"]) for e in ceiling.json()["errors"]] == [
        ("body.items.0", "ceiling_exceeded")
    ]
    filled = await plans.client.put(
        f"{url}/items", json={"items": BEEHIVES}, headers={**author, **etag(current)}
    )
    assert filled.status_code == 200, filled.text
    written = await plans.client.patch(url, json=PLAN_CONTENT, headers={**author, **etag(filled)})

    # The package loses the extractor before the plan is submitted: the submission is refused.
    direction = await plans.client.get("/v1/directions/beekeeping", headers=admin)
    narrowed = await plans.client.patch(
        "/v1/directions/beekeeping",
        json={"asset_package": [{"asset_type": "beehive", "quantity": 10}]},
        headers={**admin, **etag(direction)},
    )
    assert narrowed.status_code == 200, narrowed.text
    late = await plans.client.post(f"{url}/submit", headers={**author, **etag(written)})
    assert late.status_code == 422
    assert [(e["field"], e["code"]) for e in late.json()["errors"]] == [
        ("items.1.asset_type", "not_in_package")
    ]
    still = await plans.client.get(url, headers=author)
    assert (still.json()["status"], still.json()["revision"]) == ("draft", 0)
    assert await outbox(plans, "plans.plan.submitted") == []


async def test_approval_can_require_a_completed_training(
    start_service: StartService, auth: Auth
) -> None:
    plans = await start_service("plans", approval_requires_training=True)
    reviewer = auth("plan_reviewer")
    plan = await enrol(plans, auth)
    url = f"/v1/business-plans/{plan['id']}"
    submitted = await to_submitted(plans, plan, auth("case_officer"), BEEHIVES)
    reviewed = await plans.client.post(
        f"{url}/review",
        json={"checklist": PASSED_CHECKLIST},
        headers={**reviewer, **etag(submitted)},
    )
    untrained = await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(reviewed)})
    assert untrained.status_code == 409
    assert (
        untrained.json()["detail"]
        == "The participant has not completed a training in this direction"
    )
    assert (await plans.client.get(url, headers=reviewer)).json()["status"] == "in_review"

    # The participant completes a beekeeping course (4 of its 5 days): now the plan is approved.
    officer = auth("case_officer")
    course = await create_course(plans, auth)
    session = await create_session(plans, officer, course["id"])
    await trainings.enrol(plans, officer, session["id"], plan["participant_id"])
    for day in DAYS[:4]:
        attended = await trainings.attend(
            plans, officer, session["id"], day, [plan["participant_id"]]
        )
        assert attended.status_code == 200, attended.text
    trained = await plans.client.post(f"{url}/approve", headers={**reviewer, **etag(reviewed)})
    assert trained.status_code == 200, trained.text
    assert trained.json()["status"] == "approved"


async def test_partners_reach_only_their_own_plans(plans: Service, auth: Auth) -> None:
    ours_id, ours = await partner_key(plans, "plans:read", "plans:write")
    theirs_id, theirs = await partner_key(plans, "plans:read", "plans:write")
    mine = await enrol(plans, auth, partner_id=ours_id)
    other = await enrol(plans, auth, partner_id=theirs_id)
    approved_other = await to_approved(plans, other, theirs, auth("plan_reviewer"), BEEHIVES)

    listing = await plans.client.get("/v1/business-plans", headers=ours)
    assert [p["id"] for p in listing.json()["items"]] == [mine["id"]]
    filtered = await plans.client.get(
        f"/v1/business-plans?participant_id={other['participant_id']}", headers=ours
    )
    assert filtered.json()["items"] == []

    url = f"/v1/business-plans/{other['id']}"
    anything = {"If-Match": "*"}
    for response in (
        await plans.client.get(url, headers=ours),
        await plans.client.patch(url, json={"jobs_created": 1}, headers={**ours, **anything}),
        await plans.client.put(
            f"{url}/items", json={"items": BEEHIVES}, headers={**ours, **anything}
        ),
        await plans.client.post(f"{url}/submit", headers={**ours, **anything}),
        await plans.client.get(f"{url}/versions", headers=ours),
        await plans.client.get(f"{url}/pdf", headers=ours),
        await plans.client.get(f"/v1/business-plans/{uuid.uuid4()}", headers=ours),
    ):
        assert response.status_code == 404, response.text
    # The owner reads its own; reviewing stays with the ministry's staff.
    assert (await plans.client.get(f"{url}/pdf", headers=theirs)).status_code == 200
    assert (await plans.client.get(f"{url}/versions", headers=theirs)).status_code == 200
    for step in ("review", "approve", "reject", "request-changes"):
        response = await plans.client.post(
            f"{url}/{step}", json={"comment": "x"}, headers={**theirs, **etag(approved_other)}
        )
        assert response.status_code == 403
    # A partner's own plan goes through the author's steps with its key.
    written = await plans.client.patch(
        f"/v1/business-plans/{mine['id']}", json=PLAN_CONTENT, headers={**ours, "If-Match": "*"}
    )
    assert written.status_code == 200
