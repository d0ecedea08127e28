"""Intake over HTTP: applicants, applications and the interface conventions."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, text

from intake.applicants.models import Applicant, AuditEntry
from tests.journey_support import APPLICANT as JOURNEY_APPLICANT
from tests.service_fixtures import Auth, Service

# The journey's applicant, with a lower-case FIN (stored upper-case) and another region.
APPLICANT = {**JOURNEY_APPLICANT, "fin": "5abc7de", "region": "AZ-BA"}


async def count(service: Service, model: type) -> int:
    async with service.runtime.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(model))) or 0


async def test_applicant_is_stored_with_fin_hashed_and_encrypted(
    intake: Service, auth: Auth
) -> None:
    response = await intake.client.post(
        "/v1/applicants", json=APPLICANT, headers=auth("case_officer")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["fin"] == "5ABC7DE"  # normalised to upper case
    assert body["first_name"] == "Aygün"
    assert body["last_name"] == "Məmmədova"
    async with intake.runtime.sessionmaker() as session:
        row = (await session.execute(text("SELECT fin_hash, fin_ciphertext FROM applicants"))).one()
    assert "5ABC7DE" not in row.fin_hash
    assert b"5ABC7DE" not in row.fin_ciphertext


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "The request is not valid"), ("az", None), ("ru", None)],
)
async def test_malformed_fin_is_a_problem_naming_the_field(
    intake: Service, auth: Auth, language: str, title: str | None
) -> None:
    response = await intake.client.post(
        "/v1/applicants",
        json={**APPLICANT, "fin": "12-45"},
        headers=auth("case_officer", **{"Accept-Language": language}),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["content-language"] == language
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["body.fin"]
    if title is not None:
        assert problem["title"] == title


async def test_problem_titles_differ_by_language(intake: Service, auth: Auth) -> None:
    titles = set()
    messages = set()
    for language in ("az", "en", "ru"):
        body = {k: v for k, v in APPLICANT.items() if k != "last_name"}
        response = await intake.client.post(
            "/v1/applicants",
            json=body,
            headers=auth("case_officer", **{"Accept-Language": language}),
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["errors"][0]["field"] == "body.last_name"
        titles.add(problem["title"])
        messages.add(problem["errors"][0]["message"])
    assert len(titles) == 3
    assert len(messages) == 3


async def test_unknown_applicant_is_404_problem(intake: Service, auth: Auth) -> None:
    response = await intake.client.get(
        f"/v1/applicants/{uuid.uuid4()}", headers=auth("case_officer", **{"Accept-Language": "ru"})
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["content-language"] == "ru"


async def test_credentials_and_roles(intake: Service, auth: Auth) -> None:
    assert (await intake.client.post("/v1/applicants", json=APPLICANT)).status_code == 401
    wrong_role = await intake.client.post("/v1/applicants", json=APPLICANT, headers=auth("monitor"))
    assert wrong_role.status_code == 403
    assert wrong_role.json()["status"] == 403
    assert await count(intake, Applicant) == 0


async def test_duplicate_fin_is_409_and_one_row(intake: Service, auth: Auth) -> None:
    first = await intake.client.post("/v1/applicants", json=APPLICANT, headers=auth("case_officer"))
    assert first.status_code == 201
    again = await intake.client.post(
        "/v1/applicants", json={**APPLICANT, "fin": " 5ABC7DE "}, headers=auth("case_officer")
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "body.fin"
    assert await count(intake, Applicant) == 1


async def test_idempotent_post_replays_the_same_response(intake: Service, auth: Auth) -> None:
    headers = auth("case_officer", subject="officer-1", **{"Idempotency-Key": "k-1"})
    first = await intake.client.post("/v1/applicants", json=APPLICANT, headers=headers)
    second = await intake.client.post("/v1/applicants", json=APPLICANT, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert await count(intake, Applicant) == 1

    other_body = await intake.client.post(
        "/v1/applicants", json={**APPLICANT, "fin": "7XYZ123"}, headers=headers
    )
    assert other_body.status_code == 422
    assert other_body.json()["type"].endswith("idempotency-key-reused")
    assert await count(intake, Applicant) == 1


async def test_stale_if_match_is_412_and_changes_nothing(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    created = (await intake.client.post("/v1/applicants", json=APPLICANT, headers=officer)).json()
    url = f"/v1/applicants/{created['id']}"
    etag = (await intake.client.get(url, headers=officer)).headers["etag"]

    missing = await intake.client.patch(url, json={"region": "AZ-GA"}, headers=officer)
    assert missing.status_code == 428

    first = await intake.client.patch(
        url, json={"region": "AZ-GA"}, headers={**officer, "If-Match": etag}
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != etag
    stale = await intake.client.patch(
        url, json={"region": "AZ-SA"}, headers={**officer, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert (await intake.client.get(url, headers=officer)).json()["region"] == "AZ-GA"


async def test_reading_personal_fields_is_audited(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer", subject="officer-7")
    created = (await intake.client.post("/v1/applicants", json=APPLICANT, headers=officer)).json()
    await intake.client.get(f"/v1/applicants/{created['id']}", headers=officer)
    analyst = await intake.client.get(f"/v1/applicants/{created['id']}", headers=auth("analyst"))
    assert analyst.status_code == 403  # personal fields are for case officers
    listing = await intake.client.get("/v1/applicants", headers=auth("analyst"))
    assert listing.status_code == 200
    assert "fin" not in listing.json()["items"][0]
    async with intake.runtime.sessionmaker() as session:
        entries = (await session.scalars(select(AuditEntry))).all()
    assert [(e.principal, e.action) for e in entries] == [
        ("staff:officer-7", "read"),
        ("staff:officer-7", "read"),
    ]


async def test_partner_sees_only_its_own_referrals(intake: Service, auth: Auth) -> None:
    admin = auth("admin")
    keys = {}
    for name in ("AHİK", "Other NGO"):
        partner = (
            await intake.client.post("/v1/partners", json={"name": name}, headers=admin)
        ).json()
        issued = await intake.client.post(
            f"/v1/partners/{partner['id']}/api-keys",
            json={"scopes": ["referrals:write", "referrals:read"]},
            headers=admin,
        )
        assert issued.status_code == 201, issued.text
        keys[name] = {"X-API-Key": issued.json()["key"]}

    applicant = await intake.client.post("/v1/applicants", json=APPLICANT, headers=keys["AHİK"])
    assert applicant.status_code == 201, applicant.text
    referral = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant.json()["id"], "direction": "beekeeping"},
        headers=keys["AHİK"],
    )
    assert referral.status_code == 201
    url = f"/v1/applications/{referral.json()['id']}"
    assert (await intake.client.get(url, headers=keys["AHİK"])).status_code == 200
    assert (await intake.client.get(url, headers=keys["Other NGO"])).status_code == 404
    bad_key = {"X-API-Key": keys["AHİK"]["X-API-Key"][:-2] + "xx"}
    assert (await intake.client.get(url, headers=bad_key)).status_code == 401


async def test_enrolling_twice_is_409_naming_the_state(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    applicant = (await intake.client.post("/v1/applicants", json=APPLICANT, headers=officer)).json()
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant["id"], "direction": "beekeeping"},
        headers=officer,
    )
    url = f"/v1/applications/{application.json()['id']}/enroll"
    enrolled = await intake.client.post(
        url, headers={**officer, "If-Match": application.headers.get("etag") or '"1"'}
    )
    assert enrolled.status_code == 200, enrolled.text
    again = await intake.client.post(url, headers={**officer, "If-Match": enrolled.headers["etag"]})
    assert again.status_code == 409
    assert again.json()["current_state"] == "enrolled"


async def test_concurrent_retries_with_one_key_make_one_row(intake: Service, auth: Auth) -> None:
    headers = auth("case_officer", subject="officer-2", **{"Idempotency-Key": "same"})
    responses = await asyncio.gather(
        *(intake.client.post("/v1/applicants", json=APPLICANT, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count(intake, Applicant) == 1


async def test_concurrent_updates_with_one_etag_lose_nothing(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    created = (await intake.client.post("/v1/applicants", json=APPLICANT, headers=officer)).json()
    url = f"/v1/applicants/{created['id']}"
    etag = (await intake.client.get(url, headers=officer)).headers["etag"]
    regions = ["AZ-GA", "AZ-SA", "AZ-LA", "AZ-MI"]
    responses = await asyncio.gather(
        *(
            intake.client.patch(url, json={"region": r}, headers={**officer, "If-Match": etag})
            for r in regions
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 412, 412, 412]
    winner = next(r for r in responses if r.status_code == 200).json()["region"]
    assert (await intake.client.get(url, headers=officer)).json()["region"] == winner
