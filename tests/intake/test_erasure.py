"""Erasure: on a lawful request or when retention elapsed after every case closed, the person's
personal fields go, from the database and from every response; the FIN's keyed hash stays, so
that one person, one benefit still refuses a second benefit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.applicants.models import Applicant, ApplicantCategory, AuditEntry
from intake.applicants.rotate import rotate
from intake.applications.models import Application
from intake.privacy.erasure import erase_elapsed
from intake.settings import IntakeSettings
from shared.events import CaseClosed
from tests.events_support import publish
from tests.intake import imports_support as imports
from tests.intake.applicants_support import field_errors, register
from tests.intake.benefit_support import benefited_at, delivery
from tests.intake.rounds_support import outbox
from tests.intake.test_fin_keys import rotated
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service

PERSONAL = ("fin", "first_name", "last_name", "patronymic", "phone", "address")
REQUEST = {"basis": "lawful_request", "reference": "ŞM-2026/1187"}


async def registered_with_application(
    intake: Service, auth: Auth, *, withdrawn: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A person and their application, withdrawn unless asked otherwise (an open application
    keeps the person in the programme)."""
    officer = auth("case_officer")
    applicant = await register(intake, officer)
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant["id"], "direction": "beekeeping"},
        headers=officer,
    )
    assert application.status_code == 201, application.text
    if not withdrawn:
        return applicant, application.json()
    closed = await intake.client.post(
        f"/v1/applications/{application.json()['id']}/withdraw",
        headers=officer | {"If-Match": application.headers["etag"]},
    )
    assert closed.status_code == 200, closed.text
    return applicant, closed.json()


async def erase(intake: Service, auth: Auth, applicant: dict[str, Any]) -> Any:
    """The admin erases the person, with the ETag of the record as it is now."""
    admin = auth("admin", subject="admin-1")
    current = await intake.client.get(f"/v1/applicants/{applicant['id']}", headers=admin)
    return await intake.client.post(
        f"/v1/applicants/{applicant['id']}/erasure",
        json=REQUEST,
        headers=admin | {"If-Match": current.headers["etag"]},
    )


async def stored(intake: Service, applicant_id: str) -> Applicant:
    async with intake.runtime.sessionmaker() as session:
        return await session.get_one(Applicant, uuid.UUID(applicant_id))


async def test_erasure_removes_the_personal_fields_and_keeps_what_the_rules_need(
    intake: Service, auth: Auth
) -> None:
    applicant, application = await registered_with_application(intake, auth)
    erased = await erase(intake, auth, applicant)
    assert erased.status_code == 200, erased.text
    assert erased.json()["application_ids"] == [application["id"]]
    assert erased.headers["etag"] == f'"{applicant["version"] + 1}"'

    row = await stored(intake, applicant["id"])
    erased_fields = (*PERSONAL[1:], "birth_date", "fin_ciphertext", "name_folded")
    assert [getattr(row, f) for f in erased_fields] == [None] * 8
    assert (row.erasure_basis, row.erased_at is not None) == ("lawful_request", True)
    assert row.fin_hash
    assert (row.region, row.sex) == ("AZ-GA", "female")
    assert row.categories == ["martyr_family"]
    async with intake.runtime.sessionmaker() as session:
        documents = await session.scalar(
            select(func.count())
            .select_from(ApplicantCategory)
            .where(ApplicantCategory.applicant_id == row.id)
        )
        kept = await session.get_one(Application, uuid.UUID(application["id"]))
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.resource_id == row.id, AuditEntry.action == "erase")
        )
    assert documents == 0
    # The application's coded facts stay: reports count them still.
    assert (kept.region, kept.categories, kept.sex) == ("AZ-GA", ["martyr_family"], "female")
    assert kept.age_band is not None
    assert audit is not None
    assert (audit.principal, audit.reason) == (
        "staff:admin-1",
        "lawful_request:ŞM-2026/1187",
    )

    # Announced with the applications, and nothing personal.
    (event,) = await outbox(intake, "intake.applicant.erased")
    assert event["application_ids"] == [application["id"]]
    assert event["basis"] == "lawful_request"
    assert all(str(applicant[f]) not in repr(event) for f in PERSONAL)


async def test_no_response_carries_an_erased_persons_data(intake: Service, auth: Auth) -> None:
    applicant, _ = await registered_with_application(intake, auth)
    assert (await erase(intake, auth, applicant)).status_code == 200
    officer = auth("case_officer") | {"X-Purpose": "case_review"}
    answers = [
        await intake.client.get(f"/v1/applicants/{applicant['id']}", headers=officer),
        await intake.client.get("/v1/applicants", headers=officer),
        await intake.client.get("/v1/applicants", headers=auth("analyst")),
        await intake.client.post(
            "/v1/applicants/search", json={"fin": applicant["fin"]}, headers=officer
        ),
        await intake.client.post(
            "/v1/applicants/search", json={"name": "Məmmədova"}, headers=officer
        ),
        await intake.client.patch(
            f"/v1/applicants/{applicant['id']}",
            json={"phone": "050 765 43 21"},
            headers=officer | {"If-Match": "*"},
        ),
    ]
    assert answers[0].status_code == 404
    assert answers[5].status_code == 404
    for answer in answers[1:5]:
        assert answer.status_code == 200, answer.text
        assert applicant["id"] not in answer.text
    for answer in answers:
        assert all(str(applicant[f]) not in answer.text for f in PERSONAL)


async def test_registering_the_fin_again_still_refuses_a_second_benefit(
    intake: Service, auth: Auth
) -> None:
    applicant, application = await registered_with_application(intake, auth)
    await publish(intake, delivery(application["id"]))
    await eventually(lambda: benefited_at(intake, applicant["id"]), "the benefit recorded")
    assert (await erase(intake, auth, applicant)).status_code == 200

    officer = auth("case_officer")
    again = await register(intake, officer, fin=applicant["fin"], first_name="Aygün")
    assert again["id"] == applicant["id"]
    assert again["benefited_at"] is not None
    assert again["fin"] == applicant["fin"]
    history = await intake.client.get(f"/v1/applicants/{again['id']}/consents", headers=officer)
    assert [c["superseded_at"] is None for c in history.json()["items"]] == [True, False]
    second = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": again["id"], "direction": "beekeeping"},
        headers=officer,
    )
    assert second.status_code == 201, second.text
    enrolled = await intake.client.post(
        f"/v1/applications/{second.json()['id']}/enroll",
        headers=officer | {"If-Match": f'"{second.json()["version"]}"'},
    )
    assert enrolled.status_code == 409
    assert enrolled.json()["type"].endswith("already-benefited")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({**REQUEST, "basis": "retention_elapsed"}, "body.basis", "literal_error"),
        ({"basis": "lawful_request"}, "body.reference", "missing"),
        ({**REQUEST, "reference": " "}, "body.reference", "string_too_short"),
    ],
)
async def test_bad_erasure_requests_are_field_errors(
    intake: Service, auth: Auth, body: dict[str, Any], field: str, code: str
) -> None:
    applicant = await register(intake, auth("case_officer"))
    response = await intake.client.post(
        f"/v1/applicants/{applicant['id']}/erasure",
        json=body,
        headers=auth("admin") | {"If-Match": "*"},
    )
    assert response.status_code == 422
    assert field_errors(response).get(field) == code


async def test_erasure_is_for_admins_with_if_match_once(intake: Service, auth: Auth) -> None:
    applicant = await register(intake, auth("case_officer"))
    url = f"/v1/applicants/{applicant['id']}/erasure"
    admin = auth("admin")
    for role in ("case_officer", "analyst"):
        refused = await intake.client.post(
            url, json=REQUEST, headers=auth(role) | {"If-Match": "*"}
        )
        assert refused.status_code == 403
    assert (await intake.client.post(url, json=REQUEST, headers=admin)).status_code == 428
    stale = await intake.client.post(url, json=REQUEST, headers=admin | {"If-Match": '"99"'})
    assert stale.status_code == 412
    missing = await intake.client.post(
        f"/v1/applicants/{uuid.uuid4()}/erasure", json=REQUEST, headers=admin | {"If-Match": "*"}
    )
    assert missing.status_code == 404
    assert (await erase(intake, auth, applicant)).status_code == 200
    twice = await intake.client.post(url, json=REQUEST, headers=admin | {"If-Match": "*"})
    assert twice.status_code == 404


async def test_a_person_with_an_open_application_is_not_erased(intake: Service, auth: Auth) -> None:
    applicant, _ = await registered_with_application(intake, auth, withdrawn=False)
    refused = await erase(intake, auth, applicant)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("conflict")
    assert (await stored(intake, applicant["id"])).erased_at is None


async def test_retention_erases_people_whose_every_case_closed_long_ago(
    intake: Service, auth: Auth
) -> None:
    assert isinstance(intake.settings, IntakeSettings)
    days = intake.settings.retention_days
    closed_on = date(2027, 6, 30)
    done, done_application = await registered_with_application(intake, auth, withdrawn=False)
    # Closed too, but applying again since: still in the programme.
    back, back_application = await registered_with_application(intake, auth, withdrawn=False)
    still, _ = await registered_with_application(intake, auth, withdrawn=False)  # no case closed
    for application in (done_application, back_application):
        await publish(
            intake,
            CaseClosed(
                participant_id=uuid.UUID(application["id"]),
                outcome="graduated",
                closed_on=closed_on,
            ),
        )

    async def closed() -> bool:
        async with intake.runtime.sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).where(Application.case_closed_on == closed_on)
            )
        return count == 2

    await eventually(closed, "the cases closed")
    async with intake.runtime.sessionmaker() as session, session.begin():
        newer = await session.get_one(Application, uuid.UUID(back_application["id"]))
        session.add(
            Application(
                applicant_id=newer.applicant_id,
                direction="beekeeping",
                status="eligible",
                region=newer.region,
                categories=newer.categories,
                submitted_at=datetime(2031, 1, 5, tzinfo=UTC),
            )
        )

    due = datetime.combine(closed_on, datetime.min.time(), UTC) + timedelta(days=days)
    sessionmaker = intake.runtime.sessionmaker
    assert await erase_elapsed(sessionmaker, now=due - timedelta(days=1), retention_days=days) == 0
    assert await erase_elapsed(sessionmaker, now=due + timedelta(days=1), retention_days=days) == 1
    assert (await stored(intake, done["id"])).erasure_basis == "retention_elapsed"
    assert (await stored(intake, back["id"])).erased_at is None
    assert (await stored(intake, still["id"])).erased_at is None
    (event,) = await outbox(intake, "intake.applicant.erased")
    assert (event["applicant_id"], event["basis"]) == (done["id"], "retention_elapsed")
    # Done once: the next round finds nobody.
    assert await erase_elapsed(sessionmaker, now=due + timedelta(days=2), retention_days=days) == 0


async def test_a_fin_key_rotation_passes_over_erased_people(intake: Service, auth: Auth) -> None:
    erased, _ = await registered_with_application(intake, auth)
    kept = await register(intake, auth("case_officer"))
    assert (await erase(intake, auth, erased)).status_code == 200
    settings = intake.settings
    assert isinstance(settings, IntakeSettings)
    rotation = await rotate(intake.runtime.engine, rotated(settings))
    assert (rotation.fins, rotation.fins_left) == (1, 0)
    assert (await stored(intake, kept["id"])).fin_ciphertext is not None


async def test_an_import_of_an_erased_persons_fin_is_a_row_error(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    person = await register(intake, officer, fin=imports.fin(71))
    assert (await erase(intake, auth, person)).status_code == 200
    content = imports.csv_file(
        [imports.referral(imports.fin(71)), imports.referral(imports.fin(72))]
    )
    response = await imports.upload(intake.client, content, officer)
    assert response.status_code == 202, response.text
    url = response.headers["location"]
    job = await imports.finished(intake.client, url, officer)
    assert (job["imported"], job["rejected"]) == (1, 1)
    errors = (await intake.client.get(f"{url}/errors", headers=officer)).json()["items"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [(2, "fin", "erased")]
    assert (await stored(intake, person["id"])).first_name is None
