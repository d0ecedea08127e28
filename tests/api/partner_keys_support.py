"""Helpers for the partner key tests: a partner and its key issued in intake, and whether each
service takes it."""

from __future__ import annotations

from typing import Any

from tests.service_fixtures import Auth, Service

# A route in each service that a partner key with the matching scope may read.
READS = {
    "plans": "/v1/business-plans",
    "assets": "/v1/orders",
    "monitoring": "/v1/visits",
}


async def status(service: Service, name: str, key: str) -> int:
    response = await service.client.get(READS[name], headers={"X-API-Key": key})
    return response.status_code


async def accepted_everywhere(services: dict[str, Service], key: str) -> bool:
    return all([await status(services[name], name, key) == 200 for name in READS])


async def refused_everywhere(services: dict[str, Service], key: str) -> bool:
    return all([await status(services[name], name, key) == 401 for name in READS])


async def new_partner_key(intake: Service, auth: Auth) -> tuple[str, dict[str, Any]]:
    admin = auth("admin")
    partner = await intake.client.post("/v1/partners", json={"name": "AHİK"}, headers=admin)
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]
    issued = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys", json={"scopes": SCOPES}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    return partner_id, issued.json()


SCOPES = ["plans:read", "assets:read", "monitoring:read"]


# What a partner that refers people and follows them up may do.
REFERRER_SCOPES = [
    "referrals:write",
    "referrals:read",
    "plans:read",
    "assets:read",
    "monitoring:read",
    "monitoring:write",
]


async def referring_partner(intake: Service, auth: Auth) -> tuple[str, dict[str, str]]:
    """A new partner and the headers of its key, with the scopes a referring partner has."""
    admin = auth("admin")
    partner = await intake.client.post("/v1/partners", json={"name": "AHİK"}, headers=admin)
    assert partner.status_code == 201, partner.text
    issued = await intake.client.post(
        f"/v1/partners/{partner.json()['id']}/api-keys",
        json={"scopes": REFERRER_SCOPES},
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    return partner.json()["id"], {"X-API-Key": issued.json()["key"]}
