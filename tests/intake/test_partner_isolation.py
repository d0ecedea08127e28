"""Partner A, holding every scope, tries every intake endpoint on partner B's objects: nothing of
B's is shown and nothing of B's changes. The endpoints come from the OpenAPI document, so a new
one is covered the day it is added."""

from __future__ import annotations

import re
from typing import Any

import httpx

from shared.auth import Scope
from tests.service_fixtures import Auth, Service, StartService
from tests.services.journey import APPLICANT, eventually

REFUSED = {401, 403, 404, 422}
# Path parameters that name B's own objects (or objects A has no business with): always refused.
B_OWNED = {
    "partner_id",
    "key_id",
    "memorandum_id",
    "applicant_id",
    "application_id",
    "import_id",
    "flag_id",
    "selection_id",
    "claim_id",
}


async def issue_key(intake: Service, admin: dict[str, str], name: str) -> tuple[str, str, str]:
    partner = await intake.client.post("/v1/partners", json={"name": name}, headers=admin)
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]
    key = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys",
        json={"scopes": [scope.value for scope in Scope]},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    return partner_id, key.json()["id"], key.json()["key"]


async def b_objects(intake: Service, auth: Auth) -> tuple[dict[str, str], dict[str, str]]:
    """Partner B's objects (and the round and selection every partner may touch), by path
    parameter name; and A's key headers."""
    admin = auth("admin")
    _, _, key_a = await issue_key(intake, admin, "AHİK")
    partner_b, key_id_b, key_b = await issue_key(intake, admin, "Other NGO")
    b = {"X-API-Key": key_b}
    memorandum = await intake.client.post(
        f"/v1/partners/{partner_b}/memoranda",
        json={
            "number": "M-2027/14",
            "signed_on": "2027-01-10",
            "valid_from": "2027-01-10",
            "valid_to": "2029-01-10",
            "areas": ["trainings", "assets"],
        },
        headers=admin,
    )
    assert memorandum.status_code == 201, memorandum.text
    applicant = await intake.client.post("/v1/applicants", json=APPLICANT, headers=b)
    assert applicant.status_code == 201, applicant.text
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant.json()["id"], "direction": "beekeeping"},
        headers=b,
    )
    assert application.status_code == 201, application.text
    upload = await intake.client.post(
        "/v1/imports",
        files={
            "file": (
                "b.csv",
                (await intake.client.get("/v1/imports/template.csv", headers=b)).content,
            )
        },
        headers=b,
    )
    assert upload.status_code in (200, 202), upload.text
    # A possible duplicate of B's applicant, registered by staff.
    twin = await intake.client.post(
        "/v1/applicants",
        json={**APPLICANT, "fin": "7TWIN77", "last_name": "Memmedova"},
        headers=auth("case_officer"),
    )
    assert twin.status_code == 201, twin.text
    flags = await intake.client.get("/v1/duplicates", headers=auth("case_officer"))
    flag = flags.json()["items"][0]
    # B refers the twin too: a referral claim awaiting review.
    claimed = await intake.client.post(
        "/v1/applicants", json={**APPLICANT, "fin": "7TWIN77"}, headers=b
    )
    assert claimed.status_code == 201, claimed.text
    claims = await intake.client.get("/v1/referral-claims", headers=auth("case_officer"))
    claim = claims.json()["items"][0]
    round_ = await intake.client.post(
        "/v1/rounds",
        json={
            "name": "2027 spring",
            "period_start": "2027-03-01",
            "period_end": "2027-04-30",
            "quotas": {"AZ-GA": 2},
            "reserved_share": "0.30",
        },
        headers=admin,
    )
    assert round_.status_code == 201, round_.text
    round_id = round_.json()["id"]
    for step, etag in (("open", '"1"'), ("close", '"2"')):
        moved = await intake.client.post(
            f"/v1/rounds/{round_id}/{step}", headers={**admin, "If-Match": etag}
        )
        assert moved.status_code == 200, moved.text
    selection = await intake.client.post(f"/v1/rounds/{round_id}/selections", headers=admin)
    assert selection.status_code == 202, selection.text
    ids = {
        "partner_id": partner_b,
        "key_id": key_id_b,
        "memorandum_id": memorandum.json()["id"],
        "applicant_id": applicant.json()["id"],
        "application_id": application.json()["id"],
        "import_id": upload.json()["id"],
        "flag_id": flag["id"],
        "round_id": round_id,
        "selection_id": selection.json()["id"],
        "claim_id": claim["id"],
    }
    return ids, {"X-API-Key": key_a}


async def snapshot(intake: Service, ids: dict[str, str], auth: Auth) -> list[Any]:
    """What an admin sees of B's objects: it must not change under A's attempts."""
    admin = auth("admin")
    urls = [
        f"/v1/partners/{ids['partner_id']}",
        f"/v1/partners/{ids['partner_id']}/api-keys/{ids['key_id']}",
        f"/v1/partners/{ids['partner_id']}/memoranda/{ids['memorandum_id']}",
        f"/v1/applicants/{ids['applicant_id']}",
        f"/v1/applications/{ids['application_id']}",
        f"/v1/imports/{ids['import_id']}",
        f"/v1/duplicates/{ids['flag_id']}",
        f"/v1/referral-claims/{ids['claim_id']}",
    ]
    seen = []
    for url in urls:
        response = await intake.client.get(url, headers=admin)
        assert response.status_code == 200, (url, response.text)
        body = response.json()
        body.pop("progress", None)  # the import may still be running
        seen.append((url, body.get("version"), body.get("status")))
    return seen


async def test_partner_a_can_neither_see_nor_change_partner_b(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake")
    ids, key_a = await b_objects(intake, auth)

    async def import_done() -> bool:
        response = await intake.client.get(f"/v1/imports/{ids['import_id']}", headers=auth("admin"))
        return response.json()["status"] in ("completed", "failed")

    await eventually(import_done, "B's import to finish")
    before = await snapshot(intake, ids, auth)
    b_values = {
        ids[name]
        for name in (
            "partner_id",
            "key_id",
            "memorandum_id",
            "applicant_id",
            "application_id",
            "import_id",
        )
    }

    spec = intake.app.openapi()
    tried = 0
    for path, operations in spec["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        for method in operations:
            if not params and method != "get":
                continue  # creating one's own objects is A's right
            url = path.format(**ids)
            headers = {**key_a, "If-Match": "*"}
            request = intake.client.build_request(
                method.upper(), url, headers=headers, json={} if method != "get" else None
            )
            response: httpx.Response = await intake.client.send(request)
            tried += 1
            text = response.text
            if params and any(
                p
                in (
                    "partner_id",
                    "key_id",
                    "memorandum_id",
                    "applicant_id",
                    "application_id",
                    "import_id",
                    "flag_id",
                    "selection_id",
                    "claim_id",
                )
                for p in params
            ):
                assert response.status_code in REFUSED, (method, url, response.status_code, text)
            # A refusal may repeat the id A asked for; anything else of B's is a leak.
            leaked = [value for value in b_values if value in text and value not in url]
            assert not leaked, (method, url, leaked)
    assert tried > 30
    assert await snapshot(intake, ids, auth) == before
