"""Duplicates: one FIN once; possible duplicates (similar folded name and same birth date) are
flagged, listed for case officers, dismissed with a note or merged."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.duplicates import MAX_NEW_FLAGS, find_duplicates
from intake.applicants.models import Applicant, AuditEntry, DuplicateFlag
from intake.applicants.pii import FinProtector
from intake.applicants.schemas import ApplicantIn
from intake.applicants.service import create_applicant
from shared.auth import Principal, Role
from tests.intake.applicants_support import evidence, field_errors, new_fin, person, register
from tests.intake.rounds_support import outbox
from tests.service_fixtures import Auth, Service


async def open_flags(intake: Service, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await intake.client.get("/v1/duplicates?status=open", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_same_fin_is_409_on_the_field_and_no_flag(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    fin = new_fin()
    await register(intake, officer, fin=fin)
    again = await intake.client.post(
        "/v1/applicants",
        json=person(fin=f" {fin.lower()} ", first_name="Başqa", last_name="Adam"),
        headers=officer,
    )
    assert again.status_code == 409
    assert field_errors(again) == {"body.fin": "duplicate"}
    async with intake.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Applicant)) == 1
    assert await open_flags(intake, officer) == []


async def test_similar_name_and_same_birth_date_is_flagged(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    first = await register(intake, officer, last_name="Məmmədova", first_name="Aygün")
    # Typed without an Azerbaijani keyboard, in capitals, names swapped, another FIN.
    second = await register(intake, officer, last_name="AYGUN", first_name="MEMMEDOVA")
    # Same name, another birth date: another person.
    await register(intake, officer, birth_date="1990-01-01")
    # Same birth date, another name.
    await register(intake, officer, last_name="Quliyeva", first_name="Nərmin")
    # The passport spelling (ə as a) is close enough too.
    third = await register(intake, officer, last_name="Mammadova", first_name="Aygun")

    flags = await open_flags(intake, officer)
    pairs = {(f["applicant_id"], f["candidate_id"]): f for f in flags}
    assert set(pairs) == {
        (second["id"], first["id"]),
        (third["id"], first["id"]),
        (third["id"], second["id"]),
    }
    exact = pairs[(second["id"], first["id"])]
    assert exact["score"] == "100.00"
    assert exact["reason"] == "similar_name_same_birth_date"
    assert exact["status"] == "open"
    assert 85 <= float(pairs[(third["id"], first["id"])]["score"]) < 100
    # A flag names applicants by id only.
    assert not {"fin", "first_name", "last_name", "birth_date"} & set(exact)


async def test_only_case_officers_see_duplicates(intake: Service, auth: Auth) -> None:
    for role in ("analyst", "monitor"):
        response = await intake.client.get("/v1/duplicates", headers=auth(role))
        assert response.status_code == 403


async def test_recheck_finds_nothing_twice_and_dismissed_stays_dismissed(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer", subject="officer-d")
    first = await register(intake, officer)
    second = await register(intake, officer, last_name="Memmedova", first_name="Aygun")
    recheck = await intake.client.post(
        f"/v1/applicants/{first['id']}/duplicates/check", headers=officer
    )
    assert recheck.status_code == 200
    (flag,) = recheck.json()
    assert {flag["applicant_id"], flag["candidate_id"]} == {first["id"], second["id"]}

    url = f"/v1/duplicates/{flag['id']}/dismiss"
    note = {"note": "Twins: different mothers' records"}
    assert (await intake.client.post(url, json=note, headers=officer)).status_code == 428
    stale = await intake.client.post(url, json=note, headers={**officer, "If-Match": '"9"'})
    assert stale.status_code == 412
    empty = await intake.client.post(url, json={"note": " "}, headers={**officer, "If-Match": "*"})
    assert field_errors(empty) == {"body.note": "string_too_short"}

    etag = (await intake.client.get(f"/v1/duplicates/{flag['id']}", headers=officer)).headers[
        "etag"
    ]
    dismissed = await intake.client.post(url, json=note, headers={**officer, "If-Match": etag})
    assert dismissed.status_code == 200, dismissed.text
    body = dismissed.json()
    assert (body["status"], body["note"], body["resolved_by"]) == (
        "dismissed",
        note["note"],
        "staff:officer-d",
    )
    assert dismissed.headers["etag"] != etag
    again = await intake.client.post(
        url, json=note, headers={**officer, "If-Match": dismissed.headers["etag"]}
    )
    assert again.status_code == 409
    assert again.json()["current_state"] == "dismissed"

    for applicant in (first, second):
        recheck = await intake.client.post(
            f"/v1/applicants/{applicant['id']}/duplicates/check", headers=officer
        )
        assert recheck.json() == []
    assert await open_flags(intake, officer) == []
    listed = await intake.client.get("/v1/duplicates?status=dismissed", headers=officer)
    assert [f["id"] for f in listed.json()["items"]] == [flag["id"]]


async def test_merge_keeps_one_and_moves_the_others_applications(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer", subject="officer-m")
    keep = await register(intake, officer)
    drop = await register(
        intake,
        officer,
        last_name="Memmedova",
        first_name="Aygun",
        categories=[
            {"category": "martyr_family", "evidence": evidence()},
            {"category": "unemployed", "evidence": evidence("DMX-5")},
        ],
    )
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": drop["id"], "direction": "sewing"},
        headers=officer,
    )
    assert application.status_code == 201, application.text
    (flag,) = await open_flags(intake, officer)
    url = f"/v1/duplicates/{flag['id']}/merge"
    if_match = {**officer, "If-Match": f'"{flag["version"]}"'}

    outsider = await intake.client.post(url, json={"keep_id": str(uuid.uuid4())}, headers=if_match)
    assert outsider.status_code == 422
    assert field_errors(outsider) == {"body.keep_id": "value_error"}

    merged = await intake.client.post(
        url, json={"keep_id": keep["id"], "note": "FIN typo"}, headers=if_match
    )
    assert merged.status_code == 200, merged.text
    assert (merged.json()["status"], merged.json()["kept_id"]) == ("merged", keep["id"])

    moved = await intake.client.get(f"/v1/applications/{application.json()['id']}", headers=officer)
    assert moved.json()["applicant_id"] == keep["id"]
    kept = (await intake.client.get(f"/v1/applicants/{keep['id']}", headers=officer)).json()
    assert kept["categories"] == ["martyr_family", "unemployed"]
    assert {c["category"]: c["evidence"]["number"] for c in kept["category_details"]} == {
        "martyr_family": "ŞA-123456",
        "unemployed": "DMX-5",
    }
    gone = (await intake.client.get(f"/v1/applicants/{drop['id']}", headers=officer)).json()
    assert gone["merged_into_id"] == keep["id"]
    listing = (await intake.client.get("/v1/applicants", headers=officer)).json()["items"]
    assert [a["id"] for a in listing] == [keep["id"]]  # the merged one is left out

    async with intake.runtime.sessionmaker() as session:
        merges = (
            await session.execute(
                select(AuditEntry.resource_id, AuditEntry.principal, AuditEntry.reason).where(
                    AuditEntry.action == "merge"
                )
            )
        ).all()
    assert sorted(merges) == sorted(
        [
            (uuid.UUID(drop["id"]), "staff:officer-m", f"merged_into:{keep['id']}"),
            (uuid.UUID(keep["id"]), "staff:officer-m", f"merged_from:{drop['id']}"),
        ]
    )
    twice = await intake.client.post(
        url, json={"keep_id": keep["id"]}, headers={**officer, "If-Match": "*"}
    )
    assert twice.status_code == 409

    # One event, with ids only; the refused second merge emitted nothing.
    (event,) = await outbox(intake, "intake.applicant.merged")
    assert event == {
        "kept_applicant_id": keep["id"],
        "merged_applicant_id": drop["id"],
        "moved_application_ids": [application.json()["id"]],
        "merged_at": event["merged_at"],
    }
    resolved_at = merged.json()["resolved_at"].replace("Z", "+00:00")
    assert datetime.fromisoformat(event["merged_at"]) == datetime.fromisoformat(resolved_at)


async def test_candidates_are_found_by_birth_date_index(intake: Service, auth: Auth) -> None:
    """Candidates come from the birth-date index, never a scan of the registry."""
    officer = auth("case_officer")
    created = await register(intake, officer)
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(select(func.set_config("enable_seqscan", "off", True)))
        plan = (
            await session.execute(
                text(
                    "EXPLAIN SELECT * FROM applicants WHERE birth_date = :born"
                    " AND id != :id AND merged_into_id IS NULL"
                ),
                {"born": date.fromisoformat(created["birth_date"]), "id": uuid.UUID(created["id"])},
            )
        ).all()
        applicant = await session.get(Applicant, uuid.UUID(created["id"]))
        assert applicant is not None
        assert await find_duplicates(session, applicant) == []
    assert "ix_applicants_birth_date" in " ".join(str(row[0]) for row in plan)
    async with intake.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(DuplicateFlag)) == 0


async def test_a_registration_costs_no_more_as_namesakes_accumulate(
    intake: Service, auth: Auth
) -> None:
    """However many people with a similar name share the birth date, registering one more runs
    the same statements and writes at most MAX_NEW_FLAGS flags: the cost of a request does not
    grow with the registry."""
    officer = auth("case_officer")
    principal = Principal(kind="staff", subject="officer-n", roles=frozenset({Role.case_officer}))
    fins = intake.runtime.get(FinProtector)

    async def register_one() -> tuple[int, int]:
        """(statements, flags written) of one registration, counted on its own connection."""
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        async with intake.runtime.engine.connect() as connection:
            event.listen(connection.sync_connection, "before_cursor_execute", count)
            async with AsyncSession(connection) as session, session.begin():
                data = ApplicantIn.model_validate(person())
                applicant_id = (await create_applicant(session, fins, data, principal)).id
            event.remove(connection.sync_connection, "before_cursor_execute", count)
        async with intake.runtime.sessionmaker() as session:
            flags = await session.scalar(
                select(func.count())
                .select_from(DuplicateFlag)
                .where(DuplicateFlag.applicant_id == applicant_id)
            )
        return statements, flags or 0

    for _ in range(2):
        await register(intake, officer)
    few = await register_one()
    for _ in range(MAX_NEW_FLAGS + 5):
        await register(intake, officer, first_name="Aygun", last_name="Memmedova")
    many = await register_one()
    assert few == (few[0], 2)
    assert many == (few[0], MAX_NEW_FLAGS)
