"""Flags only propose: a corrected report that no longer trips a rule resolves its open flag, and
an item found against the person is a decision they may appeal; an upheld appeal corrects it."""

from __future__ import annotations

import uuid
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from monitoring.visits.models import VisitUnit
from shared.db import utcnow
from shared.events import GrievanceResolved, MonitoringDecisionRecorded
from shared.tables import SHARED_TABLES
from tests.monitoring.cases_support import delivered, flags, handle, outbox, reported
from tests.monitoring.grievances_support import appeal, enrolled, lodged, report_first_visit
from tests.service_fixtures import Auth, Service


async def test_a_corrected_report_resolves_the_flag_it_no_longer_trips(
    monitoring: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    participant = uuid.uuid4()
    await handle(monitoring, delivered(participant))
    visit = uuid.uuid4()
    sold = [("HIVE-001", "sold")]
    await handle(monitoring, reported(participant, visit_id=visit, operating=False, items=sold))
    raised = {f["rule"]: f for f in await flags(monitoring, officer)}
    assert set(raised) == {"asset_lost", "not_operating"}

    # The hive was in use after all; the business is still not operating.
    in_use = [("HIVE-001", "in_use")]
    await handle(
        monitoring,
        reported(participant, visit_id=visit, operating=False, items=in_use, revision=2),
    )
    after = {f["rule"]: f for f in await flags(monitoring, officer)}
    lost = after["asset_lost"]
    assert (lost["status"], lost["resolution"], lost["resolved_by"]) == (
        "resolved",
        "report_corrected",
        "rules",
    )
    assert after["not_operating"]["status"] == "open"
    [event] = await outbox(monitoring, "monitoring.flag.resolved")
    assert (event["flag_id"], event["resolution"]) == (lost["id"], "report_corrected")

    # Only the rules resolve so; staff say a flag was unfounded.
    flag_url = f"/v1/flags/{after['not_operating']['id']}/resolve"
    headers = {**officer, "If-Match": '"1"'}
    refused = await monitoring.client.post(
        flag_url, json={"resolution": "report_corrected"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.resolution"
    unfounded = await monitoring.client.post(
        flag_url, json={"resolution": "unfounded"}, headers=headers
    )
    assert unfounded.status_code == 200, unfounded.text
    assert unfounded.json()["resolution"] == "unfounded"


async def _visit_report(monitoring: Service, auth: Auth, participant: uuid.UUID) -> Any:
    """The participant's first visit reported by a monitor: one hive sold, one in use."""
    event = delivered(participant, delivered_on=utcnow().date() - relativedelta(months=8))
    await handle(monitoring, event)
    hive_1, hive_2 = event.items[0].unit_ids
    await report_first_visit(
        monitoring,
        participant,
        auth("monitor", subject="monitor-5"),
        operating=True,
        items=[
            {"unit_id": str(hive_1), "status": "sold", "reason": "sold_to_neighbour"},
            {"unit_id": str(hive_2), "status": "in_use"},
        ],
    )
    return hive_1


async def test_an_item_found_sold_is_an_appealable_decision_reversed_when_upheld(
    monitoring: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    participant = await enrolled(monitoring)
    hive = await _visit_report(monitoring, auth, participant)

    [recorded] = await outbox(monitoring, "monitoring.decision.recorded")
    assert (recorded["kind"], recorded["reason"], recorded["decided_by"]) == (
        "item_status",
        "sold",
        "staff:monitor-5",
    )
    assert (recorded["ref_id"], recorded["application_id"]) == (str(hive), str(participant))
    await handle(monitoring, MonitoringDecisionRecorded.model_validate(recorded))

    body = await lodged(monitoring, officer, appeal(participant, recorded["decision_id"]))
    url = f"/v1/grievances/{body['id']}"
    resolved = await monitoring.client.post(
        f"{url}/resolve", json={"outcome": "upheld"}, headers={**officer, "If-Match": '"1"'}
    )
    assert resolved.status_code == 200, resolved.text
    [decided] = await outbox(monitoring, "monitoring.grievance.resolved")
    assert decided["decision_service"] == "monitoring"
    await handle(monitoring, GrievanceResolved.model_validate(decided))
    await handle(monitoring, GrievanceResolved.model_validate(decided))  # applied twice: once

    [reversal] = await outbox(monitoring, "monitoring.decision.reversed")
    assert (reversal["decision_id"], reversal["grievance_id"]) == (
        recorded["decision_id"],
        body["id"],
    )
    assert reversal["effect"] == "item_status_corrected"
    statuses = await outbox(monitoring, "monitoring.item.status_reported")
    assert [(s["unit_id"], s["status"]) for s in statuses] == [
        (str(hive), "sold"),
        (str(hive), "in_use"),
    ]
    async with monitoring.runtime.sessionmaker() as session:
        unit = await session.get(VisitUnit, hive)
        assert unit is not None
        assert unit.status == "in_use"
        table = SHARED_TABLES.adverse_decisions
        row = (await session.execute(select(table))).one()
        assert row.reversal_effect == "item_status_corrected"
