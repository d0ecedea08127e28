"""Helpers for the applicant tests: valid applicant bodies, registering one, problem fields."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.service_fixtures import Auth, Service

_fins = itertools.count(1)


def new_fin() -> str:
    """A FIN no other applicant of the test has: 7 Latin letters and digits."""
    return f"T{next(_fins):06d}"


def evidence(number: str = "ŞA-123456") -> dict[str, str]:
    return {"document_type": "certificate", "number": number, "issued_on": "2021-03-15"}


def person(**overrides: Any) -> dict[str, Any]:
    """A valid applicant body; overrides replace fields (None removes one)."""
    body: dict[str, Any] = {
        "fin": new_fin(),
        "first_name": "Aygün",
        "last_name": "Məmmədova",
        "patronymic": "Elşən qızı",
        "birth_date": "1988-04-12",
        "sex": "female",
        "phone": "050 123 45 67",
        "address": "Gəncə, Nizami küç. 5",
        "region": "AZ-GA",
        "household_size": 4,
        "categories": [{"category": "martyr_family", "evidence": evidence()}],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def register(intake: Service, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = await intake.client.post("/v1/applicants", json=person(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def field_errors(response: httpx.Response) -> dict[str, str]:
    """{field: code} of a problem response."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return {e["field"]: e["code"] for e in response.json()["errors"]}


async def partner_key(intake: Service, auth: Auth, name: str) -> dict[str, str]:
    """Headers with the API key of a new partner that may refer applicants and read them."""
    admin = auth("admin")
    partner = await intake.client.post("/v1/partners", json={"name": name}, headers=admin)
    assert partner.status_code == 201, partner.text
    issued = await intake.client.post(
        f"/v1/partners/{partner.json()['id']}/api-keys",
        json={"scopes": ["referrals:write", "referrals:read"]},
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}
