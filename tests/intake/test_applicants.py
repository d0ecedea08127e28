"""Applicants: validation of phone, region and categories, names kept exactly, personal fields
only for the roles that need them (audited with a why-code), and no personal data in events or
logs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError
from sqlalchemy import select, text

from intake.applicants.models import ApplicantCategory, AuditEntry
from intake.applicants.schemas import _check_phone
from shared.tables import SHARED_TABLES
from tests.intake.applicants_support import evidence, field_errors, partner_key, person, register
from tests.service_fixtures import Auth, Service

PERSONAL = ("fin", "first_name", "last_name", "patronymic", "birth_date", "phone", "address")


async def audit_rows(intake: Service, applicant_id: str) -> list[AuditEntry]:
    async with intake.runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.resource_id == uuid.UUID(applicant_id))
            .order_by(AuditEntry.id)
        )
        return list(rows)


@pytest.mark.parametrize("typed", ["050 123 45 67", "+994 50 123 45 67", "(050) 123-45-67"])
async def test_phone_is_normalised_to_e164(intake: Service, auth: Auth, typed: str) -> None:
    created = await register(intake, auth("case_officer"), phone=typed)
    assert created["phone"] == "+994501234567"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("+7 912 345 67 89", "phone_not_azerbaijani"),
        ("+90 532 123 45 67", "phone_not_azerbaijani"),
        ("050 12", "phone_invalid"),
        ("not a phone", "phone_invalid"),
    ],
)
async def test_foreign_or_invalid_phone_is_a_field_error(
    intake: Service, auth: Auth, typed: str, code: str
) -> None:
    response = await intake.client.post(
        "/v1/applicants", json=person(phone=typed), headers=auth("case_officer")
    )
    assert response.status_code == 422
    assert field_errors(response) == {"body.phone": code}


def _parsed_phone(value: str) -> str:
    """The check without its E.164 shortcut: the number as phonenumbers parses it."""
    try:
        number = phonenumbers.parse(value, "AZ")
    except phonenumbers.NumberParseException:
        return "phone_invalid"
    if number.country_code != 994:
        return "phone_not_azerbaijani"
    if not phonenumbers.is_valid_number(number):
        return "phone_invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(r"\+994[0-9]{8,10}", fullmatch=True))
def test_a_number_in_e164_is_checked_as_the_parser_checks_it(typed: str) -> None:
    try:
        checked = _check_phone(typed)
    except PydanticCustomError as error:
        checked = error.type
    assert checked == _parsed_phone(typed)


async def test_phone_error_is_localised(intake: Service, auth: Auth) -> None:
    messages = set()
    for language in ("az", "en", "ru"):
        response = await intake.client.post(
            "/v1/applicants",
            json=person(phone="+7 912 345 67 89"),
            headers=auth("case_officer", **{"Accept-Language": language}),
        )
        messages.add(response.json()["errors"][0]["message"])
    assert len(messages) == 3


async def test_region_comes_from_iso_3166_2_az(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    created = await register(intake, officer, region="az-ga")
    assert (created["region"], created["region_name"]) == ("AZ-GA", "Gəncə")
    nakhchivan_district = await register(intake, officer, region="AZ-BAB")
    assert nakhchivan_district["region_name"] == "Babək"

    for code in ("AZ-XX", "TR-34", "Baku"):
        response = await intake.client.post(
            "/v1/applicants", json=person(region=code), headers=officer
        )
        assert response.status_code == 422
        assert field_errors(response) == {"body.region": "region_unknown"}


@pytest.mark.parametrize(
    ("categories", "errors"),
    [
        (
            [{"category": "disability", "evidence": evidence()}],
            {"body.categories.0.disability_group": "disability_group_required"},
        ),
        (
            [{"category": "idp", "disability_group": "II", "evidence": evidence()}],
            {"body.categories.0.disability_group": "disability_group_not_allowed"},
        ),
        (
            [{"category": "disability", "disability_group": "IV", "evidence": evidence()}],
            {"body.categories.0.disability_group": "enum"},
        ),
        ([{"category": "war_participant"}], {"body.categories.0.evidence": "missing"}),
        (
            [
                {
                    "category": "unemployed",
                    "evidence": {"document_type": "card", "number": "1", "issued_on": "2999-01-01"},
                }
            ],
            {"body.categories.0.evidence.issued_on": "date_in_future"},
        ),
        (
            [
                {"category": "idp", "evidence": evidence()},
                {"category": "idp", "evidence": evidence("2")},
            ],
            {"body.categories": "category_repeated"},
        ),
        ([], {"body.categories": "too_short"}),
        (["martyr_family"], {"body.categories.0": "model_attributes_type"}),
    ],
)
async def test_categories_need_evidence_and_disability_its_group(
    intake: Service, auth: Auth, categories: list[Any], errors: dict[str, str]
) -> None:
    response = await intake.client.post(
        "/v1/applicants", json=person(categories=categories), headers=auth("case_officer")
    )
    assert response.status_code == 422
    assert field_errors(response) == errors


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("household_size", 0, "greater_than_equal"),
        ("household_size", 31, "less_than_equal"),
        ("sex", "other", "enum"),
        ("birth_date", "2999-01-01", "date_in_future"),
    ],
)
async def test_household_sex_and_birth_date_are_checked(
    intake: Service, auth: Auth, field: str, value: Any, code: str
) -> None:
    response = await intake.client.post(
        "/v1/applicants", json=person(**{field: value}), headers=auth("case_officer")
    )
    assert response.status_code == 422
    assert field_errors(response) == {f"body.{field}": code}


async def test_categories_are_stored_with_their_evidence(intake: Service, auth: Auth) -> None:
    categories = [
        {"category": "disability", "disability_group": "II", "evidence": evidence("ƏL-1")},
        {"category": "war_participant", "evidence": evidence("VM-2")},
    ]
    created = await register(intake, auth("case_officer"), categories=categories)
    assert created["categories"] == ["disability", "war_participant"]
    assert created["category_details"] == [
        {
            "category": "disability",
            "disability_group": "II",
            "evidence": {
                "document_type": "certificate",
                "number": "ƏL-1",
                "issued_on": "2021-03-15",
            },
        },
        {
            "category": "war_participant",
            "disability_group": None,
            "evidence": {
                "document_type": "certificate",
                "number": "VM-2",
                "issued_on": "2021-03-15",
            },
        },
    ]
    async with intake.runtime.sessionmaker() as session:
        rows = (await session.scalars(select(ApplicantCategory))).all()
    assert sorted((r.category, r.disability_group, r.document_number) for r in rows) == [
        ("disability", "II", "ƏL-1"),
        ("war_participant", None, "VM-2"),
    ]


async def test_changing_categories_replaces_them(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    created = await register(intake, officer)
    response = await intake.client.patch(
        f"/v1/applicants/{created['id']}",
        json={"categories": [{"category": "idp", "evidence": evidence("IDP-9")}], "phone": None},
        headers={**officer, "If-Match": f'"{created["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["categories"] == ["idp"]
    after = (await intake.client.get(f"/v1/applicants/{created['id']}", headers=officer)).json()
    assert [c["evidence"]["number"] for c in after["category_details"]] == ["IDP-9"]
    assert after["phone"] is None
    assert after["region"] == "AZ-GA"  # not sent, not changed


async def test_azerbaijani_names_are_kept_exactly(intake: Service, auth: Auth) -> None:
    names = {"first_name": "İlqar", "last_name": "Şükürov", "patronymic": "Çingiz oğlu"}
    created = await register(intake, auth("case_officer"), **names)
    assert {k: created[k] for k in names} == names
    async with intake.runtime.sessionmaker() as session:
        row = (
            await session.execute(text("SELECT first_name, last_name, patronymic FROM applicants"))
        ).one()
    assert tuple(row) == ("İlqar", "Şükürov", "Çingiz oğlu")


async def test_personal_fields_only_for_case_officers_with_the_purpose_audited(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer", subject="officer-7")
    created = await register(intake, officer)
    url = f"/v1/applicants/{created['id']}"

    by_query = await intake.client.get(f"{url}?purpose=enrolment", headers=officer)
    assert by_query.status_code == 200
    assert by_query.json()["first_name"] == "Aygün"
    by_header = await intake.client.get(url, headers={**officer, "X-Purpose": "monitoring_visit"})
    assert by_header.status_code == 200
    unknown = await intake.client.get(f"{url}?purpose=curiosity", headers=officer)
    assert unknown.status_code == 422
    assert field_errors(unknown) == {"query.purpose": "enum"}

    for role in ("analyst", "monitor"):
        headers = auth(role)
        assert (await intake.client.get(url, headers=headers)).status_code == 403
        listing = await intake.client.get("/v1/applicants", headers=headers)
        assert listing.status_code == 200
        (item,) = listing.json()["items"]
        assert item["id"] == created["id"]
        assert item["categories"] == ["martyr_family"]
        assert not set(PERSONAL) & set(item), item
        assert "category_details" not in item

    rows = await audit_rows(intake, created["id"])
    assert [(r.principal, r.action, r.purpose) for r in rows] == [
        ("staff:officer-7", "read", "case_review"),  # the registration's own response
        ("staff:officer-7", "read", "enrolment"),
        ("staff:officer-7", "read", "monitoring_visit"),
    ]


async def test_partner_sees_personal_fields_of_its_own_referrals_only(
    intake: Service, auth: Auth
) -> None:
    ahik = await partner_key(intake, auth, "AHİK")
    other = await partner_key(intake, auth, "Other NGO")
    referred = await register(intake, ahik)
    assert referred["referred_by_partner_id"] is not None
    staffs = await register(intake, auth("case_officer"), first_name="Rəşad", last_name="Quliyev")

    own = await intake.client.get(f"/v1/applicants/{referred['id']}", headers=ahik)
    assert own.status_code == 200
    assert own.json()["fin"] == referred["fin"]
    for headers, applicant in ((other, referred), (ahik, staffs)):
        hidden = await intake.client.get(f"/v1/applicants/{applicant['id']}", headers=headers)
        assert hidden.status_code == 404  # exactly like a missing one
        patch = await intake.client.patch(
            f"/v1/applicants/{applicant['id']}",
            json={"household_size": 2},
            headers={**headers, "If-Match": "*"},
        )
        assert patch.status_code == 404

    own_list = (await intake.client.get("/v1/applicants", headers=ahik)).json()["items"]
    assert [(a["id"], a["fin"]) for a in own_list] == [(referred["id"], referred["fin"])]
    assert (await intake.client.get("/v1/applicants", headers=other)).json()["items"] == []
    # Searching by FIN is scoped alike: another partner's referral is not found.
    for headers, found in ((ahik, [referred["id"]]), (other, [])):
        search = await intake.client.post(
            "/v1/applicants/search?purpose=partner_referral",
            json={"fin": referred["fin"]},
            headers=headers,
        )
        assert search.status_code == 200, search.text
        assert [a["id"] for a in search.json()["items"]] == found
    staff_search = await intake.client.post(
        "/v1/applicants/search?purpose=partner_referral", json={"fin": staffs["fin"]}, headers=ahik
    )
    assert staff_search.json()["items"] == []

    rows = await audit_rows(intake, referred["id"])
    assert {r.purpose for r in rows} == {"partner_referral"}
    assert all(r.principal.startswith("partner:") for r in rows)


async def test_admin_reads_an_applicants_audit_log_page_by_page(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer", subject="officer-3")
    created = await register(intake, officer)
    url = f"/v1/applicants/{created['id']}"
    for purpose in ("enrolment", "monitoring_visit"):
        await intake.client.get(f"{url}?purpose={purpose}", headers=officer)

    admin = auth("admin")
    first = await intake.client.get(f"{url}/audit?limit=2", headers=admin)
    assert first.status_code == 200, first.text
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    second = await intake.client.get(f"{url}/audit?limit=2&cursor={cursor}", headers=admin)
    entries = first.json()["items"] + second.json()["items"]
    assert second.json()["next_cursor"] is None
    assert [(e["principal"], e["action"], e["purpose"]) for e in entries] == [
        ("staff:officer-3", "read", "case_review"),
        ("staff:officer-3", "read", "enrolment"),
        ("staff:officer-3", "read", "monitoring_visit"),
    ]
    assert (await intake.client.get(f"{url}/audit", headers=officer)).status_code == 403
    missing = await intake.client.get(f"/v1/applicants/{uuid.uuid4()}/audit", headers=admin)
    assert missing.status_code == 404


async def test_no_personal_data_in_events_or_logs(
    intake: Service, auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    """Registration (with a duplicate flagged), reads, search, an application and its enrolment,
    a merge: whatever intake logs or emits, it names no one."""
    caplog.set_level(logging.DEBUG)
    officer = auth("case_officer")
    first = person(
        fin="9PII001",
        first_name="Xəyyam",
        last_name="Nəsirli",
        phone="055 765 43 21",
        address="Şəki, Bazar küç. 17",
        birth_date="1979-02-03",
        categories=[{"category": "idp", "evidence": evidence("IDP-778899")}],
    )
    second = {**first, "fin": "9PII002", "first_name": "Xeyyam", "last_name": "Nesirli"}
    created = []
    for body in (first, second):
        response = await intake.client.post("/v1/applicants", json=body, headers=officer)
        assert response.status_code == 201, response.text
        created.append(response.json())
    await intake.client.get(f"/v1/applicants/{created[0]['id']}", headers=officer)
    searched = await intake.client.post(
        "/v1/applicants/search?purpose=case_review",
        json={"name": "xeyyam", "fin": "9pii001"},
        headers=officer,
    )
    assert [a["id"] for a in searched.json()["items"]] == [created[0]["id"]]
    # A client still sending them in the URL is refused, and the refusal logs none of it.
    refused = await intake.client.get("/v1/applicants?name=xeyyam&fin=9pii001", headers=officer)
    assert refused.status_code == 422
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": created[1]["id"], "direction": "beekeeping"},
        headers=officer,
    )
    assert application.status_code == 201, application.text
    (flag,) = (await intake.client.get("/v1/duplicates", headers=officer)).json()["items"]
    merged = await intake.client.post(
        f"/v1/duplicates/{flag['id']}/merge",
        json={"keep_id": created[0]["id"]},
        headers={**officer, "If-Match": f'"{flag["version"]}"'},
    )
    assert merged.status_code == 200, merged.text
    # A request that fails validation must not log what it was sent either.
    bad = await intake.client.post(
        "/v1/applicants", json={**first, "phone": "+7 912 345 67 89"}, headers=officer
    )
    assert bad.status_code == 422

    async with intake.runtime.sessionmaker() as session:
        envelopes = (await session.scalars(select(SHARED_TABLES.outbox.c.envelope))).all()
    assert envelopes, "the application should have emitted an event"
    emitted = " ".join(str(e) for e in envelopes)
    # httpx's records are the test client's own (the service logs no request lines).
    logged = " ".join(
        f"{r.getMessage()} {r.args!r} {r.__dict__!r}"
        for r in caplog.records
        if not r.name.startswith("httpx")
    )
    assert caplog.records
    secrets = [
        "9PII001",
        "9PII002",
        "9pii001",
        "Xəyyam",
        "Xeyyam",
        "xeyyam",
        "Nəsirli",
        "nesirli",
        "994557654321",
        "55 765",
        "1979-02-03",
        "Bazar",
        "IDP-778899",
    ]
    for secret in secrets:
        assert secret not in emitted, secret
        assert secret not in logged, secret


async def test_registering_one_fin_at_once_from_several_callers_is_never_a_server_error(
    intake: Service, auth: Auth
) -> None:
    # A twin that loses the race on the FIN's unique key is rolled back alone (a savepoint
    # around its rows only): a staff twin is answered 409, a partner's is looked at again and
    # becomes that partner's record of its own.
    ahik = await partner_key(intake, auth, "AHİK")
    other = await partner_key(intake, auth, "Other NGO")
    callers = [auth("case_officer"), ahik, other, auth("admin")]
    statuses: list[int] = []
    for _ in range(8):
        body = person()
        answers = await asyncio.gather(
            *(intake.client.post("/v1/applicants", json=body, headers=h) for h in callers)
        )
        statuses += [answer.status_code for answer in answers]
        assert {answer.status_code for answer in answers} <= {201, 409}, [
            answer.text for answer in answers
        ]
    assert 201 in statuses
    assert 409 in statuses
    async with intake.runtime.sessionmaker() as session:
        registered = await session.execute(
            text("SELECT fin_hash, count(*) FROM applicants WHERE NOT claimed GROUP BY fin_hash")
        )
        assert {count for _, count in registered} == {1}
