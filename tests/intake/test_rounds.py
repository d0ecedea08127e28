"""Rounds over HTTP: configuration as data, validation, and the state machine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service_fixtures import Auth, Service, StartService

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


@pytest.fixture
async def intake(start_service: StartService) -> Service:
    return await start_service("intake")


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

    # Rules decide eligibility: fixed once applications can arrive. Quotas are not.
    rules = await intake.client.patch(
        url,
        json={"rules": []},
        headers=admin | {"If-Match": opened.headers["etag"]},
    )
    assert rules.status_code == 409
    assert rules.json()["current_state"] == "open"
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
