"""Partners run training sessions only under a memorandum that covers trainings: intake sends each
memorandum recorded (intake.memorandum.recorded), plans keeps a copy and holds every session run
by a partner, whoever creates it, to one memorandum's period from the first day to the last."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from plans.handlers import on_memorandum_recorded
from plans.trainings.models import PartnerMemorandum
from shared.events import Envelope, MemorandumRecorded
from shared.tables import SHARED_TABLES
from tests.plans.plans_support import eventually, partner_key, record_memorandum
from tests.service_fixtures import Auth, Service, StartService

COURSE: dict[str, Any] = {
    "direction": "beekeeping",
    "name": {"az": "Arıçılıq", "en": "Beekeeping", "ru": "Пчеловодство"},
    "days": 5,
    "hours": 30,
    "completion_threshold": "0.80",
}
EVENT = "intake.memorandum.recorded"


async def course_id(plans: Service, auth: Auth) -> str:
    response = await plans.client.post("/v1/trainings/courses", json=COURSE, headers=auth("admin"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def new_session(
    plans: Service, headers: dict[str, str], course: str, starts_on: str, ends_on: str, **more: Any
) -> Any:
    """The response to creating a session from `starts_on` to `ends_on` (every day)."""
    body = {
        "course_id": course,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "place": "Gəncə, otaq 3",
        "trainer": "Trainer",
        "capacity": 10,
        **more,
    }
    return await plans.client.post("/v1/trainings/sessions", json=body, headers=headers)


def fields(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


async def copies(plans: Service) -> list[PartnerMemorandum]:
    async with plans.runtime.sessionmaker() as session:
        return list(await session.scalars(select(PartnerMemorandum)))


# --- From intake, over NATS ----------------------------------------------------------------------


async def test_a_memorandum_recorded_in_intake_lets_the_partner_run_sessions_in_plans(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake")
    plans = await start_service("plans")
    admin = auth("admin")
    created = await intake.client.post(
        "/v1/partners",
        json={"name": "AHİK", "type": "trade_union", "phone": "012 498 76 54"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    partner_id = created.json()["id"]
    recorded = await intake.client.post(
        f"/v1/partners/{partner_id}/memoranda",
        json={
            "number": "M-2027/03",
            "signed_on": "2026-12-20",
            "valid_from": "2027-01-01",
            "valid_to": "2027-06-30",
            "areas": ["trainings", "monitoring"],
        },
        headers=admin,
    )
    assert recorded.status_code == 201, recorded.text
    memorandum_id = recorded.json()["id"]
    issued = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys", json={"scopes": ["trainings:write"]}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    key = {"X-API-Key": issued.json()["key"]}

    # The event: ids, areas and period only (not the number, nor the partner's contacts).
    async with intake.runtime.sessionmaker() as session:
        outbox = SHARED_TABLES.outbox
        [envelope] = (
            await session.scalars(select(outbox.c.envelope).where(outbox.c.subject == EVENT))
        ).all()
    assert envelope["subject"] == memorandum_id
    assert envelope["data"] == {
        "memorandum_id": memorandum_id,
        "partner_id": partner_id,
        "areas": ["monitoring", "trainings"],
        "valid_from": "2027-01-01",
        "valid_to": "2027-06-30",
    }

    async def arrived() -> list[PartnerMemorandum]:
        return await copies(plans)

    [copy] = await eventually(arrived, "the memorandum in plans")
    assert (str(copy.memorandum_id), str(copy.partner_id)) == (memorandum_id, partner_id)
    assert (copy.areas, copy.valid_from, copy.valid_to) == (
        ["monitoring", "trainings"],
        date(2027, 1, 1),
        date(2027, 6, 30),
    )

    async def key_accepted() -> bool:
        return (await plans.client.get("/v1/directions", headers=key)).status_code == 200

    await eventually(key_accepted, "the partner's key in plans")
    course = await course_id(plans, auth)
    inside = await new_session(plans, key, course, "2027-04-05", "2027-04-09")
    assert inside.status_code == 201, inside.text
    assert inside.json()["run_by_partner_id"] == partner_id
    past_the_end = await new_session(plans, key, course, "2027-06-28", "2027-07-02")
    assert fields(past_the_end) == [("body.ends_on", "outside_training_memorandum")]
    assert past_the_end.json()["memoranda"] == [
        {"memorandum_id": memorandum_id, "valid_from": "2027-01-01", "valid_to": "2027-06-30"}
    ]


# --- The rule, with memoranda applied through plans' handler --------------------------------------


async def test_a_partner_without_a_training_memorandum_runs_no_session(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    course = await course_id(plans, auth)
    partner = uuid.uuid4()

    nothing = await new_session(
        plans,
        {**officer, "Accept-Language": "ru"},
        course,
        "2027-04-05",
        "2027-04-09",
        run_by_partner_id=str(partner),
    )
    assert fields(nothing) == [("body.run_by_partner_id", "no_training_memorandum")]
    assert nothing.json()["errors"][0]["message"] == (
        "У этого партнёра нет меморандума, охватывающего обучение"
    )
    # A memorandum in force, but for monitoring only, is no better.
    await record_memorandum(plans, partner, areas=["monitoring", "assets"])
    wrong_area = await new_session(
        plans, officer, course, "2027-04-05", "2027-04-09", run_by_partner_id=str(partner)
    )
    assert fields(wrong_area) == [("body.run_by_partner_id", "no_training_memorandum")]
    # Another partner's training memorandum does not count either.
    await record_memorandum(plans, uuid.uuid4())
    still = await new_session(
        plans, officer, course, "2027-04-05", "2027-04-09", run_by_partner_id=str(partner)
    )
    assert fields(still) == [("body.run_by_partner_id", "no_training_memorandum")]
    # The ministry's own sessions need none.
    ministry = await new_session(plans, officer, course, "2027-04-05", "2027-04-09")
    assert ministry.status_code == 201, ministry.text

    # The partner's own key: refused the same way, although it named no partner.
    partner_id, key = await partner_key(plans, "trainings:write")
    own = await new_session(plans, key, course, "2027-04-05", "2027-04-09")
    assert fields(own) == [("body.run_by_partner_id", "no_training_memorandum")]
    await record_memorandum(plans, partner_id, areas=["trainings"])
    allowed = await new_session(plans, key, course, "2027-04-05", "2027-04-09")
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["run_by_partner_id"] == str(partner_id)


async def test_a_session_must_lie_within_one_training_memorandum(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    course = await course_id(plans, auth)
    partner = uuid.uuid4()
    first = await record_memorandum(
        plans, partner, valid_from=date(2027, 1, 1), valid_to=date(2027, 4, 30)
    )

    async def run(starts_on: str, ends_on: str) -> Any:
        return await new_session(
            plans, officer, course, starts_on, ends_on, run_by_partner_id=str(partner)
        )

    inside = await run("2027-04-05", "2027-04-09")
    assert inside.status_code == 201, inside.text
    edges = await run("2027-01-01", "2027-04-30")
    assert edges.status_code == 201, edges.text
    assert fields(await run("2026-12-30", "2027-01-02")) == [
        ("body.starts_on", "outside_training_memorandum")
    ]
    assert fields(await run("2027-04-28", "2027-05-02")) == [
        ("body.ends_on", "outside_training_memorandum")
    ]
    assert fields(await run("2026-06-01", "2026-06-05")) == [
        ("body.starts_on", "outside_training_memorandum"),
        ("body.ends_on", "outside_training_memorandum"),
    ]

    # A second memorandum from May, open-ended: each day is covered, but no one memorandum covers
    # a session across the two.
    second = await record_memorandum(plans, partner, valid_from=date(2027, 5, 1))
    across = await run("2027-04-28", "2027-05-02")
    assert fields(across) == [
        ("body.starts_on", "outside_training_memorandum"),
        ("body.ends_on", "outside_training_memorandum"),
    ]
    assert across.json()["memoranda"] == [
        {
            "memorandum_id": str(first.memorandum_id),
            "valid_from": "2027-01-01",
            "valid_to": "2027-04-30",
        },
        {"memorandum_id": str(second.memorandum_id), "valid_from": "2027-05-01", "valid_to": None},
    ]
    later = await run("2030-05-03", "2030-05-07")
    assert later.status_code == 201, later.text

    # Changing a partner's session is held to the same rule, and changes nothing when refused.
    url = f"/v1/trainings/sessions/{inside.json()['id']}"
    moved = await plans.client.patch(
        url,
        json={"starts_on": "2027-04-29", "ends_on": "2027-05-03"},
        headers={**officer, "If-Match": inside.headers["etag"]},
    )
    assert fields(moved) == [
        ("body.starts_on", "outside_training_memorandum"),
        ("body.ends_on", "outside_training_memorandum"),
    ]
    other = uuid.uuid4()
    handed = await plans.client.patch(
        url,
        json={"run_by_partner_id": str(other)},
        headers={**officer, "If-Match": inside.headers["etag"]},
    )
    assert fields(handed) == [("body.run_by_partner_id", "no_training_memorandum")]
    unchanged = await plans.client.get(url, headers=officer)
    assert unchanged.json() == inside.json()
    to_ministry = await plans.client.patch(
        url,
        json={"run_by_partner_id": None, "starts_on": "2028-01-10", "ends_on": "2028-01-14"},
        headers={**officer, "If-Match": inside.headers["etag"]},
    )
    assert to_ministry.status_code == 200, to_ministry.text


async def test_the_copy_is_one_row_per_memorandum_and_the_newest_version_wins(
    plans: Service,
) -> None:
    partner, memorandum = uuid.uuid4(), uuid.uuid4()

    def version(valid_to: date, areas: list[str], at: datetime) -> tuple[Any, Envelope]:
        event = MemorandumRecorded(
            memorandum_id=memorandum,
            partner_id=partner,
            areas=areas,
            valid_from=date(2027, 1, 1),
            valid_to=valid_to,
        )
        return event, Envelope.wrap(event).model_copy(update={"time": at})

    old = version(date(2027, 6, 30), ["trainings"], datetime(2026, 12, 1, tzinfo=UTC))
    new = version(date(2027, 12, 31), ["trainings", "monitoring"], datetime(2027, 2, 1, tzinfo=UTC))
    # The old version twice, the new one, then the old one again (a late redelivery).
    for event, envelope in (old, old, new, old):
        async with plans.runtime.sessionmaker() as session, session.begin():
            await on_memorandum_recorded(session, event, envelope)
    async with plans.runtime.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(PartnerMemorandum))
    [copy] = await copies(plans)
    assert count == 1
    assert (copy.valid_to, copy.areas) == (date(2027, 12, 31), ["monitoring", "trainings"])
    assert copy.recorded_at == datetime(2027, 2, 1, tzinfo=UTC)
