"""Applications to a round: every eligibility rule recorded with what it saw, and the priority
score with a breakdown that sums to it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from tests.intake.rounds_support import add_applicant, apply, open_round, outbox
from tests.service_fixtures import Auth, Service


@pytest.mark.parametrize(
    ("rule", "facts", "passed", "observed", "explanation"),
    [
        ({"rule": "age_between", "min": 18, "max": 40}, {"birth_date": date(1990, 3, 1)}, True,
         37, "age 37 on 2027-03-01 is within 18-40"),
        # One day short of 37 at the round's start: still 36.
        ({"rule": "age_between", "min": 37, "max": 40}, {"birth_date": date(1990, 3, 2)}, False,
         36, "age 36 on 2027-03-01 is outside 37-40"),
        ({"rule": "category_in", "categories": ["martyr_family", "disability"]},
         {"categories": ("disability", "unemployed")}, True, ["disability", "unemployed"],
         "in disability"),
        ({"rule": "category_in", "categories": ["martyr_family"]},
         {"categories": ("unemployed",)}, False, ["unemployed"], "none of martyr_family"),
        ({"rule": "region_in", "regions": ["AZ-GA", "AZ-BA"]}, {"region": "AZ-BA"}, True,
         "AZ-BA", "region AZ-BA is one of the round's"),
        ({"rule": "region_in", "regions": ["AZ-GA"]}, {"region": "AZ-SA"}, False, "AZ-SA",
         "region AZ-SA is not one of the round's"),
        ({"rule": "not_benefited"}, {}, True, None, "has not benefited before"),
        ({"rule": "not_benefited"}, {"benefited_at": datetime(2025, 5, 6, tzinfo=UTC)}, False,
         "2025-05-06", "already benefited on 2025-05-06"),
        ({"rule": "household_size_at_least", "min": 4}, {"household_size": 5}, True, 5,
         "household of 5 is at least 4"),
        ({"rule": "household_size_at_least", "min": 4}, {"household_size": 2}, False, 2,
         "household of 2 is below 4"),
        ({"rule": "household_size_at_least", "min": 4}, {"household_size": None}, False, None,
         "household size unknown"),
        ({"rule": "sex_in", "sexes": ["female"]}, {"sex": "female"}, True, "female",
         "sex female is one of female"),
        ({"rule": "sex_in", "sexes": ["female"]}, {"sex": "male"}, False, "male",
         "sex male is not one of female"),
    ],
)  # fmt: skip
async def test_each_rule_records_its_result_and_explanation(
    intake: Service,
    auth: Auth,
    rule: dict[str, Any],
    facts: dict[str, Any],
    passed: bool,
    observed: Any,
    explanation: str,
) -> None:
    round_ = await open_round(intake, auth, rules=[rule])
    application = await apply(intake, auth, await add_applicant(intake, **facts), round_["id"])
    assert application["status"] == ("eligible" if passed else "ineligible")

    assessment = await intake.client.get(
        f"/v1/applications/{application['id']}/assessment", headers=auth("case_officer")
    )
    assert assessment.status_code == 200, assessment.text
    body = assessment.json()
    assert body["eligible"] is passed
    assert body["rules"] == [
        {"rule": rule["rule"], "passed": passed, "observed": observed, "explanation": explanation}
    ]
    [assessed] = await outbox(intake, "intake.application.assessed")
    assert assessed["eligible"] is passed
    assert assessed["failed_rules"] == ([] if passed else [rule["rule"]])


async def test_every_rule_is_checked_even_after_one_fails(intake: Service, auth: Auth) -> None:
    rules = [
        {"rule": "age_between", "min": 18, "max": 30},
        {"rule": "sex_in", "sexes": ["female"]},
        {"rule": "household_size_at_least", "min": 9},
    ]
    round_ = await open_round(intake, auth, rules=rules)
    application = await apply(intake, auth, await add_applicant(intake), round_["id"])
    body = (
        await intake.client.get(
            f"/v1/applications/{application['id']}/assessment", headers=auth("case_officer")
        )
    ).json()
    assert [(r["rule"], r["passed"]) for r in body["rules"]] == [
        ("age_between", False),
        ("sex_in", True),
        ("household_size_at_least", False),
    ]
    assert body["score"] is None  # only eligible applications are scored
    [assessed] = await outbox(intake, "intake.application.assessed")
    assert assessed["failed_rules"] == ["age_between", "household_size_at_least"]


WEIGHTS = {
    "categories": {"points": {"martyr_family": "50", "war_participant": "40"}, "cap": "60"},
    "household": {"above": 3, "per_member": "5", "cap": "20"},
    "waiting": {"per_day": "0.25", "cap": "30"},
}


async def test_score_breakdown_sums_to_the_score_and_follows_the_weights(
    intake: Service, auth: Auth
) -> None:
    period_end = datetime.now(UTC).date() + timedelta(days=10)
    applicant = await add_applicant(
        intake, categories=("martyr_family", "war_participant"), household_size=5
    )
    period = {"period_start": "2026-01-01", "period_end": period_end.isoformat()}
    first = await open_round(intake, auth, weights=WEIGHTS, **period)
    scored = await apply(intake, auth, applicant, first["id"])
    assert scored["score_breakdown"] == [
        {
            "factor": "categories",
            "points": "60.00",
            "detail": "martyr_family 50 + war_participant 40, capped at 60",
        },
        {"factor": "household", "points": "10.00", "detail": "2 members above 3 x 5"},
        {
            "factor": "waiting",
            "points": "2.50",
            "detail": f"10 days to {period_end.isoformat()} x 0.25",
        },
    ]
    assert Decimal(scored["score"]) == sum(Decimal(f["points"]) for f in scored["score_breakdown"])
    assert scored["score"] == "72.50"

    # The same person in a round that weighs things differently scores differently.
    other = await open_round(
        intake,
        auth,
        weights={"categories": {"points": {"war_participant": "15"}}},
        **period,
    )
    rescored = await apply(intake, auth, applicant, other["id"])
    assert rescored["score"] == "15.00"
    assert rescored["score_breakdown"] == [
        {"factor": "categories", "points": "15.00", "detail": "war_participant 15"}
    ]
    got = await intake.client.get(
        f"/v1/applications/{rescored['id']}", headers=auth("case_officer")
    )
    assert got.json()["score_breakdown"] == rescored["score_breakdown"]


async def test_submission_events_carry_round_sex_age_band_and_source(
    intake: Service, auth: Auth
) -> None:
    round_ = await open_round(intake, auth)
    applicant = await add_applicant(intake, birth_date=date(1985, 1, 1), sex="male")
    application = await apply(intake, auth, applicant, round_["id"])
    [submitted] = await outbox(intake, "intake.application.submitted")
    assert submitted["application_id"] == application["id"]
    assert submitted["round_id"] == round_["id"]
    assert submitted["sex"] == "male"
    assert submitted["age_band"] == "40-49"  # 42 on 2027-03-01
    assert submitted["source"] == "staff"
    assert "1985" not in repr(submitted)


async def test_one_application_per_person_per_open_round(intake: Service, auth: Auth) -> None:
    round_ = await open_round(intake, auth)
    applicant = await add_applicant(intake)
    await apply(intake, auth, applicant, round_["id"])
    again = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant, "round_id": round_["id"], "direction": "sewing"},
        headers=auth("case_officer"),
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "body.applicant_id"

    admin = auth("admin")
    closed = await intake.client.post(
        f"/v1/rounds/{round_['id']}/close", headers=admin | {"If-Match": round_["etag"]}
    )
    assert closed.status_code == 200
    late = await intake.client.post(
        "/v1/applications",
        json={
            "applicant_id": await add_applicant(intake),
            "round_id": round_["id"],
            "direction": "sewing",
        },
        headers=auth("case_officer"),
    )
    assert late.status_code == 409
    assert late.json()["current_state"] == "closed"


async def test_direct_application_has_no_rules_and_enrolls(intake: Service, auth: Auth) -> None:
    application = await apply(intake, auth, await add_applicant(intake), None)
    assert application["status"] == "eligible"
    assert application["score"] is None
    officer = auth("case_officer")
    enrolled = await intake.client.post(
        f"/v1/applications/{application['id']}/enroll",
        headers=officer | {"If-Match": f'"{application["version"]}"'},
    )
    assert enrolled.status_code == 200, enrolled.text
    [event] = await outbox(intake, "intake.participant.enrolled")
    assert event["participant_id"] == application["id"]
    assert event["age_band"] is not None


async def test_reading_an_application_is_one_statement_outside_a_transaction(
    intake: Service, auth: Auth
) -> None:
    """No BEGIN and COMMIT around the read's one SELECT: one round trip, not three."""
    application = await apply(intake, auth, await add_applicant(intake), None)
    reads: list[bool] = []  # for each statement on applications: was a transaction open?

    def seen(connection: Any, cursor: Any, statement: str, *_: object) -> None:
        if "FROM applications" in statement:
            asyncpg_connection = connection.connection.dbapi_connection._connection
            reads.append(asyncpg_connection.is_in_transaction())

    engine = intake.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        read = await intake.client.get(
            f"/v1/applications/{application['id']}", headers=auth("case_officer")
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert read.status_code == 200, read.text
    assert read.headers["etag"] == f'"{application["version"]}"'
    assert reads == [False]


async def test_enrolment_refuses_who_benefited_unless_an_admin_overrides(
    intake: Service, auth: Auth
) -> None:
    benefited = await add_applicant(intake, benefited_at=datetime(2025, 1, 2, tzinfo=UTC))
    application = await apply(intake, auth, benefited, None)
    url = f"/v1/applications/{application['id']}/enroll"
    if_match = {"If-Match": f'"{application["version"]}"'}
    refused = await intake.client.post(url, headers=auth("case_officer") | if_match)
    assert refused.status_code == 409, refused.text
    not_admin = await intake.client.post(
        url, json={"override_reason": "court ruling"}, headers=auth("case_officer") | if_match
    )
    assert not_admin.status_code == 403
    overridden = await intake.client.post(
        url, json={"override_reason": "court ruling 12/2027"}, headers=auth("admin") | if_match
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["status"] == "enrolled"
    assert len(await outbox(intake, "intake.participant.enrolled")) == 1


async def test_partner_sees_only_its_own_assessments(intake: Service, auth: Auth) -> None:
    round_ = await open_round(intake, auth)
    application = await apply(intake, auth, await add_applicant(intake), round_["id"])
    partner = await intake.client.post("/v1/partners", json={"name": "AHİK"}, headers=auth("admin"))
    assert partner.status_code == 201, partner.text
    key = await intake.client.post(
        f"/v1/partners/{partner.json()['id']}/api-keys",
        json={"scopes": ["referrals:read"]},
        headers=auth("admin"),
    )
    assert key.status_code == 201, key.text
    response = await intake.client.get(
        f"/v1/applications/{application['id']}/assessment",
        headers={"X-API-Key": key.json()["key"]},
    )
    assert response.status_code == 404
