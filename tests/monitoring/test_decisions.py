"""The decisions read model: every service's adverse decisions and their reversals, on the
timeline too, listed with whether and how they may be appealed; a partner sees its referrals'."""

from __future__ import annotations

import uuid
from datetime import timedelta

from shared.db import utcnow
from shared.events import (
    AssetsDecisionRecorded,
    MonitoringDecisionRecorded,
    PlansDecisionRecorded,
    PlansDecisionReversed,
)
from tests.events_support import copied_partner_key
from tests.monitoring.cases_support import handle
from tests.monitoring.grievances_support import decided, enrolled
from tests.service_fixtures import Auth, Service


async def test_decisions_of_every_service_are_listed_with_how_to_appeal(
    monitoring: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    participant = await enrolled(monitoring)
    excluded = await decided(monitoring, participant)  # intake's
    rejected = await decided(
        monitoring, participant, announce=PlansDecisionRecorded, kind="plan_rejected"
    )
    cancelled = await decided(
        monitoring,
        participant,
        announce=AssetsDecisionRecorded,
        kind="order_cancelled",
        decided_at=utcnow() - timedelta(days=60),
    )
    found = await decided(
        monitoring, participant, announce=MonitoringDecisionRecorded, kind="item_status"
    )
    await handle(
        monitoring,
        PlansDecisionReversed(
            decision_id=rejected,
            application_id=participant,
            grievance_id=(appeal := uuid.uuid4()),
            effect="plan_reopened",
            reversed_at=utcnow(),
        ),
    )

    response = await monitoring.client.get(
        f"/v1/decisions?application_id={participant}", headers=officer
    )
    assert response.status_code == 200, response.text
    items = {item["decision_id"]: item for item in response.json()["items"]}
    assert next(iter(items)) == str(cancelled)  # oldest first
    assert {items[str(d)]["service"] for d in (excluded, rejected, cancelled, found)} == {
        "intake",
        "plans",
        "assets",
        "monitoring",
    }
    open_one = items[str(excluded)]
    assert open_one["appealable"] is True
    until = open_one["appeal_until"]
    assert open_one["how_to_appeal"] == (
        f"an appeal may be lodged until {until} with a case officer or the referring partner: "
        "POST /v1/grievances in monitoring naming decision_id"
    )
    reversed_ = items[str(rejected)]
    assert (reversed_["reversal_effect"], reversed_["grievance_id"]) == (
        "plan_reopened",
        str(appeal),
    )
    assert reversed_["appealable"] is False
    assert reversed_["how_to_appeal"] is None
    assert items[str(cancelled)]["appealable"] is False  # its 30 days are over

    async def ids(query: str) -> set[str]:
        listed = await monitoring.client.get(f"/v1/decisions?{query}", headers=officer)
        assert listed.status_code == 200, listed.text
        return {item["decision_id"] for item in listed.json()["items"]}

    assert await ids("service=plans") == {str(rejected)}
    assert await ids("kind=item_status") == {str(found)}
    bad = await monitoring.client.get("/v1/decisions?service=bank", headers=officer)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.service"
    forbidden = await monitoring.client.get("/v1/decisions", headers=auth("plan_reviewer"))
    assert forbidden.status_code == 403

    # Each decision and reversal is on the person's timeline.
    timeline = await monitoring.client.get(f"/v1/cases/{participant}/timeline", headers=officer)
    types = [entry["event_type"] for entry in timeline.json()["entries"]]
    assert types.count("plans.decision.recorded") == 1
    assert "plans.decision.reversed" in types
    assert "monitoring.decision.recorded" in types


async def test_a_partner_sees_only_the_decisions_about_its_referrals(
    monitoring: Service, auth: Auth
) -> None:
    partner = uuid.uuid4()
    mine = await enrolled(monitoring, partner)
    theirs = await enrolled(monitoring, uuid.uuid4())
    my_decision = await decided(monitoring, mine)
    await decided(monitoring, theirs)
    key = await copied_partner_key(monitoring, partner, "monitoring:read")
    response = await monitoring.client.get("/v1/decisions", headers=key)
    assert [item["decision_id"] for item in response.json()["items"]] == [str(my_decision)]
    other = await monitoring.client.get(f"/v1/decisions?application_id={theirs}", headers=key)
    assert other.json()["items"] == []


async def test_a_reversal_arriving_before_its_decision_is_kept(
    monitoring: Service, auth: Auth
) -> None:
    """A replay may bring events of one stream out of order: the result is the same."""
    officer = auth("case_officer")
    participant = await enrolled(monitoring)
    decision_id, appeal = uuid.uuid4(), uuid.uuid4()
    await handle(
        monitoring,
        PlansDecisionReversed(
            decision_id=decision_id,
            application_id=participant,
            grievance_id=appeal,
            effect="plan_reopened",
            reversed_at=utcnow(),
        ),
    )
    early = await monitoring.client.get(
        f"/v1/decisions?application_id={participant}", headers=officer
    )
    assert early.json()["items"] == []  # nothing to show, nor to appeal, until the decision
    await handle(
        monitoring,
        PlansDecisionRecorded(
            decision_id=decision_id,
            application_id=participant,
            kind="plan_rejected",
            reason="unrealistic_income",
            decided_by="staff:reviewer-2",
            decided_at=utcnow(),
            appeal_until=utcnow().date() + timedelta(days=30),
        ),
    )
    [item] = (
        await monitoring.client.get(f"/v1/decisions?application_id={participant}", headers=officer)
    ).json()["items"]
    assert (item["kind"], item["reversal_effect"], item["grievance_id"]) == (
        "plan_rejected",
        "plan_reopened",
        str(appeal),
    )
    assert item["appealable"] is False
