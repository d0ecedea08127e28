"""Idempotency records hold no personal data: the status and the resource's id, an HMAC of the
request; a replay is a read of the resource, audited like any other; records expire and are
purged in the background."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text, update

from intake.applicants.models import AuditEntry
from shared.idempotency import purge_expired
from shared.tables import SHARED_TABLES
from tests.intake.applicants_support import person
from tests.journey_support import eventually
from tests.plans.plans_support import NEW as NEW_DIRECTION
from tests.service_fixtures import Auth, Service, StartService

PERSONAL = ("fin", "first_name", "last_name", "patronymic", "birth_date", "phone", "address")


async def records(service: Service) -> list[dict[str, Any]]:
    async with service.runtime.sessionmaker() as session:
        rows = await session.scalars(text("SELECT row_to_json(i)::text FROM idempotency_keys i"))
        return [json.loads(row) for row in rows]


async def reads_of(service: Service, applicant_id: str) -> list[tuple[str, str]]:
    async with service.runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.resource_id == uuid.UUID(applicant_id))
            .order_by(AuditEntry.id)
        )
        return [(row.action, row.purpose or "") for row in rows]


async def test_a_registration_keeps_no_personal_data_and_its_replay_is_an_audited_read(
    intake: Service, auth: Auth
) -> None:
    body = person()
    officer = auth("case_officer", **{"Idempotency-Key": "reg-1"})
    first = await intake.client.post("/v1/applicants", json=body, headers=officer)
    assert first.status_code == 201, first.text
    applicant_id = first.json()["id"]

    [record] = await records(intake)
    assert record["resource"] == applicant_id
    assert record["status_code"] == 201
    assert "body" not in record
    stored = json.dumps(record, ensure_ascii=False)
    for field in PERSONAL:
        assert str(first.json()[field]) not in stored, field
    # A keyed hash: the plain SHA-256 of the request cannot be recomputed from a guessed body.
    sent = first.request
    plain = hashlib.sha256(b"POST\n/v1/applicants\n" + sent.content).hexdigest()
    assert record["request_hash"] != plain

    replay = await intake.client.post(
        "/v1/applicants", json=body, headers={**officer, "X-Purpose": "duplicate_review"}
    )
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["location"] == f"/v1/applicants/{applicant_id}"
    assert replay.headers["etag"] == first.headers["etag"]
    assert replay.json() == first.json()
    # The creation's reveal, then the replay's own read with the replay's purpose.
    reads = await reads_of(intake, applicant_id)
    assert [action for action, _ in reads] == ["read", "read"]
    assert reads[1][1] == "duplicate_review"


async def test_a_replay_shows_the_resource_as_it_is_now(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer", subject="officer-9")
    keyed = {**officer, "Idempotency-Key": "reg-2"}
    body = person()
    first = await intake.client.post("/v1/applicants", json=body, headers=keyed)
    url = first.headers["location"]
    changed = await intake.client.patch(
        url, json={"phone": "+994551112233"}, headers={**officer, "If-Match": first.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text
    replay = await intake.client.post("/v1/applicants", json=body, headers=keyed)
    assert replay.json()["phone"] == "+994551112233"
    assert replay.headers["etag"] == changed.headers["etag"]


async def test_expired_records_are_purged_and_no_longer_replayed(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer", **{"Idempotency-Key": "reg-3"})
    body = person()
    assert (
        await intake.client.post("/v1/applicants", json=body, headers=officer)
    ).status_code == 201
    table = SHARED_TABLES.idempotency_keys
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(update(table).values(created_at=text("now() - interval '25 hours'")))

    # Past its retention a record is gone even before the purge: the request runs again (and
    # meets the person it registered the first time).
    again = await intake.client.post("/v1/applicants", json=body, headers=officer)
    assert again.status_code == 409
    assert "idempotent-replayed" not in again.headers

    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(update(table).values(created_at=text("now() - interval '25 hours'")))
    assert await purge_expired(intake.runtime.engine, timedelta(hours=24)) == 1
    assert await records(intake) == []


async def test_each_service_purges_expired_records_in_the_background(
    start_service: StartService, auth: Auth
) -> None:
    plans = await start_service("plans", idempotency_retention_hours=1 / 3600)  # one second
    created = await plans.client.post(
        "/v1/directions",
        json=NEW_DIRECTION,
        headers=auth("admin", **{"Idempotency-Key": "d-1"}),
    )
    assert created.status_code == 201, created.text
    assert len(await records(plans)) == 1

    async def purged() -> bool:
        return not await records(plans)

    await eventually(purged, "the purge of the expired record", patience=10)
