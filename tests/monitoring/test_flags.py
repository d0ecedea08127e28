"""Flags: each rule raises its flag from a visit report (or an overdue visit), once; rules are data
that admins change; flags are assigned and resolved with If-Match and announced."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select, update

from monitoring.cases.models import ReportEvaluation
from monitoring.visits.models import Visit
from shared.db import utcnow
from tests.events_support import publish
from tests.journey_support import eventually
from tests.monitoring.cases_support import (
    approved,
    delivered,
    flags,
    handle,
    outbox,
    reported,
    visits_of,
)
from tests.monitoring.grievances_support import report_first_visit
from tests.service_fixtures import Auth, Service, StartService


async def followed(monitoring: Service, income: str = "300.00", **delivery: object) -> uuid.UUID:
    """A participant under follow-up, whose plan expects `income` a month."""
    participant = uuid.uuid4()
    await handle(monitoring, approved(participant, income))
    await handle(monitoring, delivered(participant, **delivery))  # type: ignore[arg-type]
    return participant


async def test_each_rule_raises_its_flag_from_a_visit_report(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    officer = auth("case_officer")
    bad, fine, broken = [await followed(monitoring) for _ in range(3)]
    # Not operating, a hive sold, another missing, and 100 AZN against the plan's 300 (< 50%).
    report = reported(
        bad,
        month=3,
        operating=False,
        income="100.00",
        items=[("HIVE-001", "sold"), ("HIVE-002", "missing")],
    )
    await handle(monitoring, report)
    # Operating, every hive in use, and 150 AZN: exactly half the plan is not below it.
    await handle(monitoring, reported(fine, income="150.00", items=[("HIVE-003", "in_use")]))
    # A broken hive is not a lost one under the seeded rule.
    await handle(monitoring, reported(broken, items=[("HIVE-004", "broken")]))

    raised = await flags(monitoring, officer)
    assert sorted((f["participant_id"], f["rule"]) for f in raised) == sorted(
        [(str(bad), "not_operating"), (str(bad), "asset_lost"), (str(bad), "income_below_plan")]
    )
    by_rule = {f["rule"]: f for f in raised}
    assert by_rule["not_operating"]["actions"] == ["follow_up_visit", "revise_plan"]
    assert by_rule["not_operating"]["owner_role"] == "case_officer"
    assert by_rule["asset_lost"]["actions"] == ["recover_asset", "exclude_from_programme"]
    assert [i["status"] for i in by_rule["asset_lost"]["details"]["items"]] == ["sold", "missing"]
    assert by_rule["income_below_plan"]["details"] == {
        "month": 3,
        "income": "100.00",
        "expected": "300.00",
        "ratio": "0.5",
    }
    assert by_rule["income_below_plan"]["owner_role"] == "monitor"
    assert all(
        f["visit_id"] == str(report.visit_id)
        and (f["status"], f["owner_id"], f["region"]) == ("open", None, "AZ-GA")
        for f in raised
    )

    events = await outbox(monitoring, "monitoring.case.flagged")
    assert sorted((e["rule"], e["action"], tuple(e["actions"])) for e in events) == [
        ("asset_lost", "recover_asset", ("recover_asset", "exclude_from_programme")),
        ("income_below_plan", "advise", ("advise",)),
        ("not_operating", "follow_up_visit", ("follow_up_visit", "revise_plan")),
    ]
    assert {e["flag_id"] for e in events} == {f["id"] for f in raised}
    assert all(e["visit_id"] == str(report.visit_id) for e in events)
    # Coded facts only: no serials, notes or amounts beyond the rule's.
    assert all(set(e) <= {"flag_id", "participant_id", "rule", "action", "actions", "visit_id"}
               for e in events)  # fmt: skip

    case = (await monitoring.client.get(f"/v1/cases/{bad}", headers=officer)).json()
    assert sorted(f["rule"] for f in case["open_flags"]) == [
        "asset_lost",
        "income_below_plan",
        "not_operating",
    ]
    only = await flags(monitoring, officer, f"rule=asset_lost&region=AZ-GA&participant_id={bad}")
    assert [f["rule"] for f in only] == ["asset_lost"]
    assert await flags(monitoring, officer, "region=AZ-BA") == []


async def test_without_a_plan_income_raises_no_flag(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    participant = uuid.uuid4()
    await handle(monitoring, delivered(participant))
    await handle(monitoring, reported(participant, income="1.00"))
    assert await flags(monitoring, auth("monitor")) == []


async def test_a_plan_arriving_after_the_report_still_raises_the_income_flag(
    start_service: StartService, auth: Auth
) -> None:
    """The plans and monitoring streams are not ordered with each other: the visit report can be
    checked before the approved plan reaches monitoring."""
    monitoring = await start_service("monitoring")
    monitor = auth("monitor")
    low, enough = uuid.uuid4(), uuid.uuid4()
    for participant in (low, enough):
        await handle(monitoring, delivered(participant))
    low_visit = await report_first_visit(monitoring, low, monitor, operating=True, income="40.00")
    await report_first_visit(monitoring, enough, monitor, operating=True, income="200.00")
    await eventually(lambda: _evaluated(monitoring, 2), "both reports evaluated")
    assert await flags(monitoring, monitor) == []

    await handle(monitoring, approved(low, "300.00"))
    await handle(monitoring, approved(enough, "300.00"))
    await handle(monitoring, approved(low, "300.00"))  # the same approval again: nothing new
    raised = await flags(monitoring, monitor)
    assert [(f["participant_id"], f["rule"], f["visit_id"]) for f in raised] == [
        (str(low), "income_below_plan", low_visit["id"])
    ]
    assert raised[0]["details"] == {
        "month": 1,
        "income": "40.00",
        "expected": "300.00",
        "ratio": "0.5",
    }
    assert [e["rule"] for e in await outbox(monitoring, "monitoring.case.flagged")] == [
        "income_below_plan"
    ]


async def _evaluated(monitoring: Service, count: int) -> bool | None:
    async with monitoring.runtime.sessionmaker() as session:
        done = await session.scalar(select(func.count()).select_from(ReportEvaluation))
    return True if done == count else None


async def test_a_report_sent_twice_or_corrected_raises_each_flag_once(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    monitor = auth("monitor")
    participant = await followed(monitoring)
    visit = (await visits_of(monitoring, participant))[3]
    first = reported(participant, visit_id=visit, operating=False, items=[("HIVE-001", "sold")])
    # The field app sends the same report twice (a retry), through monitoring's own stream.
    envelope = await publish(monitoring, first, msg_id="first")
    await publish(monitoring, first.model_copy(), msg_id="retry")

    async def two() -> list[object] | None:
        raised = await flags(monitoring, monitor)
        return raised if len(raised) == 2 else None

    await eventually(two, "the two flags")
    # A correction (revision 2) still says not operating, and adds income below the plan.
    correction = reported(
        participant, visit_id=visit, operating=False, income="10.00", revision=2,
        items=[("HIVE-001", "sold")],
    )  # fmt: skip
    await publish(monitoring, correction)

    async def three() -> list[object] | None:
        raised = await flags(monitoring, monitor)
        return raised if len(raised) == 3 else None

    raised = await eventually(three, "the correction's new flag")
    # The first revision arriving again, late and with other content, is not evaluated.
    late = reported(participant, visit_id=visit, operating=True, revision=1)
    await handle(monitoring, late)
    await handle(monitoring, correction)  # and the same correction applied again
    again = await flags(monitoring, monitor)
    assert sorted(f["id"] for f in again) == sorted(f["id"] for f in raised)
    assert sorted(f["rule"] for f in again) == ["asset_lost", "income_below_plan", "not_operating"]
    assert len(await outbox(monitoring, "monitoring.case.flagged")) == 3
    assert envelope.id  # the report went through NATS, not a shortcut


async def test_overdue_visits_of_open_cases_are_flagged_once(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    admin = auth("admin")
    # Handed over on 31 January 2026: visits due 28 Feb, 30 Apr, 31 Jul 2026 and 31 Jan 2027.
    overdue = await followed(monitoring, delivered_on=date(2026, 1, 31))
    reported_visit = (await visits_of(monitoring, overdue))[1]
    gone = await followed(monitoring, delivered_on=date(2026, 1, 31))
    await handle(monitoring, reported(overdue, visit_id=reported_visit, month=1))
    await _mark_reported(monitoring, reported_visit)
    closed = await monitoring.client.post(
        f"/v1/cases/{gone}/close",
        json={"outcome": "dropped_out", "reason": "moved_away"},
        headers={**auth("case_officer"), "If-Match": '"1"'},
    )
    assert closed.status_code == 200, closed.text

    # On 31 May 2026 the 3-month visit (due 30 April) is 31 days late: more than the 30 days.
    check = await monitoring.client.post(
        "/v1/flags/overdue-check", json={"on": "2026-05-31"}, headers=admin
    )
    assert check.status_code == 200, check.text
    assert check.json() == {"raised": 1}
    # On 30 May it is exactly 30 days late: not yet (and nothing new either way).
    again = await monitoring.client.post(
        "/v1/flags/overdue-check", json={"on": "2026-05-30"}, headers=admin
    )
    assert again.json() == {"raised": 0}
    later = await monitoring.client.post(
        "/v1/flags/overdue-check", json={"on": "2026-09-01"}, headers=admin
    )
    assert later.json() == {"raised": 1}  # the 6-month visit; the 3-month one is flagged already
    raised = await flags(monitoring, admin, "rule=visit_overdue")
    visits = await visits_of(monitoring, overdue)
    assert sorted(f["visit_id"] for f in raised) == sorted([str(visits[3]), str(visits[6])])
    assert {f["participant_id"] for f in raised} == {str(overdue)}
    assert {tuple(f["actions"]) for f in raised} == {("visit_now",)}
    by_visit = {f["visit_id"]: f["details"] for f in raised}
    assert by_visit[str(visits[3])] == {"due_on": "2026-04-30", "days_overdue": 31}
    events = await outbox(monitoring, "monitoring.case.flagged")
    assert [(e["rule"], e["action"]) for e in events] == [("visit_overdue", "visit_now")] * 2

    # Without a day, today (UTC): the 12-month visit (due 31 January 2027) once 30 days late.
    today = await monitoring.client.post("/v1/flags/overdue-check", headers=admin)
    assert today.status_code == 200, today.text
    assert today.json() == {"raised": int(utcnow().date() > date(2027, 3, 2))}
    refused = await monitoring.client.post("/v1/flags/overdue-check", headers=auth("monitor"))
    assert refused.status_code == 403


async def _mark_reported(monitoring: Service, visit_id: uuid.UUID) -> None:
    """The visits domain moves a visit out of `scheduled` when its report comes in."""
    async with monitoring.runtime.sessionmaker() as session, session.begin():
        await session.execute(update(Visit).where(Visit.id == visit_id).values(status="reported"))


async def test_admins_change_rules_as_data(start_service: StartService, auth: Auth) -> None:
    monitoring = await start_service("monitoring")
    admin, officer = auth("admin"), auth("case_officer")
    listing = await monitoring.client.get("/v1/flag-rules", headers=officer)
    assert listing.status_code == 200, listing.text
    assert {r["code"]: r["kind"] for r in listing.json()["items"]} == {
        "asset_lost": "item_status",
        "income_below_plan": "income_below_plan",
        "not_operating": "not_operating",
        "visit_overdue": "visit_overdue",
    }
    url = "/v1/flag-rules/income_below_plan"
    rule = await monitoring.client.get(url, headers=officer)
    assert rule.json()["parameters"] == {"ratio": "0.5"}
    change = {"parameters": {"ratio": "0.9"}, "actions": ["advise", "revise_plan"],
              "owner_role": "case_officer", "active": True}  # fmt: skip

    assert (await monitoring.client.put(url, json=change, headers=admin)).status_code == 428
    stale = await monitoring.client.put(url, json=change, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    wrong = await monitoring.client.put(
        url,
        json={**change, "parameters": {"ratio": "2"}},
        headers={**admin, "If-Match": rule.headers["etag"]},
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.parameters"
    not_admin = await monitoring.client.put(
        url, json=change, headers={**officer, "If-Match": rule.headers["etag"]}
    )
    assert not_admin.status_code == 403
    changed = await monitoring.client.put(
        url, json=change, headers={**admin, "If-Match": rule.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["parameters"] == {"ratio": "0.9"}
    unknown = await monitoring.client.put(
        "/v1/flag-rules/nope", json=change, headers={**admin, "If-Match": "*"}
    )
    assert unknown.status_code == 404

    off = await monitoring.client.get("/v1/flag-rules/not_operating", headers=admin)
    turned_off = await monitoring.client.put(
        "/v1/flag-rules/not_operating",
        json={**off.json(), "active": False} | {"parameters": {}},
        headers={**admin, "If-Match": off.headers["etag"]},
    )
    assert turned_off.status_code == 200, turned_off.text

    # 200 AZN against 300 was fine at 50%, and is below 90%; not operating raises nothing now.
    participant = await followed(monitoring)
    await handle(monitoring, reported(participant, operating=False, income="200.00"))
    raised = await flags(monitoring, officer)
    assert [(f["rule"], f["actions"], f["owner_role"]) for f in raised] == [
        ("income_below_plan", ["advise", "revise_plan"], "case_officer")
    ]


async def test_flags_are_assigned_and_resolved_with_if_match(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    me = auth("monitor", subject="monitor-7")
    officer = auth("case_officer", subject="officer-1")
    participant = await followed(monitoring)
    await handle(monitoring, reported(participant, operating=False, income="10.00"))
    flag = next(f for f in await flags(monitoring, me) if f["rule"] == "income_below_plan")
    url = f"/v1/flags/{flag['id']}"
    current = await monitoring.client.get(url, headers=me)
    assert current.headers["etag"] == '"1"'

    assert (await monitoring.client.post(f"{url}/assign", json={}, headers=me)).status_code == 428
    mine = await monitoring.client.post(f"{url}/assign", json={}, headers={**me, "If-Match": '"1"'})
    assert mine.status_code == 200, mine.text
    assert (mine.json()["owner_id"], mine.headers["etag"]) == ("monitor-7", '"2"')
    assert [f["id"] for f in await flags(monitoring, me, "owner=me")] == [flag["id"]]
    assert await flags(monitoring, officer, "owner=me") == []
    lost = await monitoring.client.post(
        f"{url}/resolve", json={"resolution": "advice_given"}, headers={**me, "If-Match": '"1"'}
    )
    assert lost.status_code == 412  # someone changed it since that read

    handed = await monitoring.client.post(
        f"{url}/assign", json={"owner_id": "officer-1"}, headers={**me, "If-Match": '"2"'}
    )
    assert handed.json()["owner_id"] == "officer-1"
    assert [f["id"] for f in await flags(monitoring, officer, "owner=me")] == [flag["id"]]
    resolved = await monitoring.client.post(
        f"{url}/resolve",
        json={"resolution": "advice_given", "note": "Talked through pricing at the market"},
        headers={**officer, "If-Match": handed.headers["etag"]},
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["resolution"], body["resolved_by"]) == (
        "resolved",
        "advice_given",
        "staff:officer-1",
    )
    assert body["resolution_note"] == "Talked through pricing at the market"
    twice = await monitoring.client.post(
        f"{url}/resolve",
        json={"resolution": "no_action"},
        headers={**officer, "If-Match": resolved.headers["etag"]},
    )
    assert twice.status_code == 409
    assert twice.json()["current_state"] == "resolved"
    bad = await monitoring.client.post(
        f"{url}/resolve", json={"resolution": "whatever"}, headers={**officer, "If-Match": "*"}
    )
    assert bad.status_code == 422

    events = await outbox(monitoring, "monitoring.flag.resolved")
    assert events == [
        {
            "flag_id": flag["id"],
            "participant_id": str(participant),
            "rule": "income_below_plan",
            "resolution": "advice_given",
        }
    ]
    resolved_list = await flags(monitoring, officer, "status=resolved")
    assert [f["id"] for f in resolved_list] == [flag["id"]]
    case = (await monitoring.client.get(f"/v1/cases/{participant}", headers=officer)).json()
    assert flag["id"] not in [f["id"] for f in case["open_flags"]]
    assert [f["rule"] for f in case["open_flags"]] == ["not_operating"]


async def test_the_service_looks_for_overdue_visits_on_its_own(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring", overdue_check_seconds=0.2)
    participant = await followed(monitoring, delivered_on=date(2020, 1, 31))  # all long overdue

    async def four() -> list[object] | None:
        raised = await flags(monitoring, auth("monitor"), "rule=visit_overdue")
        return raised if len(raised) == 4 else None

    raised = await eventually(four, "the scheduled check to flag the four visits")
    assert {f["participant_id"] for f in raised} == {str(participant)}
    task = next(t for t in monitoring.runtime.tasks if t.get_name() == "monitoring-overdue-check")
    assert not task.done()  # still running, until the service stops (and cancels it)
