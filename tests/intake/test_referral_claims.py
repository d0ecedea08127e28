"""A partner must not learn whether a FIN is registered outside its own referrals: registering
such a FIN (through the API or an import) answers exactly as a new referral does, and the claim
waits for a case officer, who links it (with or without the person's consent) or refuses it.
Only a link with consent shows the partner the outcome."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select, text

from intake.applicants.models import Applicant, AuditEntry, ReferralClaim
from intake.applicants.pii import FinProtector
from intake.applications.models import Application
from shared.tables import SHARED_TABLES
from tests.intake.applicants_support import partner_key, person, register
from tests.intake.imports_support import csv_file, finished, referral, upload
from tests.intake.rounds_support import all_results, open_round, outbox, run_selection
from tests.service_fixtures import Auth, Service

Headers = dict[str, str]
# What differs between any two registrations: the record's own id and time, and what was sent.
VARYING_FIELDS = {"id", "created_at", "fin"}
VARYING_HEADERS = {"date", "content-length", "location", "x-request-id", "x-correlation-id"}


def shape(response: httpx.Response) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body without what differs per record, and headers without per-response ones."""
    body = {k: v for k, v in response.json().items() if k not in VARYING_FIELDS}
    headers = {k: v for k, v in response.headers.items() if k not in VARYING_HEADERS}
    return response.status_code, body, headers


async def claims(intake: Service, auth: Auth, status: str = "pending") -> list[dict[str, Any]]:
    response = await intake.client.get(
        f"/v1/referral-claims?status={status}", headers=auth("case_officer")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def partner_view(intake: Service, headers: Headers, record: dict[str, Any]) -> list[Any]:
    """Everything the partner can see of its referral."""
    own = await intake.client.get(
        f"/v1/applicants/{record['id']}?purpose=partner_referral", headers=headers
    )
    found = await intake.client.post(
        "/v1/applicants/search?purpose=partner_referral",
        json={"fin": record["fin"]},
        headers=headers,
    )
    listed = await intake.client.get("/v1/applicants", headers=headers)
    view = [(own.status_code, own.json(), own.headers.get("etag")), found.json(), listed.json()]
    if "application" in record:
        application = await intake.client.get(
            f"/v1/applications/{record['application']}", headers=headers
        )
        view.append((application.status_code, application.json()))
    return view


async def test_another_partners_fin_is_answered_as_a_new_referral(
    intake: Service, auth: Auth
) -> None:
    a, b = await partner_key(intake, auth, "AHİK"), await partner_key(intake, auth, "Other NGO")
    registered = await register(intake, a, first_name="Gülnarə", phone="055 765 43 21")

    # B registers a new person, then the one A referred, with the same fields otherwise.
    sent = person(first_name="Aygün")
    new = await intake.client.post("/v1/applicants", json=sent, headers=b)
    claim = await intake.client.post(
        "/v1/applicants", json={**sent, "fin": registered["fin"]}, headers=b
    )
    assert new.status_code == 201, new.text
    assert shape(claim) == shape(new)
    assert claim.json()["fin"] == registered["fin"]  # what B sent, as for any referral
    record = claim.json()
    assert record["id"] != registered["id"]
    assert (record["first_name"], record["phone"]) == ("Aygün", "+994501234567")  # B's, not A's

    # The id B got reaches only B's own record, never the registered person.
    seen = await intake.client.get(f"/v1/applicants/{record['id']}", headers=b)
    assert seen.status_code == 200
    assert seen.json()["first_name"] == "Aygün"
    hidden = await intake.client.get(f"/v1/applicants/{registered['id']}", headers=b)
    assert hidden.status_code == 404
    found = await intake.client.post(
        "/v1/applicants/search?purpose=partner_referral",
        json={"fin": registered["fin"]},
        headers=b,
    )
    assert [item["id"] for item in found.json()["items"]] == [record["id"]]
    # Applying for it works as for a new person.
    applied = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": record["id"], "direction": "beekeeping"},
        headers=b,
    )
    assert applied.status_code == 201, applied.text
    assert applied.json()["applicant_id"] == record["id"]

    # Their own data stays a plain 409: B again, A again, and staff.
    for headers in (b, a, auth("case_officer")):
        again = await intake.client.post(
            "/v1/applicants", json={**sent, "fin": registered["fin"]}, headers=headers
        )
        assert again.status_code == 409, again.text
        assert again.json()["errors"][0]["field"] == "body.fin"

    # Staff see one person with that FIN; the claim is in the officers' queue.
    staff_found = await intake.client.post(
        "/v1/applicants/search?purpose=case_review",
        json={"fin": registered["fin"]},
        headers=auth("case_officer"),
    )
    assert [item["id"] for item in staff_found.json()["items"]] == [registered["id"]]
    (queued,) = await claims(intake, auth)
    assert (queued["applicant_id"], queued["person_id"], queued["status"]) == (
        record["id"],
        registered["id"],
        "pending",
    )
    assert queued["partner_id"] == record["referred_by_partner_id"]
    for headers in (a, b, auth("analyst"), auth("monitor")):
        refused = await intake.client.get("/v1/referral-claims", headers=headers)
        assert refused.status_code == 403


async def test_link_with_consent_shows_the_partner_the_person(intake: Service, auth: Auth) -> None:
    a, b = await partner_key(intake, auth, "AHİK"), await partner_key(intake, auth, "Other NGO")
    registered = await register(intake, a)
    record = await register(intake, b, fin=registered["fin"], first_name="Aygun")
    round_ = await open_round(intake, auth)
    applied, in_round, of_a = [
        await intake.client.post(
            "/v1/applications",
            json={"applicant_id": applicant, "round_id": round_id, "direction": "poultry"},
            headers=headers,
        )
        for applicant, round_id, headers in (
            (record["id"], None, b),
            (record["id"], round_["id"], b),
            (registered["id"], round_["id"], a),
        )
    ]
    assert {applied.status_code, in_round.status_code, of_a.status_code} == {201}
    (queued,) = await claims(intake, auth)
    officer = auth("case_officer", subject="o-7")
    url = f"/v1/referral-claims/{queued['id']}"
    assert (await intake.client.post(f"{url}/link", json={"consent": True, "note": "x"},
                                     headers=officer)).status_code == 428  # fmt: skip
    stale = await intake.client.post(
        f"{url}/link", json={"consent": True, "note": "x"}, headers={**officer, "If-Match": '"9"'}
    )
    assert stale.status_code == 412
    etag = (await intake.client.get(url, headers=officer)).headers["etag"]
    linked = await intake.client.post(
        f"{url}/link",
        json={"consent": True, "note": "Same person; consent form signed"},
        headers={**officer, "If-Match": etag},
    )
    assert linked.status_code == 200, linked.text
    assert (linked.json()["status"], linked.json()["consent"]) == ("linked", True)
    assert (linked.json()["resolved_by"], linked.json()["note"]) == (
        "staff:o-7",
        "Same person; consent form signed",
    )
    assert linked.json()["resolved_at"] is not None
    again = await intake.client.post(
        f"{url}/refuse", json={"note": "x"}, headers={**officer, "If-Match": linked.headers["etag"]}
    )
    assert again.status_code == 409

    # B now reads the person as its referral, its record says where it went, its application
    # moved to the person.
    person_seen = await intake.client.get(
        f"/v1/applicants/{registered['id']}?purpose=partner_referral", headers=b
    )
    assert person_seen.status_code == 200
    assert person_seen.json()["referred_by_partner_id"] is None  # A's, not B's to know
    own = await intake.client.get(f"/v1/applicants/{record['id']}", headers=b)
    assert own.json()["merged_into_id"] == registered["id"]
    application = await intake.client.get(f"/v1/applications/{applied.json()['id']}", headers=b)
    assert application.json()["applicant_id"] == registered["id"]
    # One application per person per round: B's in the round A's person had applied to closes.
    twin = await intake.client.get(f"/v1/applications/{in_round.json()['id']}", headers=b)
    assert (twin.json()["status"], twin.json()["close_reason"]) == (
        "withdrawn",
        "duplicate_referral",
    )
    async with intake.runtime.sessionmaker() as session:
        audited = (
            await session.execute(
                select(AuditEntry.resource_id, AuditEntry.action, AuditEntry.principal).where(
                    AuditEntry.action.like("claim_%")
                )
            )
        ).all()
        subjects = list(
            await session.scalars(
                select(SHARED_TABLES.outbox.c.subject).where(
                    SHARED_TABLES.outbox.c.subject == "intake.applicant.merged"
                )
            )
        )
    assert sorted((str(r), act, who) for r, act, who in audited) == sorted(
        [
            (record["id"], "claim_linked", "staff:o-7"),
            (registered["id"], "claim_linked", "staff:o-7"),
        ]
    )
    assert subjects == ["intake.applicant.merged"]


async def test_refused_or_unconsented_claims_show_the_partner_nothing(
    intake: Service, auth: Auth
) -> None:
    a = await partner_key(intake, auth, "AHİK")
    b, c = await partner_key(intake, auth, "NGO B"), await partner_key(intake, auth, "NGO C")
    round_ = await open_round(intake, auth)
    registered = await register(intake, a)
    of_a = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": registered["id"], "round_id": round_["id"], "direction": "sewing"},
        headers=a,
    )
    assert of_a.status_code == 201, of_a.text
    records = {}
    for name, headers in (("b", b), ("c", c)):
        records[name] = await register(intake, headers, fin=registered["fin"])
        applied = await intake.client.post(
            "/v1/applications",
            json={
                "applicant_id": records[name]["id"],
                "round_id": round_["id"],
                "direction": "beekeeping",
            },
            headers=headers,
        )
        assert applied.status_code == 201, applied.text
        records[name]["application"] = applied.json()["id"]
    officer, admin = auth("case_officer"), auth("admin")

    # The round cannot be selected while claims on its applications wait for review.
    closed = await intake.client.post(
        f"/v1/rounds/{round_['id']}/close", headers={**admin, "If-Match": round_["etag"]}
    )
    assert closed.status_code == 200, closed.text
    early = await intake.client.post(f"/v1/rounds/{round_['id']}/selections", headers=admin)
    assert early.status_code == 409, early.text
    # Nor can a claim's application be enrolled by hand.
    enrol = await intake.client.post(
        f"/v1/applications/{records['b']['application']}/enroll",
        headers={**officer, "If-Match": '"1"'},
    )
    assert enrol.status_code == 409, enrol.text

    before = {n: await partner_view(intake, h, records[n]) for n, h in (("b", b), ("c", c))}
    by_partner = {}
    for item in await claims(intake, auth):
        by_partner[item["applicant_id"]] = item
    for name, action, body in (
        ("b", "refuse", {"note": "No memorandum for this area"}),
        ("c", "link", {"consent": False, "note": "Same person, no consent to share"}),
    ):
        queued = by_partner[records[name]["id"]]
        done = await intake.client.post(
            f"/v1/referral-claims/{queued['id']}/{action}",
            json=body,
            headers={**officer, "If-Match": '"1"'},
        )
        assert done.status_code == 200, done.text
    assert await claims(intake, auth) == []
    assert [item["applicant_id"] for item in await claims(intake, auth, "refused")] == [
        records["b"]["id"]
    ]

    for name, headers in (("b", b), ("c", c)):
        assert await partner_view(intake, headers, records[name]) == before[name], name
        hidden = await intake.client.get(f"/v1/applicants/{registered['id']}", headers=headers)
        assert hidden.status_code == 404

    # Reviewed, the round is selected; the refused and unconsented applications are not in it.
    selection = await run_selection(intake, auth, round_["id"])
    results = await all_results(intake, auth, selection["id"])
    assert [r["application_id"] for r in results] == [of_a.json()["id"]]

    # Committed, they do not stay "eligible" while every other application is placed: they end
    # as an unplaced application does, waitlisted, with the same event (last in the region).
    committed = await intake.client.post(
        f"/v1/selections/{selection['id']}/commit",
        headers={**admin, "If-Match": selection["etag"]},
    )
    assert committed.status_code == 200, committed.text
    for name, headers in (("b", b), ("c", c)):
        application = await intake.client.get(
            f"/v1/applications/{records[name]['application']}", headers=headers
        )
        assert application.status_code == 200, application.text
        assert application.json()["status"] == "waitlisted", name
        assert application.json()["closed_at"] is None
    outcomes = {
        event["application_id"]: event["outcome"]
        for event in await outbox(intake, "intake.application.selected")
    }
    assert outcomes == {
        of_a.json()["id"]: results[0]["outcome"],
        records["b"]["application"]: "waitlisted",
        records["c"]["application"]: "waitlisted",
    }


async def test_an_import_decides_known_fins_exactly_as_the_api(intake: Service, auth: Auth) -> None:
    a, b = await partner_key(intake, auth, "AHİK"), await partner_key(intake, auth, "Other NGO")
    of_a = await register(intake, a)
    of_b = await register(intake, b, birth_date="1990-02-02")
    round_ = await open_round(intake, auth)
    fresh_fin, a_fin, b_fin = "7IMP001", of_a["fin"], of_b["fin"]
    rows = [referral(fresh_fin), referral(a_fin), referral(b_fin, birth_date="1990-02-02")]
    response = await upload(intake.client, csv_file(rows), b, round_id=round_["id"])
    assert response.status_code == 202, response.text
    job = await finished(intake.client, response.headers["location"], b)
    # A's person is imported as a new person would be; no row says otherwise.
    assert (job["imported"], job["rejected"]) == (3, 0), job
    errors = await intake.client.get(f"{response.headers['location']}/errors", headers=b)
    assert errors.json()["items"] == []
    error_file = await intake.client.get(f"{response.headers['location']}/errors.csv", headers=b)
    assert error_file.text.strip().count("\n") == 0  # the header row only

    fins = intake.runtime.get(FinProtector)
    async with intake.runtime.sessionmaker() as session:
        applications = {
            a.applicant_id: a for a in (await session.scalars(select(Application))).all()
        }
        people = (await session.scalars(select(Applicant))).all()
        queue = (await session.scalars(select(ReferralClaim))).all()
    on_a = [p for p in people if p.fin_hash == fins.hash(a_fin)]
    person_a = next(p for p in on_a if not p.claimed)
    record = next(p for p in on_a if p.claimed)
    # The application is on B's own record, never under A's person.
    assert person_a.id not in applications
    assert applications[record.id].partner_id == uuid.UUID(of_b["referred_by_partner_id"])
    assert str(applications[record.id].round_id) == round_["id"]
    assert [(q.applicant_id, q.person_id, q.status) for q in queue] == [
        (record.id, person_a.id, "pending")
    ]
    # B's own referral got its application on its own record, as the API would.
    assert uuid.UUID(of_b["id"]) in applications
    # The same file's rows again, in another file: B's own people are "already referred" (its
    # own data), A's person the same way, as a new person of B's would be.
    again = await upload(
        intake.client, csv_file([*rows, referral("7IMP002")]), b, round_id=round_["id"]
    )
    job = await finished(intake.client, again.headers["location"], b)
    assert (job["imported"], job["rejected"]) == (1, 3), job
    codes = await intake.client.get(f"{again.headers['location']}/errors", headers=b)
    assert [e["code"] for e in codes.json()["items"]] == ["already_referred"] * 3

    # Staff importing A's person: the application is the person's, as today.
    staff = await upload(intake.client, csv_file([referral(a_fin)]), auth("case_officer"))
    job = await finished(intake.client, staff.headers["location"], auth("case_officer"))
    assert (job["imported"], job["rejected"]) == (1, 0), job
    async with intake.runtime.sessionmaker() as session:
        on_person = await session.scalar(
            select(Application.id).where(Application.applicant_id == person_a.id)
        )
    assert on_person is not None


async def test_fin_look_ups_use_an_index_whatever_the_claims(intake: Service) -> None:
    # The one-person rule's unique index is partial (NOT claimed), so it cannot serve a look-up
    # of every record with a FIN: another index must, or each registration scans the registry.
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = (
            await session.execute(
                text("EXPLAIN SELECT id, claimed FROM applicants WHERE fin_hash = ANY(:h)"),
                {"h": ["a" * 64, "b" * 64]},
            )
        ).all()
    assert "ix_applicants_fin_hash_partner" in " ".join(row[0] for row in plan)
