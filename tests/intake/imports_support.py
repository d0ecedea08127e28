"""Helpers for intake's tests of imports: referral rows, files made of them, uploads and the
wait for a job to finish."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import httpx

from intake.imports.parser import COLUMNS
from tests.journey_support import Headers, eventually
from tests.service_fixtures import Auth, Service


def referral(fin: str, **changes: str) -> dict[str, str]:
    row = {
        "fin": fin,
        "first_name": "Aygün",
        "last_name": "Məmmədova",
        "patronymic": "",
        "birth_date": "1988-04-12",
        "sex": "female",
        "phone": "+994501234567",
        "address": "",
        "region": "AZ-GA",
        "household_size": "4",
        "categories": "martyr_family;disability",
        "disability_group": "II",
        "document_type": "martyr_family_certificate;disability_certificate",
        "document_number": "ŞA-123456;ƏL-004512",
        "document_issued_on": "2021-03-15;2020-06-01",
        "direction": "beekeeping",
    }
    return {**row, **changes}


def fin(n: int) -> str:
    return f"{n:05d}AZ"  # 7 Latin letters and digits, distinct per n


def csv_file(rows: Sequence[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


async def upload(
    client: httpx.AsyncClient,
    content: bytes,
    headers: Headers,
    name: str = "referrals.csv",
    **form: str,
) -> httpx.Response:
    return await client.post(
        "/v1/imports", files={"file": (name, content)}, data=form, headers=headers
    )


async def finished(client: httpx.AsyncClient, url: str, headers: Headers) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(url, headers=headers)).json()
        return body if body["status"] in ("completed", "failed") else None

    result: dict[str, Any] = await eventually(probe, "the import to finish")
    return result


async def partner_key(intake: Service, auth: Auth, name: str) -> Headers:
    admin = auth("admin")
    partner = (await intake.client.post("/v1/partners", json={"name": name}, headers=admin)).json()
    issued = await intake.client.post(
        f"/v1/partners/{partner['id']}/api-keys",
        json={"scopes": ["referrals:write", "referrals:read"]},
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"], "X-Partner": partner["id"]}
