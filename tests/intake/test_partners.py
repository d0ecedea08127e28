"""Partners over HTTP: organisations and their memoranda, API keys (issued once, stored hashed,
rotated, revoked), and partners kept inside their own data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.pool import NullPool

from intake.partners.models import ApiKey, Memorandum, Partner
from shared.auth import hash_api_key
from shared.db import create_engine
from shared.devkeys import mint_token
from shared.migrations import alembic_config
from tests.journey_support import APPLICANT
from tests.service_fixtures import Auth, Service

MEMORANDUM = {
    "number": "M-2024/07",
    "signed_on": "2024-03-01",
    "valid_from": "2024-03-15",
    "valid_to": "2025-12-31",
    "areas": ["choosing_direction", "trainings"],
}
Json = dict[str, Any]


async def create_partner(intake: Service, auth: Auth, **fields: Any) -> Json:
    response = await intake.client.post(
        "/v1/partners", json={"name": "AHİK", **fields}, headers=auth("admin")
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


async def issue_key(
    intake: Service, auth: Auth, partner_id: str, *scopes: str, **extra: Any
) -> Json:
    response = await intake.client.post(
        f"/v1/partners/{partner_id}/api-keys",
        json={"scopes": list(scopes or ("referrals:read",)), **extra},
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def key_headers(issued: Json) -> dict[str, str]:
    return {"X-API-Key": issued["key"]}


async def rows(intake: Service, model: type) -> int:
    async with intake.runtime.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(model))) or 0


# --- Partners and memoranda ---------------------------------------------------------------------


async def test_partner_with_contacts_and_memoranda_over_time(intake: Service, auth: Auth) -> None:
    partner = await create_partner(
        intake,
        auth,
        type="trade_union",
        email=" Info@AHIK.az ",
        phone="012 498 76 54",
        address="Bakı, Azadlıq prospekti 1",
    )
    assert (partner["type"], partner["email"], partner["phone"]) == (
        "trade_union",
        "info@ahik.az",
        "+994124987654",
    )
    url = f"/v1/partners/{partner['id']}/memoranda"
    admin = auth("admin")
    first = await intake.client.post(url, json=MEMORANDUM, headers=admin)
    assert first.status_code == 201, first.text
    second = await intake.client.post(
        url,
        json={
            "number": "M-2026/14",
            "signed_on": "2025-12-20",
            "valid_from": "2026-01-01",
            "valid_to": None,
            "areas": ["assets", "monitoring", "assets"],
        },
        headers=admin,
    )
    assert second.status_code == 201, second.text
    assert second.json()["areas"] == ["assets", "monitoring"]
    assert second.json()["in_force"] is True
    assert first.json()["in_force"] is False  # ended in 2025

    staff = auth("analyst")
    listed = (await intake.client.get(url, headers=staff)).json()["items"]
    assert [m["number"] for m in listed] == ["M-2024/07", "M-2026/14"]
    in_2025 = await intake.client.get(url, params={"in_force_on": "2025-06-01"}, headers=staff)
    assert [m["number"] for m in in_2025.json()["items"]] == ["M-2024/07"]
    one = await intake.client.get(f"{url}/{second.json()['id']}", headers=staff)
    assert one.json() == second.json()

    again = await intake.client.post(url, json=MEMORANDUM, headers=admin)
    assert again.status_code == 409
    assert [e["field"] for e in again.json()["errors"]] == ["body.number"]
    reversed_period = await intake.client.post(
        url, json={**MEMORANDUM, "number": "X-1", "valid_to": "2024-01-01"}, headers=admin
    )
    assert reversed_period.status_code == 422
    assert [e["field"] for e in reversed_period.json()["errors"]] == ["body.valid_to"]
    unknown_area = await intake.client.post(
        url, json={**MEMORANDUM, "number": "X-2", "areas": ["catering"]}, headers=admin
    )
    assert unknown_area.status_code == 422
    assert [e["field"] for e in unknown_area.json()["errors"]] == ["body.areas.0"]
    assert await rows(intake, Memorandum) == 2

    staff_write = await intake.client.post(
        url, json={**MEMORANDUM, "number": "X-3"}, headers=auth("case_officer")
    )
    assert staff_write.status_code == 403
    missing = await intake.client.get(f"/v1/partners/{uuid.uuid4()}/memoranda", headers=staff)
    assert missing.status_code == 404


async def test_partner_contacts_are_validated_and_updated_with_if_match(
    intake: Service, auth: Auth
) -> None:
    admin = auth("admin")
    bad = await intake.client.post(
        "/v1/partners",
        json={"name": "NGO", "type": "club", "email": "no-at-sign", "phone": "12345"},
        headers=admin,
    )
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == [
        "body.email",
        "body.phone",
        "body.type",
    ]
    assert await rows(intake, Partner) == 0

    partner = await create_partner(intake, auth, phone="+994124987654")
    url = f"/v1/partners/{partner['id']}"
    assert (await intake.client.patch(url, json={"type": "ngo"}, headers=admin)).status_code == 428
    changed = await intake.client.patch(
        url, json={"type": "ngo", "phone": None}, headers={**admin, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["type"], changed.json()["phone"]) == ("ngo", None)
    assert changed.headers["etag"] == '"2"'
    stale = await intake.client.patch(
        url, json={"name": "Other"}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    no_name = await intake.client.patch(
        url, json={"name": None}, headers={**admin, "If-Match": '"2"'}
    )
    assert no_name.status_code == 422
    assert (await intake.client.get(url, headers=admin)).json()["name"] == "AHİK"


# --- API keys -----------------------------------------------------------------------------------


async def test_key_is_shown_once_and_stored_hashed(intake: Service, auth: Auth) -> None:
    partner = await create_partner(intake, auth)
    issued = await issue_key(
        intake, auth, partner["id"], "referrals:write", "referrals:read", "referrals:read"
    )
    key = issued["key"]
    assert issued["scopes"] == ["referrals:read", "referrals:write"]
    assert key.startswith(f"dq_{issued['prefix']}_")
    assert issued["status"] == "active"

    async with intake.runtime.sessionmaker() as session:
        stored = await session.get(ApiKey, uuid.UUID(issued["id"]))
        assert stored is not None
        assert stored.key_hash == hash_api_key(key)
        # The key itself is nowhere in the database: not in a table, not in an event.
        dump = await session.scalar(
            text(
                "SELECT string_agg(t::text, ' ') FROM (SELECT row_to_json(k) AS t FROM api_keys k "
                "UNION ALL SELECT envelope::json FROM outbox "
                "UNION ALL SELECT row_to_json(i) FROM idempotency_keys i) AS everything"
            )
        )
        envelope = await session.scalar(
            text("SELECT envelope FROM outbox WHERE subject = 'intake.partner_key.issued'")
        )
    assert key not in dump
    assert envelope["data"]["key_hash"] == hash_api_key(key)
    assert envelope["data"]["prefix"] == issued["prefix"]

    listed = await intake.client.get(
        f"/v1/partners/{partner['id']}/api-keys", headers=auth("admin")
    )
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert "key" not in item
    assert "key_hash" not in item
    assert item["prefix"] == issued["prefix"]

    # The key works: the partner reads its own record.
    me = await intake.client.get("/v1/partners/me", headers=key_headers(issued))
    assert me.status_code == 200
    assert me.json()["id"] == partner["id"]
    own_keys = await intake.client.get(
        f"/v1/partners/{partner['id']}/api-keys", headers=key_headers(issued)
    )
    assert [k["id"] for k in own_keys.json()["items"]] == [issued["id"]]
    staff_me = await intake.client.get("/v1/partners/me", headers=auth("case_officer"))
    assert staff_me.status_code == 403


async def test_key_use_is_recorded_at_most_once_a_minute(intake: Service, auth: Auth) -> None:
    partner = await create_partner(intake, auth)
    issued = await issue_key(intake, auth, partner["id"])
    assert issued["last_used_at"] is None
    url = f"/v1/partners/{partner['id']}/api-keys"

    async def listed() -> Json:
        response = await intake.client.get(url, headers=auth("admin"))
        [item] = response.json()["items"]
        assert isinstance(item, dict)
        return item

    # The right prefix with a wrong secret authenticates nothing, so it is no use of the key.
    forged = issued["key"][:-4] + ("AAAA" if not issued["key"].endswith("AAAA") else "BBBB")
    refused = await intake.client.get("/v1/partners/me", headers={"X-API-Key": forged})
    assert refused.status_code == 401
    assert (await listed())["last_used_at"] is None

    before = datetime.now(UTC)
    me = await intake.client.get("/v1/partners/me", headers=key_headers(issued))
    assert me.status_code == 200
    first = await listed()
    used_at = datetime.fromisoformat(first["last_used_at"])
    assert before <= used_at <= datetime.now(UTC)
    assert first["version"] == issued["version"]  # not a change of the key: its ETag stays

    # Within the minute nothing is written again.
    assert (
        await intake.client.get("/v1/partners/me", headers=key_headers(issued))
    ).status_code == 200
    assert (await listed())["last_used_at"] == first["last_used_at"]

    # A minute later (moved back in the database) the next request stamps it again.
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE api_keys SET last_used_at = last_used_at - interval '2 minutes'")
        )
    assert (
        await intake.client.get("/v1/partners/me", headers=key_headers(issued))
    ).status_code == 200
    assert datetime.fromisoformat((await listed())["last_used_at"]) > used_at
    # Shown to the partner too, on its own keys.
    own = await intake.client.get(url, headers=key_headers(issued))
    assert own.json()["items"][0]["last_used_at"] is not None


async def test_key_scopes_and_expiry_are_checked(intake: Service, auth: Auth) -> None:
    partner = await create_partner(intake, auth)
    url = f"/v1/partners/{partner['id']}/api-keys"
    admin = auth("admin")
    unknown = await intake.client.post(
        url, json={"scopes": ["referrals:read", "everything"]}, headers=admin
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.scopes.1"]
    past = await intake.client.post(
        url,
        json={"scopes": ["referrals:read"], "expires_at": "2020-01-01T00:00:00Z"},
        headers=admin,
    )
    assert past.status_code == 422
    assert [e["field"] for e in past.json()["errors"]] == ["body.expires_at"]
    naive = await intake.client.post(
        url,
        json={"scopes": ["referrals:read"], "expires_at": "2099-01-01T00:00:00"},
        headers=admin,
    )
    assert naive.status_code == 422
    not_admin = await intake.client.post(
        url, json={"scopes": ["referrals:read"]}, headers=auth("case_officer")
    )
    assert not_admin.status_code == 403
    assert await rows(intake, ApiKey) == 0

    # A key past its expiry is refused (the expiry is moved back in the database).
    issued = await issue_key(intake, auth, partner["id"], expires_at="2099-01-01T00:00:00Z")
    assert (
        await intake.client.get("/v1/partners/me", headers=key_headers(issued))
    ).status_code == 200
    async with intake.runtime.sessionmaker() as session, session.begin():
        stored = await session.get(ApiKey, uuid.UUID(issued["id"]))
        assert stored is not None
        stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert (
        await intake.client.get("/v1/partners/me", headers=key_headers(issued))
    ).status_code == 401
    listed = await intake.client.get(url, headers=admin)
    assert listed.json()["items"][0]["status"] == "expired"


async def test_rotation_keeps_the_old_key_for_its_grace_only(intake: Service, auth: Auth) -> None:
    partner = await create_partner(intake, auth)
    old = await issue_key(
        intake, auth, partner["id"], "referrals:read", "plans:read", label="portal"
    )
    admin = auth("admin")
    base = f"/v1/partners/{partner['id']}/api-keys"
    rotate = f"{base}/{old['id']}/rotate"

    assert (await intake.client.post(rotate, headers=admin)).status_code == 428
    stale = await intake.client.post(rotate, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    before = datetime.now(UTC)
    rotated = await intake.client.post(
        rotate, json={"grace_seconds": 3600}, headers={**admin, "If-Match": '"1"'}
    )
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert new["id"] != old["id"]
    assert new["key"] != old["key"]
    assert (new["scopes"], new["label"]) == (old["scopes"], "portal")
    previous = new["previous"]
    assert previous["status"] == "rotated"
    assert previous["replaced_by_id"] == new["id"]
    grace_end = datetime.fromisoformat(previous["expires_at"])
    assert before + timedelta(seconds=3590) < grace_end < before + timedelta(seconds=3610)

    # Both keys work during the grace; the old one cannot be rotated again.
    for issued in (old, new):
        me = await intake.client.get("/v1/partners/me", headers=key_headers(issued))
        assert me.status_code == 200
    twice = await intake.client.post(rotate, headers={**admin, "If-Match": '"2"'})
    assert twice.status_code == 409
    assert twice.json()["current_state"] == "rotated"

    # A rotation without grace: the replaced key is refused at once.
    newest = await intake.client.post(
        f"{base}/{new['id']}/rotate",
        json={"grace_seconds": 0},
        headers={**admin, "If-Match": '"1"'},
    )
    assert newest.status_code == 201, newest.text
    assert (await intake.client.get("/v1/partners/me", headers=key_headers(new))).status_code == 401
    me = await intake.client.get("/v1/partners/me", headers=key_headers(newest.json()))
    assert me.status_code == 200

    async with intake.runtime.sessionmaker() as session:
        issued_events = await session.scalar(
            text("SELECT count(*) FROM outbox WHERE subject = 'intake.partner_key.issued'")
        )
    # The first key, then per rotation the new key and the old one with its new expiry.
    assert issued_events == 5


async def test_revocation_is_immediate_and_final(intake: Service, auth: Auth) -> None:
    partner = await create_partner(intake, auth)
    issued = await issue_key(intake, auth, partner["id"])
    admin = auth("admin")
    url = f"/v1/partners/{partner['id']}/api-keys/{issued['id']}"
    as_partner = await intake.client.post(
        f"{url}/revoke", headers={**key_headers(issued), "If-Match": '"1"'}
    )
    assert as_partner.status_code == 403  # a partner lists its keys; an admin changes them
    revoked = await intake.client.post(f"{url}/revoke", headers={**admin, "If-Match": '"1"'})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.headers["etag"] == '"2"'
    assert (
        await intake.client.get("/v1/partners/me", headers=key_headers(issued))
    ).status_code == 401

    again = await intake.client.post(f"{url}/revoke", headers={**admin, "If-Match": '"2"'})
    assert again.status_code == 409
    assert again.json()["current_state"] == "revoked"
    rotate = await intake.client.post(f"{url}/rotate", headers={**admin, "If-Match": '"2"'})
    assert rotate.status_code == 409
    async with intake.runtime.sessionmaker() as session:
        envelope = await session.scalar(
            text("SELECT envelope FROM outbox WHERE subject = 'intake.partner_key.revoked'")
        )
    assert envelope["data"]["key_id"] == issued["id"]


# --- One partner never reaches another's data ---------------------------------------------------


async def test_partner_cannot_read_or_change_another_partners_data(
    intake: Service, auth: Auth
) -> None:
    admin = auth("admin")
    a = await create_partner(intake, auth, name="Partner A")
    b = await create_partner(intake, auth, name="Partner B")
    scopes = ("referrals:read", "referrals:write")
    key_a = key_headers(await issue_key(intake, auth, a["id"], *scopes))
    key_b_issued = await issue_key(intake, auth, b["id"], *scopes)
    key_b = key_headers(key_b_issued)
    memo_a = await intake.client.post(
        f"/v1/partners/{a['id']}/memoranda", json=MEMORANDUM, headers=admin
    )
    memo_b = await intake.client.post(
        f"/v1/partners/{b['id']}/memoranda", json=MEMORANDUM, headers=admin
    )
    assert memo_a.status_code == memo_b.status_code == 201

    applicant = await intake.client.post("/v1/applicants", json=APPLICANT, headers=key_b)
    assert applicant.status_code == 201, applicant.text
    referral = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant.json()["id"], "direction": "beekeeping"},
        headers=key_b,
    )
    assert referral.status_code == 201, referral.text
    referral_url = f"/v1/applications/{referral.json()['id']}"
    referral_before = await intake.client.get(referral_url, headers=key_b)
    assert referral_before.status_code == 200

    b_id, a_id = b["id"], a["id"]
    b_key, b_memo = key_b_issued["id"], memo_b.json()["id"]
    missing = uuid.uuid4()

    # Reads of B's objects answer exactly like reads of objects that do not exist.
    reads = {
        f"/v1/partners/{b_id}": f"/v1/partners/{missing}",
        f"/v1/partners/{b_id}/memoranda": f"/v1/partners/{missing}/memoranda",
        f"/v1/partners/{b_id}/memoranda/{b_memo}": f"/v1/partners/{a_id}/memoranda/{missing}",
        f"/v1/partners/{a_id}/memoranda/{b_memo}": f"/v1/partners/{a_id}/memoranda/{missing}",
        f"/v1/partners/{b_id}/api-keys": f"/v1/partners/{missing}/api-keys",
        f"/v1/partners/{b_id}/api-keys/{b_key}": f"/v1/partners/{a_id}/api-keys/{missing}",
        f"/v1/partners/{a_id}/api-keys/{b_key}": f"/v1/partners/{a_id}/api-keys/{missing}",
        referral_url: f"/v1/applications/{missing}",
        f"{referral_url}/assessment": f"/v1/applications/{missing}/assessment",
    }
    for others, absent in reads.items():
        theirs = await intake.client.get(others, headers=key_a)
        nothing = await intake.client.get(absent, headers=key_a)
        assert theirs.status_code == nothing.status_code == 404, others
        assert theirs.json()["type"] == nothing.json()["type"]
        assert theirs.json()["title"] == nothing.json()["title"]

    # Lists and "me" show A alone.
    listed = await intake.client.get("/v1/partners", headers=key_a)
    assert [p["id"] for p in listed.json()["items"]] == [a_id]
    assert (await intake.client.get("/v1/partners/me", headers=key_a)).json()["id"] == a_id
    staff_list = await intake.client.get("/v1/partners", headers=auth("analyst"))
    assert {p["id"] for p in staff_list.json()["items"]} == {a_id, b_id}

    # Changes are for admins (and staff): a partner is refused whatever the target.
    writes: list[tuple[str, str, Json | None]] = [
        ("PATCH", f"/v1/partners/{b_id}", {"name": "Taken over"}),
        ("POST", f"/v1/partners/{b_id}/memoranda", {**MEMORANDUM, "number": "Z-1"}),
        ("POST", f"/v1/partners/{b_id}/api-keys", {"scopes": ["referrals:read"]}),
        ("POST", f"/v1/partners/{b_id}/api-keys/{b_key}/rotate", {"grace_seconds": 0}),
        ("POST", f"/v1/partners/{b_id}/api-keys/{b_key}/revoke", None),
        ("POST", f"/v1/partners/{a_id}/api-keys/{b_key}/revoke", None),
        ("POST", f"{referral_url}/enroll", None),
        ("POST", f"{referral_url}/withdraw", None),
        ("POST", f"{referral_url}/cancel", {"reason": "withdrew"}),
    ]
    for method, url, body in writes:
        response = await intake.client.request(
            method, url, json=body, headers={**key_a, "If-Match": "*"}
        )
        assert response.status_code in (403, 404), (url, response.status_code)

    # B's objects are as they were, and B's key still works.
    after = await intake.client.get(f"/v1/partners/{b_id}", headers=admin)
    assert (after.json()["name"], after.json()["version"]) == ("Partner B", 1)
    b_keys = (await intake.client.get(f"/v1/partners/{b_id}/api-keys", headers=admin)).json()
    assert [(k["id"], k["status"]) for k in b_keys["items"]] == [(b_key, "active")]
    b_memos = (await intake.client.get(f"/v1/partners/{b_id}/memoranda", headers=admin)).json()
    assert [m["id"] for m in b_memos["items"]] == [b_memo]
    referral_now = await intake.client.get(referral_url, headers=key_b)
    assert referral_now.status_code == 200
    assert referral_now.json() == referral_before.json()


async def test_a_partner_bound_staff_token_is_scoped_too(
    intake: Service, auth: Auth, dev_keys: Path
) -> None:
    """Staff of a partner organisation log in with a token carrying partner_id: same rule."""
    a = await create_partner(intake, auth, name="Partner A")
    b = await create_partner(intake, auth, name="Partner B")
    token = mint_token(
        dev_keys, roles=["analyst"], subject="ngo-staff-1", partner_id=uuid.UUID(a["id"])
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert (await intake.client.get(f"/v1/partners/{a['id']}", headers=headers)).status_code == 200
    assert (await intake.client.get(f"/v1/partners/{b['id']}", headers=headers)).status_code == 404


# --- The migration keeps a memorandum recorded before partners had several ----------------------


async def test_migration_moves_the_memorandum_and_back(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    config = alembic_config("intake", await fresh_database("intake"))
    await asyncio.to_thread(command.downgrade, config, "0003")
    partner_id = uuid.uuid4()
    # No pool: the schema changes under the connections, and their cached plans with it.
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO partners (id, name, memorandum_number, memorandum_signed_on, "
                    "created_at) VALUES (:id, 'AHİK', 'M-1', '2024-03-01', now())"
                ),
                {"id": partner_id},
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.begin() as connection:
            partner = (await connection.execute(text("SELECT * FROM partners"))).one()
            memo = (await connection.execute(text("SELECT * FROM partner_memoranda"))).one()
        assert (partner.type, partner.version) == ("other", 1)
        assert (memo.partner_id, memo.number, str(memo.signed_on)) == (
            partner_id,
            "M-1",
            "2024-03-01",
        )
        await asyncio.to_thread(command.downgrade, config, "0003")
        async with engine.begin() as connection:
            back = (await connection.execute(text("SELECT * FROM partners"))).one()
        assert (back.memorandum_number, str(back.memorandum_signed_on)) == ("M-1", "2024-03-01")
    finally:
        await engine.dispose()
