"""Consent: recorded at registration, changed by a case officer, audited and announced; a
withdrawal of consent to share hides the person from the partner at once, a new grant shows them
again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from intake.applicants.models import AuditEntry
from intake.privacy.models import Consent
from tests.intake import imports_support as imports
from tests.intake.applicants_support import field_errors, person, register
from tests.intake.privacy_support import CONSENT, refer, referring_partner
from tests.intake.rounds_support import outbox
from tests.service_fixtures import Auth, Service

WITHDRAW = {
    "purpose": "partner_sharing",
    "granted": False,
    "how": "signed_form",
    "text_version": "2026-1",
}
PERSONAL = ("fin", "first_name", "last_name", "patronymic", "birth_date", "phone", "address")


async def consents(intake: Service, applicant_id: str, headers: dict[str, str]) -> Any:
    """The person's consent history (one page holds it)."""
    response = await intake.client.get(f"/v1/applicants/{applicant_id}/consents", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]


async def change(intake: Service, applicant_id: str, headers: dict[str, str], **body: Any) -> Any:
    return await intake.client.post(
        f"/v1/applicants/{applicant_id}/consents", json=body, headers=headers
    )


async def test_registration_records_the_consent_with_who_and_when(
    intake: Service, auth: Auth
) -> None:
    partner_id, key = await referring_partner(intake, auth, "AHİK")
    applicant, _ = await refer(intake, key)
    rows = await consents(intake, applicant["id"], auth("case_officer"))
    assert {(r["purpose"], r["partner_id"], r["granted"]) for r in rows} == {
        ("processing", None, True),
        ("partner_sharing", partner_id, True),
    }
    assert {(r["how"], r["text_version"], r["superseded_at"]) for r in rows} == {
        ("signed_form", "2026-1", None)
    }
    assert all(
        r["recorded_by"].startswith("partner:") or partner_id in r["recorded_by"] for r in rows
    )


async def test_registration_without_consent_records_the_registrants_word(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    applicant = await register(intake, officer)
    (row,) = await consents(intake, applicant["id"], officer)
    assert (row["purpose"], row["granted"], row["how"], row["text_version"]) == (
        "processing",
        True,
        "application_form",
        "unstated",
    )


async def test_registration_refuses_consent_without_processing(intake: Service, auth: Auth) -> None:
    response = await intake.client.post(
        "/v1/applicants",
        json=person(consent={**CONSENT, "processing": False}),
        headers=auth("case_officer"),
    )
    assert response.status_code == 422
    assert field_errors(response) == {"body.consent.processing": "literal_error"}


async def test_withdrawal_hides_the_person_from_the_partner_at_once_and_a_grant_restores(
    intake: Service, auth: Auth
) -> None:
    partner_id, key = await referring_partner(intake, auth, "AHİK")
    applicant, application = await refer(intake, key)
    officer = auth("case_officer", subject="officer-7")
    reads = [
        f"/v1/applicants/{applicant['id']}",
        f"/v1/applications/{application['id']}",
        f"/v1/applications/{application['id']}/assessment",
        f"/v1/applicants/{applicant['id']}/consents",
    ]

    async def partner_sees() -> list[int]:
        codes = [(await intake.client.get(url, headers=key)).status_code for url in reads]
        listed = await intake.client.get("/v1/applicants", headers=key)
        found = await intake.client.post(
            "/v1/applicants/search",
            json={"fin": applicant["fin"]},
            headers=key | {"X-Purpose": "partner_referral"},
        )
        in_pages = [
            int(applicant["id"] in {item["id"] for item in page.json()["items"]})
            for page in (listed, found)
        ]
        return codes + in_pages

    assert await partner_sees() == [200, 200, 200, 200, 1, 1]

    withdrawn = await change(intake, applicant["id"], officer, **WITHDRAW, partner_id=partner_id)
    assert withdrawn.status_code == 201, withdrawn.text
    assert await partner_sees() == [404, 404, 404, 404, 0, 0]
    # Staff still see the person, and the history keeps both consents.
    history = await consents(intake, applicant["id"], officer)
    sharing = [r for r in history if r["purpose"] == "partner_sharing"]
    assert [(r["granted"], r["superseded_at"] is None) for r in sharing] == [
        (False, True),
        (True, False),
    ]

    granted = await change(
        intake, applicant["id"], officer, **{**WITHDRAW, "granted": True}, partner_id=partner_id
    )
    assert granted.status_code == 201, granted.text
    assert await partner_sees() == [200, 200, 200, 200, 1, 1]

    # Announced each time, with the partner's applications and no personal data.
    events = await outbox(intake, "intake.consent.changed")
    assert [(e["granted"], e["application_ids"], e["partner_id"]) for e in events] == [
        (False, [application["id"]], partner_id),
        (True, [application["id"]], partner_id),
    ]
    text = repr(events)
    assert all(str(applicant[field]) not in text for field in PERSONAL if applicant.get(field))

    # Audited: who changed which consent, and the reads of the history.
    async with intake.runtime.sessionmaker() as session:
        audit = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.resource_id == uuid.UUID(applicant["id"]))
                .order_by(AuditEntry.id)
            )
        )
    changes = [(a.principal, a.reason) for a in audit if a.action == "consent_change"]
    assert changes == [
        ("staff:officer-7", "partner_sharing:withdrawn"),
        ("staff:officer-7", "partner_sharing:granted"),
    ]
    assert any(a.action == "consents_read" for a in audit)


async def test_a_partner_refused_sharing_at_registration_never_sees_the_person(
    intake: Service, auth: Auth
) -> None:
    _, key = await referring_partner(intake, auth, "AHİK")
    body = person(consent={**CONSENT, "partner_sharing": False})
    created = await intake.client.post("/v1/applicants", json=body, headers=key)
    assert created.status_code == 201, created.text
    again = await intake.client.get(f"/v1/applicants/{created.json()['id']}", headers=key)
    assert again.status_code == 404


async def test_another_partner_cannot_read_the_consents(intake: Service, auth: Auth) -> None:
    _, key = await referring_partner(intake, auth, "AHİK")
    _, other = await referring_partner(intake, auth, "Other NGO")
    applicant, _ = await refer(intake, key)
    response = await intake.client.get(f"/v1/applicants/{applicant['id']}/consents", headers=other)
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["analyst", "monitor", "partner"])
async def test_only_case_officers_record_consent(intake: Service, auth: Auth, role: str) -> None:
    partner_id, key = await referring_partner(intake, auth, "AHİK")
    applicant, _ = await refer(intake, key)
    headers = key if role == "partner" else auth(role)
    response = await change(intake, applicant["id"], headers, **WITHDRAW, partner_id=partner_id)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (WITHDRAW, "body.partner_id", "partner_required"),
        (
            {**WITHDRAW, "purpose": "processing", "partner_id": str(uuid.uuid4())},
            "body.partner_id",
            "partner_not_allowed",
        ),
        ({**WITHDRAW, "how": "telepathy"}, "body.how", "literal_error"),
        ({**WITHDRAW, "text_version": ""}, "body.text_version", "string_too_short"),
        ({**WITHDRAW, "partner_id": str(uuid.uuid4())}, "body.partner_id", "partner_unknown"),
    ],
)
async def test_bad_consent_changes_are_field_errors(
    intake: Service, auth: Auth, body: dict[str, Any], field: str, code: str
) -> None:
    officer = auth("case_officer")
    applicant = await register(intake, officer)
    response = await change(intake, applicant["id"], officer, **body)
    assert response.status_code == 422
    assert field_errors(response).get(field) == code, response.text


async def test_consent_of_an_unknown_person_is_404(intake: Service, auth: Auth) -> None:
    response = await change(
        intake, str(uuid.uuid4()), auth("case_officer"), **{**WITHDRAW, "purpose": "processing"}
    )
    assert response.status_code == 404


async def test_an_import_records_the_importers_word_for_each_new_person(
    intake: Service, auth: Auth
) -> None:
    key = await imports.partner_key(intake, auth, "AHİK")
    content = imports.csv_file([imports.referral(imports.fin(61))])
    response = await imports.upload(intake.client, content, key)
    assert response.status_code == 202, response.text
    job = await imports.finished(intake.client, response.headers["location"], key)
    assert job["imported"] == 1
    async with intake.runtime.sessionmaker() as session:
        rows = list(await session.scalars(select(Consent)))
    partner_id = uuid.UUID(key["X-Partner"])
    assert {(r.purpose, r.partner_id, r.granted, r.how, r.text_version) for r in rows} == {
        ("processing", None, True, "partner_referral", "unstated"),
        ("partner_sharing", partner_id, True, "partner_referral", "unstated"),
    }
