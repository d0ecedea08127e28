"""Helpers for intake's privacy tests: a partner that may refer people, and its referral."""

from __future__ import annotations

from typing import Any

from tests.intake.applicants_support import person
from tests.service_fixtures import Auth, Service

MEMORANDUM = {
    "number": "M-2027/14",
    "signed_on": "2026-01-10",
    "valid_from": "2026-01-10",
    "valid_to": "2029-01-10",
    "areas": ["trainings", "assets"],
}
CONSENT = {
    "processing": True,
    "partner_sharing": True,
    "how": "signed_form",
    "text_version": "2026-1",
}


async def referring_partner(intake: Service, auth: Auth, name: str) -> tuple[str, dict[str, str]]:
    """A partner with a memorandum and a key that refers and reads: (its id, its headers)."""
    admin = auth("admin")
    partner = await intake.client.post("/v1/partners", json={"name": name}, headers=admin)
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]
    memo = await intake.client.post(
        f"/v1/partners/{partner_id}/memoranda", json=MEMORANDUM, headers=admin
    )
    assert memo.status_code == 201, memo.text
    key = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys",
        json={"scopes": ["referrals:write", "referrals:read"]},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    return partner_id, {"X-API-Key": key.json()["key"]}


async def refer(
    intake: Service, headers: dict[str, str], **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The partner registers a person (with consent) and refers them: (applicant, application)."""
    body = person(consent=CONSENT, **overrides)
    applicant = await intake.client.post("/v1/applicants", json=body, headers=headers)
    assert applicant.status_code == 201, applicant.text
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant.json()["id"], "direction": "beekeeping"},
        headers=headers,
    )
    assert application.status_code == 201, application.text
    return {**applicant.json(), "fin": body["fin"]}, application.json()
