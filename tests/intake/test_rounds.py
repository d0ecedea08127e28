"""Rounds over HTTP: configuration as data, validation, the state machine, and re-assessment
when an open round's rules change."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, text

from intake.applicants.models import Applicant
from intake.applications.models import Application, Source
from intake.applications.service import build_application
from intake.rounds.models import Round
from intake.rounds.rules import age_at
from tests.intake.rounds_support import add_applicant, apply, open_round, outbox
from tests.service_fixtures import Auth, Service

ROUND: dict[str, Any] = {
    "name": "2027 spring round",
    "period_start": "2027-03-01",
    "period_end": "2027-04-30",
    "quotas": {"AZ-BA": 120, "AZ-GA": 40},
    "reserved_share": "0.30",
    "rules": [
        {"rule": "age_between", "min": 18, "max": 55},
        {"rule": "not_benefited"},
    ],
    "weights": {"categories": {"points": {"martyr_family": "50"}, "cap": "60"}},
}


async def test_admin_creates_a_draft_round_that_officers_read(intake: Service, auth: Auth) -> None:
    created = await intake.client.post("/v1/rounds", json=ROUND, headers=auth("admin"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft"
    assert body["quotas"] == {"AZ-BA": 120, "AZ-GA": 40}
    assert body["priority_categories"] == ["martyr_family", "war_participant"]
    assert body["rules"] == [
        {"rule": "age_between", "min": 18, "max": 55},
        {"rule": "not_benefited"},
    ]
    assert created.headers["location"] == f"/v1/rounds/{body['id']}"
    assert created.headers["etag"] == '"1"'

    officer = auth("case_officer")
    read = await intake.client.get(f"/v1/rounds/{body['id']}", headers=officer)
    assert read.status_code == 200
    assert read.json()["weights"] == {
        "categories": {"points": {"martyr_family": "50"}, "cap": "60"}
    }
    listing = await intake.client.get("/v1/rounds?status=draft", headers=officer)
    assert [r["id"] for r in listing.json()["items"]] == [body["id"]]
    assert (await intake.client.get("/v1/rounds?status=open", headers=officer)).json()[
        "items"
    ] == []
    refused = await intake.client.post("/v1/rounds", json=ROUND, headers=officer)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quotas": {"AZ-XX": 5}}, "body.quotas.AZ-XX"),
        ({"quotas": {"AZ-BA": -1}}, "body.quotas.AZ-BA"),
        ({"reserved_share": "1.5"}, "body.reserved_share"),
        ({"rules": [{"rule": "age_between", "min": 50, "max": 18}]}, "body.rules.0.age_between"),
        ({"rules": [{"rule": "lucky_number", "n": 7}]}, "body.rules.0"),
        ({"rules": [{"rule": "category_in", "categories": []}]}, "body.rules.0.category_in"),
        ({"weights": {"household": {"per_member": "-1"}}}, "body.weights.household.per_member"),
        ({"period_end": "2027-01-01"}, "body"),
    ],
)
async def test_invalid_configuration_is_refused_naming_the_field(
    intake: Service, auth: Auth, change: dict[str, Any], field: str
) -> None:
    response = await intake.client.post(
        "/v1/rounds", json={**ROUND, **change}, headers=auth("admin")
    )
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields


async def test_transitions_and_refusals_name_the_current_state(intake: Service, auth: Auth) -> None:
    admin = auth("admin")
    created = await intake.client.post("/v1/rounds", json=ROUND, headers=admin)
    url = f"/v1/rounds/{created.json()['id']}"
    etag = created.headers["etag"]

    assert (await intake.client.post(f"{url}/close", headers=admin | {"If-Match": etag})).json()[
        "current_state"
    ] == "draft"
    assert (await intake.client.post(f"{url}/open", headers=admin)).status_code == 428

    opened = await intake.client.post(f"{url}/open", headers=admin | {"If-Match": etag})
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "open"
    stale = await intake.client.post(f"{url}/close", headers=admin | {"If-Match": etag})
    assert stale.status_code == 412
    again = await intake.client.post(
        f"{url}/open", headers=admin | {"If-Match": opened.headers["etag"]}
    )
    assert again.status_code == 409
    assert again.json()["current_state"] == "open"

    # The period (ages are counted at its start) is fixed once applications can arrive.
    period = await intake.client.patch(
        url,
        json={"period_start": "2027-03-02"},
        headers=admin | {"If-Match": opened.headers["etag"]},
    )
    assert period.status_code == 409
    assert period.json()["current_state"] == "open"
    quotas = await intake.client.patch(
        url,
        json={"quotas": {"AZ-BA": 150}},
        headers=admin | {"If-Match": opened.headers["etag"]},
    )
    assert quotas.status_code == 200, quotas.text
    assert quotas.json()["quotas"] == {"AZ-BA": 150}

    closed = await intake.client.post(
        f"{url}/close", headers=admin | {"If-Match": quotas.headers["etag"]}
    )
    assert closed.json()["status"] == "closed"
    reopen = await intake.client.post(
        f"{url}/open", headers=admin | {"If-Match": closed.headers["etag"]}
    )
    assert reopen.status_code == 409
    assert reopen.json()["current_state"] == "closed"
    assert (await intake.client.get(url, headers=admin)).json()["status"] == "closed"


async def test_draft_round_edits_rules_and_weights(intake: Service, auth: Auth) -> None:
    admin = auth("admin")
    created = await intake.client.post("/v1/rounds", json=ROUND, headers=admin)
    url = f"/v1/rounds/{created.json()['id']}"
    changed = await intake.client.patch(
        url,
        json={
            "rules": [{"rule": "household_size_at_least", "min": 3}],
            "weights": {"waiting": {"per_day": "0.5"}},
        },
        headers=admin | {"If-Match": created.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["rules"] == [{"rule": "household_size_at_least", "min": 3}]
    assert changed.json()["weights"] == {"waiting": {"per_day": "0.5"}}
    assert changed.headers["etag"] == '"2"'


async def _patch(
    intake: Service, headers: dict[str, str], round_: dict[str, Any], change: dict[str, Any]
) -> httpx.Response:
    return await intake.client.patch(
        f"/v1/rounds/{round_['id']}", json=change, headers=headers | {"If-Match": round_["etag"]}
    )


async def test_a_tightened_rule_reassesses_the_open_rounds_submitted_applications(
    intake: Service, auth: Auth
) -> None:
    round_ = await open_round(
        intake,
        auth,
        rules=[{"rule": "age_between", "min": 18, "max": 55}],
        weights={"categories": {"points": {"martyr_family": "50"}}},
    )
    older = await apply(
        intake, auth, await add_applicant(intake, birth_date=date(1980, 6, 1)), round_["id"]
    )
    younger = await apply(
        intake,
        auth,
        await add_applicant(intake, birth_date=date(2000, 6, 1), categories=("martyr_family",)),
        round_["id"],
    )
    enrolled = await apply(
        intake, auth, await add_applicant(intake, birth_date=date(1979, 1, 1)), round_["id"]
    )
    enrolling = await intake.client.post(
        f"/v1/applications/{enrolled['id']}/enroll",
        headers=auth("case_officer") | {"If-Match": f'"{enrolled["version"]}"'},
    )
    assert enrolling.status_code == 200, enrolling.text
    assert older["status"] == younger["status"] == "eligible"
    assert len(await outbox(intake, "intake.application.assessed")) == 3

    admin = auth("admin", subject="round-admin")
    changed = await _patch(
        intake, admin, round_, {"rules": [{"rule": "age_between", "min": 18, "max": 40}]}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["rules"] == [{"rule": "age_between", "min": 18, "max": 40}]
    assert body["rules_changed_by"] == "staff:round-admin"
    assert body["rules_changed_at"] is not None
    assert changed.headers["etag"] != round_["etag"]

    # One event, for the application whose result changed; none for the others.
    assessed = (await outbox(intake, "intake.application.assessed"))[3:]
    assert assessed == [
        {
            "application_id": older["id"],
            "round_id": round_["id"],
            "eligible": False,
            "failed_rules": ["age_between"],
            "score": None,
        }
    ]
    officer = auth("case_officer")
    now_older = (await intake.client.get(f"/v1/applications/{older['id']}", headers=officer)).json()
    assert now_older["status"] == "ineligible"
    assert now_older["score"] is None
    explained = await intake.client.get(
        f"/v1/applications/{older['id']}/assessment", headers=officer
    )
    assert [(r["rule"], r["passed"], r["explanation"]) for r in explained.json()["rules"]] == [
        ("age_between", False, "age 46 on 2027-03-01 is outside 18-40")
    ]
    # Still eligible with the same score; the stored explanation names the new bounds.
    now_younger = (
        await intake.client.get(f"/v1/applications/{younger['id']}", headers=officer)
    ).json()
    assert (now_younger["status"], now_younger["score"]) == ("eligible", younger["score"])
    explained = await intake.client.get(
        f"/v1/applications/{younger['id']}/assessment", headers=officer
    )
    assert explained.json()["rules"][0]["explanation"] == "age 26 on 2027-03-01 is within 18-40"
    # An enrolled participant keeps the assessment they were enrolled on.
    now_enrolled = (
        await intake.client.get(f"/v1/applications/{enrolled['id']}", headers=officer)
    ).json()
    assert now_enrolled["status"] == "enrolled"

    # Weights re-score the eligible: one event with the new score, the ineligible unchanged.
    rescored = await _patch(
        intake,
        admin,
        {**round_, "etag": changed.headers["etag"]},
        {"weights": {"categories": {"points": {"martyr_family": "70"}}}},
    )
    assert rescored.status_code == 200, rescored.text
    assert [
        (e["application_id"], e["eligible"], e["score"])
        for e in (await outbox(intake, "intake.application.assessed"))[4:]
    ] == [(younger["id"], True, "70.00")]


async def test_rule_changes_need_an_open_round_and_if_match(intake: Service, auth: Auth) -> None:
    admin = auth("admin")
    round_ = await open_round(intake, auth, rules=[{"rule": "not_benefited"}])
    tightened = {"rules": [{"rule": "household_size_at_least", "min": 5}]}

    missing = await intake.client.patch(f"/v1/rounds/{round_['id']}", json=tightened, headers=admin)
    assert missing.status_code == 428
    changed = await _patch(intake, admin, round_, tightened)
    assert changed.status_code == 200, changed.text
    stale = await _patch(intake, admin, round_, {"rules": []})
    assert stale.status_code == 412
    # Staff other than admins cannot change them.
    refused = await _patch(
        intake, auth("case_officer"), {**round_, "etag": changed.headers["etag"]}, tightened
    )
    assert refused.status_code == 403

    closed = await intake.client.post(
        f"/v1/rounds/{round_['id']}/close", headers=admin | {"If-Match": changed.headers["etag"]}
    )
    assert closed.status_code == 200, closed.text
    changes: list[dict[str, Any]] = [
        tightened,
        {"weights": {}},
        {"priority_categories": ["disability"]},
    ]
    for change in changes:
        late = await _patch(intake, admin, {**round_, "etag": closed.headers["etag"]}, change)
        assert late.status_code == 409, late.text
        assert late.json()["current_state"] == "closed"
    after = await intake.client.get(f"/v1/rounds/{round_['id']}", headers=admin)
    assert after.json()["rules"] == tightened["rules"]
    assert after.headers["etag"] == closed.headers["etag"]


async def test_reassessing_two_thousand_applications_in_one_request(
    intake: Service, auth: Auth
) -> None:
    """A set-based pass: every application once, half of them changing (the time is printed)."""
    round_ = await open_round(intake, auth, rules=[{"rule": "age_between", "min": 18, "max": 60}])
    async with intake.runtime.sessionmaker() as session, session.begin():
        round_row = await session.get(Round, uuid.UUID(round_["id"]))
        assert round_row is not None
        applicants = [
            Applicant(
                fin_hash=uuid.uuid4().hex,
                fin_ciphertext=b"-",
                first_name="Test",
                last_name="Person",
                name_folded="person test",
                # Even ones 46 at the round's start, odd ones 26.
                birth_date=date(1980 if n % 2 == 0 else 2000, 6, 1),
                sex="female",
                region="AZ-GA",
                household_size=3,
                categories=["unemployed"],
            )
            for n in range(2_000)
        ]
        session.add_all(applicants)
        await session.flush()
        now = datetime.now(UTC)
        rows = [
            build_application(
                a, round_row, direction="sewing", partner_id=None, source=Source.staff, now=now
            ).values
            for a in applicants
        ]
        await session.execute(insert(Application), rows)

    started = time.monotonic()
    changed = await _patch(
        intake, auth("admin"), round_, {"rules": [{"rule": "age_between", "min": 18, "max": 40}]}
    )
    elapsed = time.monotonic() - started
    assert changed.status_code == 200, changed.text
    print(f"re-assessed 2,000 applications in {elapsed:.2f}s")

    assessed = await outbox(intake, "intake.application.assessed")
    assert len(assessed) == 1_000
    assert {e["failed_rules"][0] for e in assessed} == {"age_between"}
    async with intake.runtime.sessionmaker() as session:
        counts: dict[str, int] = dict(
            (
                await session.execute(
                    text(
                        "SELECT status, count(*) FROM applications WHERE round_id = :r"
                        " GROUP BY status"
                    ),
                    {"r": round_["id"]},
                )
            ).all()
        )
    assert counts == {"eligible": 1_000, "ineligible": 1_000}


@given(st.dates(min_value=date(1900, 1, 1)), st.dates(min_value=date(1900, 1, 1)))
def test_age_is_counted_in_completed_years_as_relativedelta_counts_them(
    born: date, on: date
) -> None:
    assert age_at(born, on) == relativedelta(on, born).years


def test_born_on_29_february_is_a_year_older_on_28_february() -> None:
    assert age_at(date(2000, 2, 29), date(2001, 2, 28)) == 1
    assert age_at(date(2000, 2, 29), date(2001, 2, 27)) == 0
    assert age_at(date(2000, 2, 29), date(2004, 2, 28)) == 3
