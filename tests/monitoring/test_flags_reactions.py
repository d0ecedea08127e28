"""Flags reach the other services, as real processes over NATS: a business found not operating
reopens the plan for revision in plans; assets found sold propose in intake to exclude the person,
and once a case officer excludes them a new application of theirs is not eligible."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError

from shared.devkeys import mint_token
from shared.events import CaseFlagged, Envelope, ReportedItem, VisitReported
from shared.messaging.jetstream import subject_for
from tests.conftest import LaunchServices
from tests.events_support import publish
from tests.journey_support import APPLICANT, eventually, run_journey
from tests.service_fixtures import Auth, StartService


@pytest.mark.e2e
async def test_flag_events_reach_plans_and_intake(
    launch_services: LaunchServices, dev_keys: Path, nats_server: Any, nats_namespace: str
) -> None:
    services = await launch_services()
    clients = {
        name: httpx.AsyncClient(base_url=service.url, timeout=10)
        for name, service in services.items()
    }
    intake, plans, monitoring = clients["intake"], clients["plans"], clients["monitoring"]

    def token(role: str, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(dev_keys, roles=[role], subject=subject)}"}

    officer = token("case_officer", "officer-1")
    try:
        journey = await run_journey(intake, plans, clients["assets"], monitoring, token)
        participant_id = journey["participant_id"]
        visit = next(v for v in journey["visits"] if v["month"] == 3)
        # The monitor's report of the 3-month visit, as the visits domain announces it: the
        # business has stopped and one hive was sold.
        report = Envelope.wrap(
            VisitReported(
                visit_id=uuid.UUID(visit["id"]),
                participant_id=uuid.UUID(participant_id),
                month=3,
                due_on=date.fromisoformat(visit["due_on"]),
                visited_on=date(2026, 5, 2),
                operating=False,
                income=Decimal("0.00"),
                costs=Decimal("20.00"),
                jobs=0,
                items=[
                    ReportedItem(asset_type="beehive", serial="HIVE-001", status="sold"),
                    ReportedItem(asset_type="beehive", serial="HIVE-002", status="in_use"),
                ],
            )
        )
        nc = await nats.connect(
            nats_server.url, **nats_server.identity("monitoring").connect_options()
        )
        try:
            await nc.jetstream().publish(
                subject_for(nats_namespace, report.type),
                report.model_dump_json().encode(),
                headers={"Nats-Msg-Id": str(report.id)},
            )
        finally:
            await nc.close()

        async def raised() -> list[dict[str, Any]] | None:
            response = await monitoring.get(
                f"/v1/flags?participant_id={participant_id}", headers=officer
            )
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()["items"]
            return items if len(items) == 3 else None

        found = await eventually(raised, "monitoring to raise three flags")
        assert sorted(f["rule"] for f in found) == [
            "asset_lost",
            "income_below_plan",
            "not_operating",
        ]

        # plans: not_operating asks for a revision (its second action), so the plan reopens.
        async def reopened() -> dict[str, Any] | None:
            response = await plans.get(f"/v1/business-plans/{journey['plan_id']}", headers=officer)
            body: dict[str, Any] = response.json()
            return body if body["status"] == "draft" else None

        plan = await eventually(reopened, "plans to reopen the plan")
        assert plan["status_reason"] == "not_operating"

        # intake: asset_lost asks for exclusion, a proposal until a case officer excludes.
        application = await intake.get(f"/v1/applications/{participant_id}", headers=officer)
        applicant_id = application.json()["applicant_id"]

        async def proposed() -> dict[str, Any] | None:
            response = await intake.get(
                f"/v1/exclusion-proposals?applicant_id={applicant_id}", headers=officer
            )
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()["items"]
            return items[0] if items else None

        proposal = await eventually(proposed, "intake to propose excluding the person")
        assert (proposal["rule"], proposal["status"]) == ("asset_lost", "pending")
        decided = await intake.post(
            f"/v1/exclusion-proposals/{proposal['id']}/decision",
            json={"decision": "exclude", "reason": "asset_sold"},
            headers={**officer, "If-Match": f'"{proposal["version"]}"'},
        )
        assert decided.status_code == 200, decided.text
        person = await intake.get(
            f"/v1/applicants/{applicant_id}?purpose=case_review", headers=officer
        )
        assert person.json()["excluded_rule"] == "asset_lost"

        again = await intake.post(
            "/v1/applications",
            json={"applicant_id": applicant_id, "direction": "poultry"},
            headers=officer,
        )
        assert again.status_code == 201, again.text
        assert again.json()["status"] == "ineligible"
        assessment = await intake.get(
            f"/v1/applications/{again.json()['id']}/assessment", headers=officer
        )
        assert assessment.status_code == 200, assessment.text
        failed = [r for r in assessment.json()["rules"] if not r["passed"]]
        assert [(r["rule"], r["observed"]) for r in failed] == [("not_excluded", "asset_lost")]
    finally:
        for client in clients.values():
            await client.aclose()


async def test_intake_proposes_once_per_flag_and_keeps_the_first_exclusion(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake")
    officer = auth("case_officer")
    applicant = await intake.client.post("/v1/applicants", json=APPLICANT, headers=officer)
    assert applicant.status_code == 201, applicant.text
    applicant_id = applicant.json()["id"]
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant_id, "direction": "beekeeping"},
        headers=officer,
    )
    participant = uuid.UUID(application.json()["id"])

    def flagged(rule: str, actions: list[str]) -> CaseFlagged:
        return CaseFlagged(
            flag_id=uuid.uuid4(),
            participant_id=participant,
            rule=rule,
            action=actions[0] if actions else None,
            actions=actions,
        )

    # A flag that asks for no exclusion, then one that does (second of its actions), then another.
    await publish(intake, flagged("not_operating", ["follow_up_visit", "revise_plan"]))
    first = flagged("asset_lost", ["recover_asset", "exclude_from_programme"])
    await publish(intake, first)
    await publish(intake, flagged("asset_sold_again", ["exclude_from_programme"]))

    async def all_three_handled() -> bool:
        consumer = next(c for c in intake.runtime.consumers if c.name == "intake-from-monitoring")
        try:  # made once monitoring's stream exists, which the first publish makes
            info = await intake.runtime.nc.jetstream().consumer_info(
                f"{intake.settings.nats_namespace.upper()}_MONITORING", consumer.durable
            )
        except NotFoundError:
            return False
        return bool(info.ack_floor.stream_seq == 3)

    await eventually(all_three_handled, "intake to handle the three flags")
    listed = await intake.client.get(
        f"/v1/exclusion-proposals?applicant_id={applicant_id}", headers=officer
    )
    pending = listed.json()["items"]
    assert [p["rule"] for p in pending] == ["asset_lost", "asset_sold_again"]
    for proposal in pending:  # the officer excludes on both, in turn
        decided = await intake.client.post(
            f"/v1/exclusion-proposals/{proposal['id']}/decision",
            json={"decision": "exclude", "reason": "asset_sold"},
            headers={**officer, "If-Match": f'"{proposal["version"]}"'},
        )
        assert decided.status_code == 200, decided.text
    person = await intake.client.get(
        f"/v1/applicants/{applicant_id}?purpose=case_review", headers=officer
    )
    assert person.json()["excluded_rule"] == "asset_lost"  # the first exclusion is kept
    summary = await intake.client.post(
        "/v1/applicants/search?purpose=case_review", json={"fin": APPLICANT["fin"]}, headers=officer
    )
    assert summary.json()["items"][0]["excluded_rule"] == "asset_lost"
    again = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant_id, "direction": "poultry"},
        headers=officer,
    )
    assert again.json()["status"] == "ineligible"
