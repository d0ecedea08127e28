"""Selection: the pure ranking function under random rounds (hypothesis), and the job over HTTP:
quotas, the reserved share, ties, the waitlist, review then commit, stale commits, freed places,
the round's list of jobs, one person one benefit at commit and promotion, and a job taken over
from an instance that died."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.selection.models import Selection, SelectionResult, SelectionStatus
from intake.selection.ranking import Candidate, Placement, rank_key, reserved_places, select
from intake.selection.runner import SelectionRunner, lock_key
from intake.selection.service import run_selection as run_selection_job
from shared.db import create_engine
from tests.events_support import publish
from tests.intake.benefit_support import benefited_at, delivery
from tests.intake.rounds_support import (
    add_applicant,
    all_results,
    apply,
    enrolled_by_name,
    open_round,
    outbox,
    placed_by_name,
    run_selection,
)
from tests.journey_support import eventually
from tests.service_fixtures import Auth, IntakeSettingsFactory, Service, intake_instance

# --- the pure function ---------------------------------------------------------------------------

REGIONS = ["AZ-BA", "AZ-GA", "AZ-SA", "AZ-LA"]
T0 = datetime(2027, 3, 1, tzinfo=UTC)

candidates_strategy = st.lists(
    st.builds(
        Candidate,
        application_id=st.uuids(),
        region=st.sampled_from(REGIONS),
        score=st.integers(0, 20).map(lambda n: Decimal(n) / 2),  # few values: many ties
        submitted_at=st.integers(0, 5).map(lambda h: T0 + timedelta(hours=h)),
        priority=st.booleans(),
    ),
    max_size=60,
    unique_by=lambda c: c.application_id,
)
quotas_strategy = st.dictionaries(st.sampled_from(REGIONS), st.integers(0, 12))
share_strategy = st.integers(0, 1000).map(lambda n: Decimal(n) / 1000)


@settings(max_examples=300, deadline=None)
@given(candidates_strategy, quotas_strategy, share_strategy, st.randoms())
def test_selection_properties(
    candidates: list[Candidate],
    quotas: dict[str, int],
    share: Decimal,
    rnd: random.Random,
) -> None:
    placements = select(candidates, quotas, share)
    by_id = {c.application_id: c for c in candidates}
    assert sorted(p.application_id for p in placements) == sorted(by_id)

    # Deterministic: the same candidates in another order give the same placements.
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert select(shuffled, quotas, share) == placements

    for region in REGIONS:
        mine = [p for p in placements if p.region == region]
        places = quotas.get(region, 0)
        selected = [p for p in mine if p.selected]
        waitlisted = [p for p in mine if not p.selected]
        reserved = [p for p in selected if p.reserved]
        priority = [p for p in mine if by_id[p.application_id].priority]
        # Never more than the quota; as many as the quota allows.
        assert len(selected) == min(places, len(mine))
        # Reserved places go to priority categories, as many as exist up to the reserved share.
        assert all(by_id[p.application_id].priority for p in reserved)
        assert len(reserved) == min(reserved_places(places, share), len(priority))
        # Ranks are 1..n in rank-key order.
        assert [p.rank for p in mine] == list(range(1, len(mine) + 1))
        keys = [rank_key(by_id[p.application_id]) for p in mine]
        assert keys == sorted(keys)
        # Every general-pool selected outranks every waitlisted in the region.
        general = [p.rank for p in selected if not p.reserved]
        if general and waitlisted:
            assert max(general) < min(p.rank for p in waitlisted)
        # A waitlisted priority applicant means the reserved places are all taken.
        if any(by_id[p.application_id].priority for p in waitlisted):
            assert len(reserved) == reserved_places(places, share)
        assert [p.waitlist_position for p in waitlisted] == list(range(1, len(waitlisted) + 1))
        assert all(p.waitlist_position is None for p in selected)


def test_reserved_places_round_up_and_never_exceed_the_quota() -> None:
    assert reserved_places(10, Decimal("0.30")) == 3
    assert reserved_places(5, Decimal("0.30")) == 2
    assert reserved_places(1, Decimal("0.30")) == 1
    assert reserved_places(0, Decimal("0.30")) == 0
    assert reserved_places(3, Decimal("1")) == 3


def test_ties_are_broken_by_submission_time_then_id() -> None:
    a, b, c = sorted(uuid.uuid4() for _ in range(3))
    tied = [
        Candidate(c, "AZ-BA", Decimal(5), T0, False),
        Candidate(b, "AZ-BA", Decimal(5), T0 + timedelta(seconds=1), False),
        Candidate(a, "AZ-BA", Decimal(5), T0 + timedelta(seconds=1), False),
    ]
    placements = select(tied, {"AZ-BA": 1}, Decimal(0))
    assert [(p.application_id, p.selected, p.waitlist_position) for p in placements] == [
        (c, True, None),
        (a, False, 1),
        (b, False, 2),
    ]


# --- the same function, in SQL ----------------------------------------------------------------


async def _ranked_in_sql(
    intake: Service, candidates: list[Candidate], quotas: dict[str, int], share: Decimal
) -> list[Placement]:
    """The placements the selection job writes for a closed round of these candidates (plus
    applications it must leave out: not eligible, or a partner's claimed referral)."""
    round_id, selection_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            sa.text(
                "INSERT INTO rounds (id, name, period_start, period_end, status, quotas,"
                " reserved_share, priority_categories, rules, weights, created_at, updated_at,"
                " version) VALUES (:id, 'sql', '2027-03-01', '2027-04-30', 'closed',"
                " CAST(:quotas AS jsonb), :share, ARRAY['martyr_family'], '[]', '{}', now(),"
                " now(), 1)"
            ),
            {"id": round_id, "quotas": json.dumps(quotas), "share": share},
        )
        left_out = [(uuid.uuid4(), "ineligible", False), (uuid.uuid4(), "eligible", True)]
        people = [(c.application_id, "eligible", False) for c in candidates] + left_out
        facts = {c.application_id: c for c in candidates}
        for application_id, status, claimed in people:
            candidate = facts.get(application_id) or Candidate(
                application_id, REGIONS[0], Decimal(20), T0, True
            )
            values = {
                "person": (person := uuid.uuid4()),
                "fin": person.hex,
                "application": application_id,
                "round": round_id,
                "status": status,
                "claimed": claimed,
                "region": candidate.region,
                "categories": ["martyr_family"] if candidate.priority else ["unemployed"],
                "score": candidate.score,
                "submitted_at": candidate.submitted_at,
            }
            await session.execute(
                sa.text(
                    "INSERT INTO applicants (id, fin_hash, fin_ciphertext, first_name, last_name,"
                    " name_folded, birth_date, region, categories, claimed, created_at,"
                    " updated_at, version) VALUES (:person, :fin, '\\x00', 'A',"
                    " 'B', 'b a', '1990-01-01', :region, :categories, :claimed, now(), now(), 1)"
                ),
                values,
            )
            await session.execute(
                sa.text(
                    "INSERT INTO applications (id, applicant_id, round_id, source, direction,"
                    " status, region, categories, score, submitted_at, created_at, version,"
                    " assessment, score_breakdown) VALUES (:application, :person, :round,"
                    " 'staff', 'beekeeping', :status, :region, :categories, :score,"
                    " :submitted_at, now(), 1, '[]', '[]')"
                ),
                values,
            )
        session.add(
            Selection(
                id=selection_id,
                round_id=round_id,
                status=SelectionStatus.running,
                requested_by="test",
                created_at=now,
            )
        )
    await run_selection_job(intake.runtime.sessionmaker, selection_id)
    async with intake.runtime.sessionmaker() as session:
        job = await session.get_one(Selection, selection_id)
        assert (job.status, job.error) == (SelectionStatus.proposed, None)
        assert job.processed == job.total == len(candidates)
        results = await session.scalars(
            sa.select(SelectionResult)
            .where(SelectionResult.selection_id == selection_id)
            .order_by(SelectionResult.region, SelectionResult.rank)
        )
        return [
            Placement(
                r.application_id,
                r.region,
                r.rank,
                r.outcome == "selected",
                r.reserved,
                r.score,
                r.waitlist_position,
            )
            for r in results
        ]


async def test_the_job_ranks_in_sql_exactly_as_the_pure_function(intake: Service) -> None:
    """Random rounds (few scores and times: many ties; shares from none to all places; regions
    without a quota), each ranked by the job in PostgreSQL and by `select`."""
    rnd = random.Random(15)
    for case in range(40):
        candidates = [
            Candidate(
                uuid.UUID(int=rnd.getrandbits(128)),
                rnd.choice(REGIONS),
                Decimal(rnd.randint(0, 12)) / 2,
                T0 + timedelta(hours=rnd.randint(0, 3)),
                rnd.random() < 0.4,
            )
            for _ in range(rnd.randint(0, 60))
        ]
        quotas = {r: rnd.randint(0, 12) for r in rnd.sample(REGIONS, rnd.randint(0, 4))}
        share = Decimal(rnd.choice([0, 1, 250, 340, 500, 999, 1000])) / 1000
        expected = sorted(select(candidates, quotas, share))
        assert sorted(await _ranked_in_sql(intake, candidates, quotas, share)) == expected, case


# --- the job over HTTP ---------------------------------------------------------------------------


async def round_with_applicants(
    intake: Service, auth: Auth
) -> tuple[dict[str, Any], dict[str, str]]:
    """GA: 3 places, 2 reserved (ceil 0.34 x 3); BA: 1 place, 1 reserved and no priority
    applicant to take it; SA has no quota. Scores: 30 per disability, 5 per martyr family,
    1 per household member."""
    round_ = await open_round(
        intake,
        auth,
        quotas={"AZ-GA": 3, "AZ-BA": 1},
        reserved_share="0.34",
        rules=[{"rule": "age_between", "min": 18, "max": 60}],
        weights={
            "categories": {"points": {"disability": "30", "martyr_family": "5"}},
            "household": {"above": 0, "per_member": "1"},
        },
    )
    people: dict[str, dict[str, Any]] = {
        "d1": {"region": "AZ-GA", "categories": ("disability",), "household_size": 5},  # 35
        "d2": {"region": "AZ-GA", "categories": ("disability",), "household_size": 4},  # 34
        "d3": {"region": "AZ-GA", "categories": ("disability",), "household_size": 3},  # 33
        "m1": {"region": "AZ-GA", "categories": ("martyr_family",), "household_size": 2},  # 7
        "m2": {"region": "AZ-GA", "categories": ("martyr_family",), "household_size": 1},  # 6
        "u1": {"region": "AZ-GA", "categories": ("unemployed",), "household_size": 1},  # 1
        "b1": {"region": "AZ-BA", "categories": ("unemployed",), "household_size": 2},  # 2
        "b2": {"region": "AZ-BA", "categories": ("unemployed",), "household_size": 1},  # 1
        "b3": {"region": "AZ-BA", "categories": ("unemployed",), "household_size": 1},  # 1, later
        "s1": {"region": "AZ-SA", "categories": ("disability",), "household_size": 1},  # 31
        "old": {
            "region": "AZ-GA",
            "categories": ("disability",),
            "birth_date": T0.date().replace(year=1950),
        },
    }
    ids = {}
    for name, facts in people.items():
        application = await apply(intake, auth, await add_applicant(intake, **facts), round_["id"])
        ids[name] = application["id"]
    admin = auth("admin")
    closed = await intake.client.post(
        f"/v1/rounds/{round_['id']}/close", headers=admin | {"If-Match": round_["etag"]}
    )
    assert closed.status_code == 200, closed.text
    return round_, ids


async def test_selection_honours_quotas_reserved_share_ties_and_waitlist(
    intake: Service, auth: Auth
) -> None:
    round_, ids = await round_with_applicants(intake, auth)
    name = {v: k for k, v in ids.items()}
    selection = await run_selection(intake, auth, round_["id"])
    assert selection["processed"] == selection["total"] == 10  # "old" is not eligible

    results = await all_results(intake, auth, selection["id"])
    table = [
        (r["region"], r["rank"], name[r["application_id"]], r["outcome"], r["reserved"],
         r["waitlist_position"])
        for r in results
    ]  # fmt: skip
    assert table == [
        ("AZ-BA", 1, "b1", "selected", False, None),  # the unused reserved place went to b1
        ("AZ-BA", 2, "b2", "waitlisted", False, 1),  # tied with b3, submitted first
        ("AZ-BA", 3, "b3", "waitlisted", False, 2),
        ("AZ-GA", 1, "d1", "selected", False, None),
        ("AZ-GA", 2, "d2", "waitlisted", False, 1),
        ("AZ-GA", 3, "d3", "waitlisted", False, 2),
        ("AZ-GA", 4, "m1", "selected", True, None),  # reserved places, despite lower scores
        ("AZ-GA", 5, "m2", "selected", True, None),
        ("AZ-GA", 6, "u1", "waitlisted", False, 3),
        ("AZ-SA", 1, "s1", "waitlisted", False, 1),  # no quota, no places
    ]
    assert {r["score"] for r in results if name[r["application_id"]] == "d1"} == {"35.00"}
    ga_waitlist = await all_results(
        intake, auth, selection["id"], "&region=AZ-GA&outcome=waitlisted"
    )
    assert [name[r["application_id"]] for r in ga_waitlist] == ["d2", "d3", "u1"]
    # Nothing is enrolled before the commit.
    assert await outbox(intake, "intake.participant.enrolled") == []


async def test_commit_enrolls_once_each_then_freed_places_go_down_the_waitlist(
    intake: Service, auth: Auth
) -> None:
    round_, ids = await round_with_applicants(intake, auth)
    name = {v: k for k, v in ids.items()}
    selection = await run_selection(intake, auth, round_["id"])
    admin = auth("admin")
    url = f"/v1/selections/{selection['id']}"
    assert (await intake.client.post(f"{url}/commit", headers=admin)).status_code == 428
    stale_tag = await intake.client.post(f"{url}/commit", headers=admin | {"If-Match": '"1"'})
    assert stale_tag.status_code == 412

    committed = await intake.client.post(
        f"{url}/commit", headers=admin | {"If-Match": selection["etag"]}
    )
    assert committed.status_code == 200, committed.text
    assert committed.json()["status"] == "committed"
    again = await intake.client.post(
        f"{url}/commit", headers=admin | {"If-Match": committed.headers["etag"]}
    )
    assert again.status_code == 409
    assert again.json()["current_state"] == "committed"
    round_now = await intake.client.get(f"/v1/rounds/{round_['id']}", headers=admin)
    assert round_now.json()["status"] == "selected"

    enrolled = await enrolled_by_name(intake, name)
    assert enrolled == Counter({"b1": 1, "d1": 1, "m1": 1, "m2": 1})
    placed = await placed_by_name(intake, name)
    assert placed == {
        "b1": "selected", "d1": "selected", "m1": "selected", "m2": "selected",
        "b2": "waitlisted", "b3": "waitlisted", "d2": "waitlisted", "d3": "waitlisted",
        "u1": "waitlisted", "s1": "waitlisted",
    }  # fmt: skip
    [event] = [
        e for e in await outbox(intake, "intake.participant.enrolled") if e["participant_id"] ==
        ids["m1"]
    ]  # fmt: skip
    assert (event["round_id"], event["region"], event["sex"]) == (round_["id"], "AZ-GA", "female")

    async def status(who: str) -> tuple[str, str]:
        response = await intake.client.get(
            f"/v1/applications/{ids[who]}", headers=auth("case_officer")
        )
        return response.json()["status"], response.headers["etag"]

    assert (await status("d2"))[0] == "waitlisted"
    # m1 withdraws: the reserved place has no priority applicant waiting, so d2 (next) takes it.
    m1_status, m1_etag = await status("m1")
    assert m1_status == "enrolled"
    withdrawn = await intake.client.post(
        f"/v1/applications/{ids['m1']}/withdraw",
        headers=auth("case_officer") | {"If-Match": m1_etag},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await status("d2"))[0] == "enrolled"
    assert (await status("d3"))[0] == "waitlisted"

    # d1's enrolment is cancelled: d3 is next.
    _, d1_etag = await status("d1")
    cancelled = await intake.client.post(
        f"/v1/applications/{ids['d1']}/cancel",
        json={"reason": "duplicate"},
        headers=auth("case_officer") | {"If-Match": d1_etag},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await status("d3"))[0] == "enrolled"
    assert (await status("u1"))[0] == "waitlisted"

    cancellations = await outbox(intake, "intake.participant.cancelled")
    assert [(name[e["participant_id"]], e["reason"]) for e in cancellations] == [
        ("m1", "withdrew"),
        ("d1", "duplicate"),
    ]
    enrolled = await enrolled_by_name(intake, name)
    assert enrolled == Counter({"b1": 1, "d1": 1, "m1": 1, "m2": 1, "d2": 1, "d3": 1})
    promoted = await all_results(intake, auth, selection["id"], "&region=AZ-GA&outcome=selected")
    assert {name[r["application_id"]] for r in promoted if r["promoted_at"]} == {"d2", "d3"}


async def test_stale_commit_is_refused_and_a_new_run_commits(intake: Service, auth: Auth) -> None:
    round_, ids = await round_with_applicants(intake, auth)
    selection = await run_selection(intake, auth, round_["id"])
    admin = auth("admin")
    # Only one selection at a time per round.
    second = await intake.client.post(f"/v1/rounds/{round_['id']}/selections", headers=admin)
    assert second.status_code == 409
    assert second.json()["selection_id"] == selection["id"]

    # An applicant on the proposed list withdraws: the proposal no longer describes the round.
    officer = auth("case_officer")
    d1 = await intake.client.get(f"/v1/applications/{ids['d1']}", headers=officer)
    withdrawn = await intake.client.post(
        f"/v1/applications/{ids['d1']}/withdraw",
        headers=officer | {"If-Match": d1.headers["etag"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    url = f"/v1/selections/{selection['id']}"
    stale = await intake.client.post(
        f"{url}/commit", headers=admin | {"If-Match": selection["etag"]}
    )
    assert stale.status_code == 409
    assert stale.json()["type"].endswith("/conflict")
    assert await outbox(intake, "intake.participant.enrolled") == []

    discarded = await intake.client.post(
        f"{url}/discard", headers=admin | {"If-Match": selection["etag"]}
    )
    assert discarded.status_code == 200, discarded.text
    assert discarded.json()["status"] == "discarded"
    rerun = await run_selection(intake, auth, round_["id"])
    assert rerun["total"] == 9
    committed = await intake.client.post(
        f"/v1/selections/{rerun['id']}/commit", headers=admin | {"If-Match": rerun["etag"]}
    )
    assert committed.status_code == 200, committed.text
    enrolled = {e["participant_id"] for e in await outbox(intake, "intake.participant.enrolled")}
    assert ids["d2"] in enrolled  # d1's place, taken by the next in rank
    assert ids["d1"] not in enrolled


async def test_selection_needs_a_closed_round_and_staff(intake: Service, auth: Auth) -> None:
    round_ = await open_round(intake, auth, quotas={"AZ-GA": 1})
    url = f"/v1/rounds/{round_['id']}/selections"
    refused = await intake.client.post(url, headers=auth("admin"))
    assert refused.status_code == 409
    assert refused.json()["current_state"] == "open"
    assert (await intake.client.post(url, headers=auth("case_officer"))).status_code == 403


async def test_a_rounds_selections_are_listed_newest_first(intake: Service, auth: Auth) -> None:
    round_, _ = await round_with_applicants(intake, auth)
    admin = auth("admin")
    first = await run_selection(intake, auth, round_["id"])
    discarded = await intake.client.post(
        f"/v1/selections/{first['id']}/discard", headers=admin | {"If-Match": first["etag"]}
    )
    assert discarded.status_code == 200, discarded.text
    second = await run_selection(intake, auth, round_["id"])
    other_round = await open_round(intake, auth, quotas={"AZ-GA": 1})

    url = f"/v1/rounds/{round_['id']}/selections"
    page = await intake.client.get(f"{url}?limit=1", headers=auth("analyst"))
    assert page.status_code == 200, page.text
    assert [s["id"] for s in page.json()["items"]] == [second["id"]]
    assert page.json()["items"][0]["status"] == "proposed"
    rest = await intake.client.get(
        f"{url}?limit=1&cursor={page.json()['next_cursor']}", headers=auth("analyst")
    )
    assert [(s["id"], s["status"]) for s in rest.json()["items"]] == [(first["id"], "discarded")]
    assert rest.json()["next_cursor"] is None

    only = await intake.client.get(f"{url}?status=discarded", headers=auth("case_officer"))
    assert [s["id"] for s in only.json()["items"]] == [first["id"]]
    empty = await intake.client.get(
        f"/v1/rounds/{other_round['id']}/selections", headers=auth("case_officer")
    )
    assert empty.status_code == 200
    assert empty.json() == {"items": [], "next_cursor": None}
    missing = await intake.client.get(
        f"/v1/rounds/{uuid.uuid4()}/selections", headers=auth("case_officer")
    )
    assert missing.status_code == 404
    assert (await intake.client.get(url, headers=auth("monitor"))).status_code == 403
    bad = await intake.client.get(f"{url}?status=maybe", headers=auth("case_officer"))
    assert bad.status_code == 422


# --- one person, one benefit ---------------------------------------------------------------------


async def receives_assets(intake: Service, auth: Auth, application_id: str) -> None:
    """The person behind the application receives assets through another (direct) application:
    assets.delivery.completed, as the assets service sends it."""
    officer = auth("case_officer")
    application = await intake.client.get(f"/v1/applications/{application_id}", headers=officer)
    applicant_id = application.json()["applicant_id"]
    direct = await apply(intake, auth, applicant_id, None)
    await publish(intake, delivery(direct["id"]))

    async def marked() -> bool:
        return await benefited_at(intake, applicant_id) is not None

    await eventually(marked, "the delivery to mark the person as benefited")


async def test_who_benefited_since_applying_is_skipped_at_commit_and_at_promotion(
    intake: Service, auth: Auth
) -> None:
    round_, ids = await round_with_applicants(intake, auth)
    name = {v: k for k, v in ids.items()}
    selection = await run_selection(intake, auth, round_["id"])
    # Between the run and the commit, d1 (a general place), m1 (a reserved place) and d2 (first
    # on the waitlist) receive assets elsewhere.
    for who in ("d1", "m1", "d2"):
        await receives_assets(intake, auth, ids[who])

    committed = await intake.client.post(
        f"/v1/selections/{selection['id']}/commit",
        headers=auth("admin") | {"If-Match": selection["etag"]},
    )
    assert committed.status_code == 200, committed.text

    async def status(who: str) -> dict[str, Any]:
        response = await intake.client.get(
            f"/v1/applications/{ids[who]}", headers=auth("case_officer")
        )
        return {**response.json(), "etag": response.headers["etag"]}

    for who in ("d1", "m1", "d2"):
        application = await status(who)
        assert (application["status"], application["close_reason"]) == (
            "ineligible",
            "already_benefited",
        )
    # d1's place goes to d3 (d2 is skipped); m1's reserved place has no priority applicant
    # waiting, so u1 takes it as a general place.
    enrolled = await enrolled_by_name(intake, name)
    assert enrolled == Counter({"b1": 1, "m2": 1, "d3": 1, "u1": 1})
    placed = await placed_by_name(intake, name)
    assert placed == {
        "b1": "selected", "m2": "selected", "d3": "selected", "u1": "selected",
        "b2": "waitlisted", "b3": "waitlisted", "s1": "waitlisted",
    }  # fmt: skip
    ga = await all_results(intake, auth, selection["id"], "&region=AZ-GA")
    assert [(name[r["application_id"]], r["outcome"], r["reserved"], bool(r["promoted_at"]))
            for r in ga] == [
        ("d1", "ineligible", False, False),
        ("d2", "ineligible", False, False),
        ("d3", "selected", False, True),
        ("m1", "ineligible", True, False),
        ("m2", "selected", True, False),
        ("u1", "selected", False, True),
    ]  # fmt: skip

    # After the commit: b2, first on BA's waitlist, receives assets; b1 withdraws; b3 gets it.
    await receives_assets(intake, auth, ids["b2"])
    b1 = await status("b1")
    withdrawn = await intake.client.post(
        f"/v1/applications/{ids['b1']}/withdraw",
        headers=auth("case_officer") | {"If-Match": b1["etag"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await status("b2"))["status"] == "ineligible"
    assert (await status("b3"))["status"] == "enrolled"
    enrolled = await enrolled_by_name(intake, name)
    assert enrolled == Counter({"b1": 1, "m2": 1, "d3": 1, "u1": 1, "b3": 1})

    # Each refusal for a benefit received is an adverse decision of the rules, appealable.
    for who in ("d1", "m1", "d2", "b2"):
        decisions = await intake.client.get(
            f"/v1/applications/{ids[who]}/decisions", headers=auth("case_officer")
        )
        # b2 was waitlisted at the commit first: a decision of its own.
        refused = decisions.json()["items"][-1]
        assert (refused["kind"], refused["reason"], refused["decided_by"]) == (
            "ineligible",
            "already_benefited",
            "rules",
        )
        assert refused["ref_id"] == round_["id"]
        assert refused["appealable"] is True


# --- a job left running by an instance that died -------------------------------------------------


async def test_a_job_left_running_by_a_dead_instance_is_finished_once_by_another(
    intake_settings: IntakeSettingsFactory,
    auth: Auth,
) -> None:
    settings = await intake_settings()
    engine = create_engine(settings.database_url)
    try:
        blocker = await engine.connect()
        async with intake_instance(settings) as first:
            round_, ids = await round_with_applicants(first, auth)
            # The results table is locked, so the first instance's run stops at writing them.
            await blocker.execute(sa.text("LOCK TABLE selection_results IN SHARE MODE"))
            requested = await first.client.post(
                f"/v1/rounds/{round_['id']}/selections", headers=auth("admin")
            )
            assert requested.status_code == 202, requested.text
            selection_id = uuid.UUID(requested.json()["id"])

            async def writing() -> bool:
                async with engine.connect() as connection:
                    waiting = await connection.scalar(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            " AND query LIKE 'DELETE FROM selection_results%'"
                        )
                    )
                return bool(waiting)

            await eventually(writing, "the first instance to be writing the results")
        # The first instance is gone (as a crash would leave it): the job still says running.
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.text("SELECT status, version FROM selections WHERE id = :id"),
                    {"id": selection_id},
                )
            ).one()
            assert row.status == "running"
        await blocker.close()  # releases the table

        async with intake_instance(settings) as second:
            runner = second.runtime.get(SelectionRunner)
            # While someone holds the job's lock (a live owner), nobody else takes it.
            async with engine.connect() as owner:
                assert await owner.scalar(
                    sa.select(sa.func.pg_try_advisory_lock(*lock_key(selection_id)))
                )
                assert await runner.run_pending() is False
                await owner.scalar(sa.select(sa.func.pg_advisory_unlock(*lock_key(selection_id))))
                await owner.commit()
            runner.wake()
            proposed = await run_selection_done(second, auth, selection_id)
            assert proposed["processed"] == proposed["total"] == 10
            assert proposed["attempts"] == 2  # the dead instance's run, then this one
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        sa.text(
                            "SELECT count(*) AS n, count(DISTINCT application_id) AS apps"
                            " FROM selection_results WHERE selection_id = :id"
                        ),
                        {"id": selection_id},
                    )
                ).one()
            assert (rows.n, rows.apps) == (10, 10)
            results = await all_results(second, auth, str(selection_id))
            name = {v: k for k, v in ids.items()}
            assert [(name[r["application_id"]], r["outcome"]) for r in results][:4] == [
                ("b1", "selected"),
                ("b2", "waitlisted"),
                ("b3", "waitlisted"),
                ("d1", "selected"),
            ]
            # Finished once: no second run is waiting, and the job stays as it is.
            assert await runner.run_pending() is False
            again = await second.client.get(
                f"/v1/selections/{selection_id}", headers=auth("analyst")
            )
            assert (again.json()["status"], again.json()["version"]) == (
                "proposed",
                proposed["version"],
            )
    finally:
        await engine.dispose()


async def run_selection_done(
    intake: Service, auth: Auth, selection_id: uuid.UUID
) -> dict[str, Any]:
    async def proposed() -> dict[str, Any] | None:
        response = await intake.client.get(
            f"/v1/selections/{selection_id}", headers=auth("analyst")
        )
        body: dict[str, Any] = response.json()
        assert body["status"] not in ("failed", "discarded"), body
        return body if body["status"] == "proposed" else None

    result: dict[str, Any] = await eventually(proposed, "the selection to be proposed")
    return result


async def test_a_job_whose_runs_keep_dying_is_failed_after_the_attempt_limit(
    intake_settings: IntakeSettingsFactory,
    auth: Auth,
) -> None:
    settings = await intake_settings(selection_max_attempts=2)
    engine = create_engine(settings.database_url)

    async def job() -> Any:
        async with engine.connect() as connection:
            return (
                await connection.execute(
                    sa.text("SELECT status, attempts, error FROM selections WHERE id = :id"),
                    {"id": selection_id},
                )
            ).one()

    async def writing() -> bool:
        async with engine.connect() as connection:
            waiting = await connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM selection_results%'"
                )
            )
        return bool(waiting)

    try:
        async with intake_instance(settings) as setup:
            round_, _ = await round_with_applicants(setup, auth)
        selection_id: uuid.UUID | None = None
        for attempt in (1, 2):
            # Each instance's run stops at writing the results, and the instance dies there.
            blocker = await engine.connect()
            await blocker.execute(sa.text("LOCK TABLE selection_results IN SHARE MODE"))
            async with intake_instance(settings) as instance:
                if selection_id is None:
                    requested = await instance.client.post(
                        f"/v1/rounds/{round_['id']}/selections", headers=auth("admin")
                    )
                    assert requested.status_code == 202, requested.text
                    selection_id = uuid.UUID(requested.json()["id"])
                await eventually(writing, f"run {attempt} to be writing the results")
            await blocker.close()
            row = await job()
            assert (row.status, row.attempts, row.error) == ("running", attempt, None)

        async with intake_instance(settings) as last:

            async def failed() -> dict[str, Any] | None:
                response = await last.client.get(
                    f"/v1/selections/{selection_id}", headers=auth("analyst")
                )
                body: dict[str, Any] = response.json()
                assert body["status"] in ("running", "failed"), body
                return body if body["status"] == "failed" else None

            body = await eventually(failed, "the job to be failed")
            assert (body["error"], body["attempts"]) == ("attempts_exhausted", 2)
            assert body["finished_at"] is not None
            async with engine.connect() as connection:
                written = await connection.scalar(
                    sa.text("SELECT count(*) FROM selection_results WHERE selection_id = :id"),
                    {"id": selection_id},
                )
            assert written == 0
            # Failed for good: no runner takes it up again.
            runner = last.runtime.get(SelectionRunner)
            assert await runner.run_pending() is False
            assert (await job()).attempts == 2
    finally:
        await engine.dispose()
