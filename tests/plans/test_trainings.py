"""Trainings in plans: courses, sessions, enrolment with a waitlist (never over capacity, even
under concurrent requests), attendance, completion and its event, history, the functions the
business plans call, and partners kept inside their own sessions and participants."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable
from typing import Any

import pytest
import sqlalchemy as sa

from plans.participants.models import Participant, ParticipantStatus
from plans.trainings.service import participants as service
from shared.auth import generate_api_key
from shared.db import utcnow
from shared.partner_keys import PARTNER_KEYS
from shared.tables import SHARED_TABLES
from tests.api.openapi_support import gaps
from tests.journey_support import eventually
from tests.plans.plans_support import (
    COURSE,
    DAYS,
    create_course,
    create_session,
    record_memorandum,
)
from tests.service_fixtures import Auth, Service

COMPLETED = "plans.training.completed"


async def add_participants(
    plans: Service,
    count: int = 1,
    *,
    partner_id: uuid.UUID | None = None,
    status: ParticipantStatus = ParticipantStatus.active,
) -> list[str]:
    """Participants as intake.participant.enrolled would leave them (written directly)."""
    ids = [uuid.uuid4() for _ in range(count)]
    async with plans.runtime.sessionmaker() as session, session.begin():
        session.add_all(
            Participant(
                id=participant_id,
                applicant_id=uuid.uuid4(),
                region="AZ-LA",
                categories=["martyr_family"],
                direction="beekeeping",
                partner_id=partner_id,
                enrolled_at=utcnow(),
                status=status,
            )
            for participant_id in ids
        )
    return [str(i) for i in ids]


async def partner_key(plans: Service, *scopes: str) -> tuple[str, dict[str, str]]:
    """A partner and its API key, as intake's key events would leave them in plans, with a
    memorandum that lets it run trainings."""
    partner_id = uuid.uuid4()
    await record_memorandum(plans, partner_id)
    key, prefix, key_hash = generate_api_key()
    async with plans.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            PARTNER_KEYS.insert().values(
                key_id=uuid.uuid4(),
                partner_id=partner_id,
                prefix=prefix,
                key_hash=key_hash,
                scopes=list(scopes or ("trainings:write",)),
                updated_at=utcnow(),
            )
        )
    return str(partner_id), {"X-API-Key": key}


async def enrol(
    plans: Service, headers: dict[str, str], session_id: str, participant_id: str
) -> dict[str, Any]:
    response = await plans.client.post(
        f"/v1/trainings/sessions/{session_id}/enrolments",
        json={"participant_id": participant_id},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    enrolment: dict[str, Any] = response.json()
    return enrolment


async def enrolments(plans: Service, auth: Auth, session_id: str) -> dict[str, dict[str, Any]]:
    response = await plans.client.get(
        f"/v1/trainings/sessions/{session_id}/enrolments?limit=200", headers=auth("case_officer")
    )
    assert response.status_code == 200, response.text
    return {e["participant_id"]: e for e in response.json()["items"]}


async def attend(
    plans: Service, headers: dict[str, str], session_id: str, day: str, present: Iterable[str]
) -> Any:
    return await plans.client.put(
        f"/v1/trainings/sessions/{session_id}/attendance/{day}",
        json={"participant_ids": list(present)},
        headers=headers,
    )


async def completed_events(plans: Service) -> list[dict[str, Any]]:
    outbox = SHARED_TABLES.outbox
    async with plans.runtime.sessionmaker() as session:
        rows = await session.execute(
            sa.select(outbox.c.envelope, outbox.c.published_at)
            .where(outbox.c.subject == COMPLETED)
            .order_by(outbox.c.id)
        )
        return [{**row.envelope, "published": row.published_at is not None} for row in rows]


# --- Courses -------------------------------------------------------------------------------------


async def test_courses_are_created_listed_and_edited_by_admins(plans: Service, auth: Auth) -> None:
    admin = auth("admin")
    create = await plans.client.post(
        "/v1/trainings/courses", json=COURSE, headers={**admin, "Idempotency-Key": "c-1"}
    )
    assert create.status_code == 201, create.text
    course = create.json()
    assert course["name"]["az"] == "Arıçılıq"
    assert course["completion_threshold"] == "0.80"
    assert course["active"] is True
    assert create.headers["location"] == f"/v1/trainings/courses/{course['id']}"
    replay = await plans.client.post(
        "/v1/trainings/courses", json=COURSE, headers={**admin, "Idempotency-Key": "c-1"}
    )
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == course["id"]
    await create_course(plans, auth, direction="sewing")

    officer = auth("case_officer")
    refused = await plans.client.post("/v1/trainings/courses", json=COURSE, headers=officer)
    assert refused.status_code == 403
    too_high = await plans.client.post(
        "/v1/trainings/courses", json={**COURSE, "completion_threshold": "1.5"}, headers=admin
    )
    assert too_high.status_code == 422
    assert too_high.json()["errors"][0]["field"] == "body.completion_threshold"

    listed = await plans.client.get("/v1/trainings/courses?direction=beekeeping", headers=officer)
    assert [c["id"] for c in listed.json()["items"]] == [course["id"]]

    url = f"/v1/trainings/courses/{course['id']}"
    got = await plans.client.get(url, headers=officer)
    assert got.headers["etag"] == '"1"'
    change = {"completion_threshold": "0.60", "active": False}
    assert (await plans.client.patch(url, json=change, headers=admin)).status_code == 428
    changed = await plans.client.patch(url, json=change, headers={**admin, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["completion_threshold"] == "0.60"
    assert changed.json()["active"] is False
    stale = await plans.client.patch(url, json={"hours": 20}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    nulled = await plans.client.patch(
        url, json={"hours": None}, headers={**admin, "If-Match": changed.headers["etag"]}
    )
    assert nulled.status_code == 422
    inactive = await plans.client.get("/v1/trainings/courses?active=false", headers=officer)
    assert [c["id"] for c in inactive.json()["items"]] == [course["id"]]
    missing = await plans.client.get(f"/v1/trainings/courses/{uuid.uuid4()}", headers=officer)
    assert missing.status_code == 404


# --- Sessions ------------------------------------------------------------------------------------


async def test_sessions_days_filters_edits_and_states(plans: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    course = await create_course(plans, auth)
    every_day = await create_session(plans, officer, course["id"])
    assert every_day["days"] == DAYS
    assert every_day["status"] == "planned"
    assert every_day["direction"] == "beekeeping"
    assert every_day["run_by_partner_id"] is None
    partner_id, _ = await partner_key(plans)
    chosen = await create_session(
        plans,
        officer,
        course["id"],
        starts_on="2027-06-01",
        ends_on="2027-06-30",
        days=["2027-06-15", "2027-06-01", "2027-06-15"],
        run_by_partner_id=partner_id,
    )
    assert chosen["days"] == ["2027-06-01", "2027-06-15"]

    outside = await plans.client.post(
        "/v1/trainings/sessions",
        json={
            "course_id": course["id"],
            "starts_on": "2027-06-01",
            "ends_on": "2027-06-05",
            "days": ["2027-06-09"],
            "place": "x",
            "trainer": "y",
            "capacity": 3,
        },
        headers=officer,
    )
    assert outside.status_code == 422
    sewing = await create_course(plans, auth, direction="sewing")
    closed = await plans.client.patch(
        f"/v1/trainings/courses/{sewing['id']}",
        json={"active": False},
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert closed.status_code == 200
    inactive = await plans.client.post(
        "/v1/trainings/sessions",
        json={
            "course_id": sewing["id"],
            "starts_on": DAYS[0],
            "ends_on": DAYS[0],
            "place": "x",
            "trainer": "y",
            "capacity": 3,
        },
        headers=officer,
    )
    assert inactive.status_code == 422
    assert inactive.json()["errors"][0]["code"] == "course_inactive"

    async def listed(query: str) -> list[str]:
        response = await plans.client.get(f"/v1/trainings/sessions?{query}", headers=officer)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["items"]]

    assert await listed("") == [every_day["id"], chosen["id"]]
    assert await listed("direction=beekeeping&limit=1") == [every_day["id"]]
    assert await listed("direction=sewing") == []
    assert await listed("run_by=ministry") == [every_day["id"]]
    assert await listed(f"run_by={partner_id}") == [chosen["id"]]
    assert await listed("from=2027-04-09&to=2027-04-09") == [every_day["id"]]
    assert await listed("from=2027-04-10") == [chosen["id"]]
    assert await listed("status=running") == []
    bad = await plans.client.get("/v1/trainings/sessions?run_by=nobody", headers=officer)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.run_by"

    url = f"/v1/trainings/sessions/{every_day['id']}"
    moved = await plans.client.patch(
        url,
        json={"starts_on": "2027-04-06", "place": "Astara"},
        headers={**officer, "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["days"] == DAYS[1:]
    assert moved.json()["place"] == "Astara"
    started = await plans.client.post(
        f"{url}/start", headers={**officer, "If-Match": moved.headers["etag"]}
    )
    assert started.json()["status"] == "running"
    late = await plans.client.patch(
        url,
        json={"ends_on": "2027-04-20"},
        headers={**officer, "If-Match": started.headers["etag"]},
    )
    assert late.status_code == 409
    assert late.json()["current_state"] == "running"
    again = await plans.client.post(
        f"{url}/start", headers={**officer, "If-Match": started.headers["etag"]}
    )
    assert again.status_code == 409
    done = await plans.client.post(
        f"{url}/complete", headers={**officer, "If-Match": started.headers["etag"]}
    )
    assert done.json()["status"] == "completed"
    assert await listed("status=completed") == [every_day["id"]]
    reader = await plans.client.get(url, headers=auth("analyst"))
    assert reader.status_code == 200
    assert reader.headers["etag"] == done.headers["etag"]
    analyst_writes = await plans.client.post(
        "/v1/trainings/sessions", json={}, headers=auth("analyst")
    )
    assert analyst_writes.status_code == 403


# --- Enrolment and the waitlist ------------------------------------------------------------------


async def test_enrolment_fills_places_then_the_waitlist_and_cancels_promote(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    course = await create_course(plans, auth)
    training = await create_session(plans, officer, course["id"], capacity=2)
    sid = training["id"]
    a, b, c, d = await add_participants(plans, 4)

    first = await enrol(plans, officer, sid, a)
    assert (first["status"], first["waitlist_position"]) == ("enrolled", None)
    assert first["total_days"] == 5
    assert (await enrol(plans, officer, sid, b))["status"] == "enrolled"
    third = await enrol(plans, officer, sid, c)
    assert (third["status"], third["waitlist_position"]) == ("waitlisted", 1)
    assert (await enrol(plans, officer, sid, d))["waitlist_position"] == 2

    twice = await plans.client.post(
        f"/v1/trainings/sessions/{sid}/enrolments", json={"participant_id": a}, headers=officer
    )
    assert twice.status_code == 409
    unknown = await plans.client.post(
        f"/v1/trainings/sessions/{sid}/enrolments",
        json={"participant_id": str(uuid.uuid4())},
        headers=officer,
    )
    assert unknown.status_code == 404
    (gone,) = await add_participants(plans, status=ParticipantStatus.cancelled)
    left_programme = await plans.client.post(
        f"/v1/trainings/sessions/{sid}/enrolments", json={"participant_id": gone}, headers=officer
    )
    assert left_programme.status_code == 409
    assert left_programme.json()["current_state"] == "cancelled"

    url = f"/v1/trainings/sessions/{sid}/enrolments"
    got = await plans.client.get(f"{url}/{a}", headers=officer)
    assert (await plans.client.post(f"{url}/{a}/cancel", headers=officer)).status_code == 428
    cancelled = await plans.client.post(
        f"{url}/{a}/cancel", headers={**officer, "If-Match": got.headers["etag"]}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    now = await enrolments(plans, auth, sid)
    assert (now[c]["status"], now[c]["waitlist_position"]) == ("enrolled", None)
    assert (now[d]["status"], now[d]["waitlist_position"]) == ("waitlisted", 1)

    # A cancelled participant may come back: to the end of the line.
    back = await enrol(plans, officer, sid, a)
    assert (back["status"], back["waitlist_position"]) == ("waitlisted", 2)
    # Leaving the waitlist moves those behind up.
    d_now = await plans.client.get(f"{url}/{d}", headers=officer)
    left = await plans.client.post(
        f"{url}/{d}/cancel", headers={**officer, "If-Match": d_now.headers["etag"]}
    )
    assert left.json()["status"] == "cancelled"
    assert (await enrolments(plans, auth, sid))[a]["waitlist_position"] == 1
    waitlisted = await plans.client.get(f"{url}?status=waitlisted", headers=officer)
    assert [e["participant_id"] for e in waitlisted.json()["items"]] == [a]

    # Capacity: never below the places taken; a larger one lets the waitlist in.
    session_url = f"/v1/trainings/sessions/{sid}"
    etag = (await plans.client.get(session_url, headers=officer)).headers["etag"]
    smaller = await plans.client.patch(
        session_url, json={"capacity": 1}, headers={**officer, "If-Match": etag}
    )
    assert smaller.status_code == 409
    larger = await plans.client.patch(
        session_url, json={"capacity": 3}, headers={**officer, "If-Match": etag}
    )
    assert larger.status_code == 200, larger.text
    assert (await enrolments(plans, auth, sid))[a]["status"] == "enrolled"

    # A cancelled session takes every place with it.
    etag = larger.headers["etag"]
    ended = await plans.client.post(f"{session_url}/cancel", headers={**officer, "If-Match": etag})
    assert ended.json()["status"] == "cancelled"
    assert {e["status"] for e in (await enrolments(plans, auth, sid)).values()} == {"cancelled"}
    closed = await plans.client.post(url, json={"participant_id": d}, headers=officer)
    assert closed.status_code == 409
    assert closed.json()["current_state"] == "cancelled"


async def test_concurrent_enrolments_never_exceed_capacity(plans: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    course = await create_course(plans, auth)
    sid = (await create_session(plans, officer, course["id"], capacity=5))["id"]
    people = await add_participants(plans, 20)

    responses = await asyncio.gather(
        *(
            plans.client.post(
                f"/v1/trainings/sessions/{sid}/enrolments",
                json={"participant_id": person},
                headers=officer,
            )
            for person in people
        )
    )
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    answers = [r.json() for r in responses]
    assert sum(a["status"] == "enrolled" for a in answers) == 5
    positions = sorted(a["waitlist_position"] for a in answers if a["status"] == "waitlisted")
    assert positions == list(range(1, 16))

    # The database agrees with the answers.
    stored = await enrolments(plans, auth, sid)
    assert sum(e["status"] == "enrolled" for e in stored.values()) == 5
    assert {a["participant_id"]: a["status"] for a in answers} == {
        p: e["status"] for p, e in stored.items()
    }
    assert sorted(
        e["waitlist_position"] for e in stored.values() if e["status"] == "waitlisted"
    ) == list(range(1, 16))


async def test_concurrent_cancellations_promote_each_waitlisted_once(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    course = await create_course(plans, auth)
    sid = (await create_session(plans, officer, course["id"], capacity=3))["id"]
    people = await add_participants(plans, 8)
    for person in people:
        await enrol(plans, officer, sid, person)
    url = f"/v1/trainings/sessions/{sid}/enrolments"
    cancels = await asyncio.gather(
        *(
            plans.client.post(f"{url}/{person}/cancel", headers={**officer, "If-Match": "*"})
            for person in people[:3]
        )
    )
    assert [r.status_code for r in cancels] == [200] * 3
    stored = await enrolments(plans, auth, sid)
    assert [stored[p]["status"] for p in people[3:6]] == ["enrolled"] * 3
    assert [stored[p]["waitlist_position"] for p in people[6:]] == [1, 2]


# --- Attendance and completion -------------------------------------------------------------------


async def test_attendance_only_for_enrolled_participants_on_training_days(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    course = await create_course(plans, auth)
    training = await create_session(plans, officer, course["id"], capacity=1)
    sid = training["id"]
    enrolled, waiting = await add_participants(plans, 2)
    await enrol(plans, officer, sid, enrolled)
    await enrol(plans, officer, sid, waiting)

    not_a_day = await attend(plans, officer, sid, "2027-04-20", [enrolled])
    assert not_a_day.status_code == 422
    assert not_a_day.json()["errors"][0]["field"] == "path.day"
    strangers = await attend(plans, officer, sid, DAYS[0], [enrolled, waiting, str(uuid.uuid4())])
    assert strangers.status_code == 422
    assert [e["field"] for e in strangers.json()["errors"]] == [
        "body.participant_ids.1",
        "body.participant_ids.2",
    ]
    url = f"/v1/trainings/sessions/{sid}/attendance/{DAYS[0]}"
    empty = await plans.client.get(url, headers=officer)
    assert (empty.json()["participant_ids"], empty.headers["etag"]) == ([], '"0"')

    first = await attend(plans, officer, sid, DAYS[0], [enrolled])
    assert first.status_code == 200, first.text
    assert first.json() == {
        "session_id": sid,
        "day": DAYS[0],
        "participant_ids": [enrolled],
        "version": 1,
    }
    # The same list again changes nothing; a stale If-Match is refused.
    same = await attend(plans, officer, sid, DAYS[0], [enrolled, enrolled])
    assert same.json()["version"] == 1
    stale = await attend(plans, {**officer, "If-Match": '"0"'}, sid, DAYS[0], [])
    assert stale.status_code == 412
    cleared = await attend(plans, {**officer, "If-Match": '"1"'}, sid, DAYS[0], [])
    assert cleared.json() == {**first.json(), "participant_ids": [], "version": 2}
    read = await plans.client.get(url, headers=auth("analyst"))
    assert read.json()["version"] == 2

    # The first attendance started the session; a completed session takes no more.
    session_url = f"/v1/trainings/sessions/{sid}"
    running = await plans.client.get(session_url, headers=officer)
    assert running.json()["status"] == "running"
    await plans.client.post(
        f"{session_url}/complete", headers={**officer, "If-Match": running.headers["etag"]}
    )
    after = await attend(plans, officer, sid, DAYS[1], [enrolled])
    assert after.status_code == 409


async def test_completion_at_the_threshold_sends_one_event(plans: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    course = await create_course(plans, auth)  # 5 days, threshold 0.80: 4 days complete
    partner_id, _ = await partner_key(plans)
    training = await create_session(plans, officer, course["id"], run_by_partner_id=partner_id)
    sid = training["id"]
    keen, casual = await add_participants(plans, 2)
    await enrol(plans, officer, sid, keen)
    await enrol(plans, officer, sid, casual)

    for day in DAYS[:3]:
        assert (await attend(plans, officer, sid, day, [keen, casual])).status_code == 200
    assert (await enrolments(plans, auth, sid))[keen]["status"] == "enrolled"
    assert await completed_events(plans) == []
    await attend(plans, officer, sid, DAYS[3], [keen])
    stored = await enrolments(plans, auth, sid)
    assert stored[keen]["status"] == "completed"
    assert stored[keen]["completed_on"] == DAYS[3]
    assert (stored[keen]["attended_days"], stored[keen]["attendance_rate"]) == (4, "0.800")
    assert (stored[casual]["status"], stored[casual]["attended_days"]) == ("enrolled", 3)

    # Further days, and the same day again, complete no one twice.
    await attend(plans, officer, sid, DAYS[4], [keen])
    await attend(plans, {**officer, "If-Match": "*"}, sid, DAYS[3], [keen])
    events = await completed_events(plans)
    assert len(events) == 1
    assert events[0]["type"] == COMPLETED
    assert events[0]["subject"] == keen
    assert events[0]["data"] == {
        "participant_id": keen,
        "course_id": course["id"],
        "session_id": sid,
        "direction": "beekeeping",
        "run_by_partner_id": partner_id,
        "completed_on": DAYS[3],
    }
    # ...and the relay sends it out.
    await eventually(lambda: _published(plans), "the event published")

    # The session ends: who is still enrolled did not complete.
    etag = (await plans.client.get(f"/v1/trainings/sessions/{sid}", headers=officer)).headers[
        "etag"
    ]
    await plans.client.post(
        f"/v1/trainings/sessions/{sid}/complete", headers={**officer, "If-Match": etag}
    )
    stored = await enrolments(plans, auth, sid)
    assert (stored[keen]["status"], stored[casual]["status"]) == ("completed", "not_completed")
    assert len(await completed_events(plans)) == 1


async def _published(plans: Service) -> bool:
    return all(event["published"] for event in await completed_events(plans))


# --- History and the functions the business plans call -------------------------------------------


async def test_history_lists_a_participants_trainings(plans: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    bees = await create_course(plans, auth)
    sewing = await create_course(plans, auth, direction="sewing", days=1)
    first = await create_session(plans, officer, bees["id"])
    second = await create_session(
        plans, officer, sewing["id"], starts_on="2027-05-03", ends_on="2027-05-03"
    )
    (person,) = await add_participants(plans)
    await enrol(plans, officer, first["id"], person)
    await enrol(plans, officer, second["id"], person)
    await attend(plans, officer, second["id"], "2027-05-03", [person])
    await attend(plans, officer, first["id"], DAYS[0], [person])

    response = await plans.client.get(
        f"/v1/participants/{person}/trainings", headers=auth("plan_reviewer")
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["course"]["direction"], i["status"], i["attendance_rate"]) for i in items] == [
        ("beekeeping", "enrolled", "0.200"),
        ("sewing", "completed", "1.000"),
    ]
    assert items[0]["session"]["id"] == first["id"]
    assert items[0]["session"]["place"] == "Lənkəran, otaq 12"
    assert items[1]["course"]["name"]["en"] == "Beekeeping"
    missing = await plans.client.get(f"/v1/participants/{uuid.uuid4()}/trainings", headers=officer)
    assert missing.status_code == 404


async def test_completed_training_and_cancelled_places_for_business_plans(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    bees = await create_course(plans, auth, days=1, completion_threshold="1.00")
    short = await create_session(plans, officer, bees["id"], starts_on=DAYS[0], ends_on=DAYS[0])
    full = await create_session(plans, officer, bees["id"], capacity=1)
    small = await create_session(plans, officer, bees["id"], capacity=1)
    leaver, first_in_line, other = await add_participants(plans, 3)
    await enrol(plans, officer, short["id"], leaver)
    await enrol(plans, officer, full["id"], leaver)
    await enrol(plans, officer, full["id"], first_in_line)
    await enrol(plans, officer, small["id"], other)
    await enrol(plans, officer, small["id"], leaver)  # waitlisted, 1
    await enrol(plans, officer, small["id"], first_in_line)  # waitlisted, 2
    await attend(plans, officer, short["id"], DAYS[0], [leaver])

    async with plans.runtime.sessionmaker() as session, session.begin():
        leaver_id = uuid.UUID(leaver)
        assert await service.has_completed_training(session, leaver_id, "beekeeping")
        assert not await service.has_completed_training(session, leaver_id, "sewing")
        assert not await service.has_completed_training(
            session, uuid.UUID(first_in_line), "beekeeping"
        )
        await service.cancel_participant_places(session, leaver_id)

    in_full = await enrolments(plans, auth, full["id"])
    assert in_full[leaver]["status"] == "cancelled"
    assert in_full[first_in_line]["status"] == "enrolled"
    in_small = await enrolments(plans, auth, small["id"])
    assert in_small[leaver]["status"] == "cancelled"
    assert in_small[first_in_line]["waitlist_position"] == 1
    # A completed training is history, not a place: it stays.
    assert (await enrolments(plans, auth, short["id"]))[leaver]["status"] == "completed"
    async with plans.runtime.sessionmaker() as session:
        assert await service.has_completed_training(session, uuid.UUID(leaver), "beekeeping")


# --- Partners ------------------------------------------------------------------------------------


async def test_partners_run_their_own_sessions_with_their_own_participants(
    plans: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    course = await create_course(plans, auth)
    partner_a, key_a = await partner_key(plans)
    partner_b, _ = await partner_key(plans)
    (mine,) = await add_participants(plans, partner_id=uuid.UUID(partner_a))
    (theirs,) = await add_participants(plans, partner_id=uuid.UUID(partner_b))

    own = await create_session(plans, key_a, course["id"])
    assert own["run_by_partner_id"] == partner_a
    as_b = await plans.client.post(
        "/v1/trainings/sessions",
        json={
            "course_id": course["id"],
            "starts_on": DAYS[0],
            "ends_on": DAYS[0],
            "place": "x",
            "trainer": "y",
            "capacity": 3,
            "run_by_partner_id": partner_b,
        },
        headers=key_a,
    )
    assert as_b.status_code == 422
    assert as_b.json()["errors"][0]["field"] == "body.run_by_partner_id"

    await enrol(plans, key_a, own["id"], mine)
    b_participant = await plans.client.post(
        f"/v1/trainings/sessions/{own['id']}/enrolments",
        json={"participant_id": theirs},
        headers=key_a,
    )
    assert b_participant.status_code == 404
    # Staff may place B's participant in A's session: A still sees and records only its own.
    await enrol(plans, officer, own["id"], theirs)
    seen = await plans.client.get(f"/v1/trainings/sessions/{own['id']}/enrolments", headers=key_a)
    assert [e["participant_id"] for e in seen.json()["items"]] == [mine]
    await attend(plans, officer, own["id"], DAYS[0], [theirs])
    refused = await attend(plans, key_a, own["id"], DAYS[0], [mine, theirs])
    assert refused.status_code == 422
    recorded = await attend(plans, key_a, own["id"], DAYS[0], [mine])
    assert recorded.json()["participant_ids"] == [mine]
    staff_view = await plans.client.get(
        f"/v1/trainings/sessions/{own['id']}/attendance/{DAYS[0]}", headers=officer
    )
    assert sorted(staff_view.json()["participant_ids"]) == sorted([mine, theirs])
    history = await plans.client.get(f"/v1/participants/{mine}/trainings", headers=key_a)
    assert [i["session"]["id"] for i in history.json()["items"]] == [own["id"]]

    readonly_key = (await partner_key(plans, "plans:read"))[1]
    no_scope = await plans.client.post(
        f"/v1/trainings/sessions/{own['id']}/enrolments",
        json={"participant_id": mine},
        headers=readonly_key,
    )
    assert no_scope.status_code == 403


async def test_partner_a_can_neither_see_nor_change_partner_bs_trainings(
    plans: Service, auth: Auth
) -> None:
    """Every trainings endpoint, from the OpenAPI document: a new one must be added here."""
    admin = auth("admin")
    course = await create_course(plans, auth)
    _, key_a = await partner_key(plans)
    partner_b, key_b = await partner_key(plans)
    (b_person,) = await add_participants(plans, partner_id=uuid.UUID(partner_b))
    b_session = await create_session(plans, key_b, course["id"])
    sid = b_session["id"]
    await enrol(plans, key_b, sid, b_person)
    await attend(plans, key_b, sid, DAYS[0], [b_person])

    async def snapshot() -> list[Any]:
        urls = [
            f"/v1/trainings/sessions/{sid}",
            f"/v1/trainings/sessions/{sid}/enrolments/{b_person}",
            f"/v1/trainings/sessions/{sid}/attendance/{DAYS[0]}",
            f"/v1/trainings/courses/{course['id']}",
        ]
        return [(await plans.client.get(url, headers=admin)).json() for url in urls]

    before = await snapshot()
    ids = {"session_id": sid, "participant_id": b_person, "day": DAYS[1], "course_id": course["id"]}
    bodies: dict[tuple[str, str], Any] = {
        ("post", "/v1/trainings/courses"): COURSE,
        ("patch", "/v1/trainings/courses/{course_id}"): {"active": False},
        ("post", "/v1/trainings/sessions"): {
            "course_id": course["id"],
            "starts_on": DAYS[0],
            "ends_on": DAYS[0],
            "place": "x",
            "trainer": "y",
            "capacity": 3,
            "run_by_partner_id": partner_b,
        },
        ("patch", "/v1/trainings/sessions/{session_id}"): {"capacity": 9},
        ("post", "/v1/trainings/sessions/{session_id}/enrolments"): {"participant_id": b_person},
        ("put", "/v1/trainings/sessions/{session_id}/attendance/{day}"): {
            "participant_ids": [b_person]
        },
    }
    # What A may do without touching B: read the shared course catalogue, list its own sessions.
    allowed = {
        ("get", "/v1/trainings/courses"),
        ("get", "/v1/trainings/courses/{course_id}"),
        ("get", "/v1/trainings/sessions"),
    }
    refused_as = {
        ("post", "/v1/trainings/courses"): 403,
        ("patch", "/v1/trainings/courses/{course_id}"): 403,
        ("post", "/v1/trainings/sessions"): 422,
    }
    spec = plans.app.openapi()
    tried = set()
    for path, operations in spec["paths"].items():
        if "/trainings" not in path:
            continue
        for method in operations:
            url = path.format(**{name: ids[name] for name in re.findall(r"{(\w+)}", path)})
            response = await plans.client.request(
                method.upper(),
                url,
                json=bodies.get((method, path)),
                headers={**key_a, "If-Match": "*"},
            )
            tried.add((method, path))
            expected = 200 if (method, path) in allowed else refused_as.get((method, path), 404)
            assert response.status_code == expected, (method, path, response.text)
            if response.status_code == 200:
                assert sid not in response.text
                assert b_person not in response.text
    assert len(tried) == 18, sorted(tried)
    assert await snapshot() == before
    # B itself sees what A could not.
    own = await plans.client.get(f"/v1/trainings/sessions/{sid}", headers=key_b)
    assert own.status_code == 200


def test_every_trainings_endpoint_has_a_summary_and_examples(plans_app: Any) -> None:
    assert [gap for gap in gaps(plans_app) if "/trainings" in gap] == []


@pytest.fixture
def plans_app() -> Any:
    from plans.main import create_app

    return create_app()
