"""The intake round a participant was selected in: plans keeps it and the approved plan carries
it to assets, which pays from that round's budget."""

from __future__ import annotations

import uuid

from tests.plans.plans_support import BEEHIVES, enrol, outbox, to_approved
from tests.service_fixtures import Auth, Service


async def test_the_participants_round_is_kept_and_sent_with_the_approval(
    plans: Service, auth: Auth
) -> None:
    officer, reviewer = auth("case_officer"), auth("plan_reviewer")
    round_id = uuid.uuid4()
    selected = await enrol(plans, auth, round_id=round_id)
    by_hand = await enrol(plans, auth)  # enrolled outside any round

    for plan, expected in ((selected, str(round_id)), (by_hand, None)):
        participant = await plans.client.get(
            f"/v1/participants/{plan['participant_id']}", headers=officer
        )
        assert participant.status_code == 200, participant.text
        assert participant.json()["round_id"] == expected
    in_round = await plans.client.get(f"/v1/participants?round_id={round_id}", headers=officer)
    assert [p["id"] for p in in_round.json()["items"]] == [selected["participant_id"]]
    other = await plans.client.get(f"/v1/participants?round_id={uuid.uuid4()}", headers=officer)
    assert other.json()["items"] == []

    await to_approved(plans, selected, officer, reviewer, BEEHIVES)
    await to_approved(plans, by_hand, officer, reviewer, BEEHIVES)
    approvals = {
        e["data"]["plan_id"]: e["data"] for e in await outbox(plans, "plans.plan.approved")
    }
    assert approvals[selected["id"]]["round_id"] == str(round_id)
    assert approvals[by_hand["id"]]["round_id"] is None
    assert approvals[selected["id"]]["participant_id"] == selected["participant_id"]
