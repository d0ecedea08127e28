"""A person's rights in monitoring: a withdrawn consent hides their records from the referring
partner (and giving it again shows them), an admin gathers everything held about them, and an
erasure removes the free text and photos about them but no coded fact."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from shared.db import utcnow
from shared.events import ApplicantErased, ConsentChanged
from tests.events_support import copied_partner_key
from tests.monitoring.cases_support import delivered, handle, reported
from tests.monitoring.grievances_support import (
    decided,
    enrolled,
    grievance,
    lodged,
    report_first_visit,
)
from tests.monitoring.visits_support import PNG
from tests.service_fixtures import Auth, Service

NOTES = "Leyla keeps the hives behind her brother's house"


async def followed(monitoring: Service, auth: Auth, partner: uuid.UUID | None) -> dict[str, Any]:
    """A participant referred by `partner` with a case, a reported visit (notes, place, a photo),
    a flag, a grievance and a decision: the ids of each."""
    participant = await enrolled(monitoring, partner)
    event = delivered(
        participant,
        partner_id=partner,
        delivered_on=utcnow().date() - relativedelta(months=8),
    )
    await handle(monitoring, event)
    officer = auth("case_officer")
    visit = await report_first_visit(
        monitoring,
        participant,
        officer,
        operating=False,
        notes=NOTES,
        location={"latitude": "40.6821", "longitude": "46.3606"},
    )
    photo = await monitoring.client.post(
        f"/v1/visits/{visit['id']}/photos", files={"file": ("a.png", PNG)}, headers=officer
    )
    assert photo.status_code == 201, photo.text
    await handle(
        monitoring, reported(participant, visit_id=uuid.UUID(visit["id"]), operating=False)
    )
    flags = await monitoring.client.get(f"/v1/flags?participant_id={participant}", headers=officer)
    [flag] = flags.json()["items"]
    resolved = await monitoring.client.post(
        f"/v1/flags/{flag['id']}/resolve",
        json={"resolution": "visited", "note": NOTES},
        headers={**officer, "If-Match": '"1"'},
    )
    assert resolved.status_code == 200, resolved.text
    complaint = await lodged(monitoring, officer, grievance(participant, description=NOTES))
    return {
        "participant": participant,
        "visit": visit["id"],
        "photo": photo.json()["id"],
        "flag": flag["id"],
        "grievance": complaint["id"],
        "decision": str(await decided(monitoring, participant)),
    }


def consent(participant: uuid.UUID, partner: uuid.UUID, granted: bool) -> ConsentChanged:
    return ConsentChanged(
        applicant_id=uuid.uuid4(),
        application_ids=[participant],
        purpose="partner_sharing",
        partner_id=partner,
        granted=granted,
        text_version="2026-12",
        changed_at=utcnow(),
    )


async def test_a_withdrawn_consent_hides_the_persons_records_from_the_partner(
    monitoring: Service, auth: Auth
) -> None:
    partner = uuid.uuid4()
    ids = await followed(monitoring, auth, partner)
    participant = ids["participant"]
    key = await copied_partner_key(monitoring, partner, "monitoring:read")

    async def seen() -> dict[str, Any]:
        async def status(url: str) -> int:
            return (await monitoring.client.get(url, headers=key)).status_code

        async def listed(url: str) -> int:
            response = await monitoring.client.get(url, headers=key)
            assert response.status_code == 200, response.text
            return len(response.json()["items"])

        return {
            "case": await status(f"/v1/cases/{participant}"),
            "visit": await status(f"/v1/visits/{ids['visit']}"),
            "flag": await status(f"/v1/flags/{ids['flag']}"),
            "timeline": await status(f"/v1/cases/{participant}/timeline"),
            "grievance": await status(f"/v1/grievances/{ids['grievance']}"),
            "cases": await listed("/v1/cases"),
            "visits": await listed(f"/v1/visits?participant_id={participant}"),
            "flags": await listed("/v1/flags"),
            "grievances": await listed("/v1/grievances"),
            "decisions": await listed("/v1/decisions"),
        }

    shown = {"case": 200, "visit": 200, "flag": 200, "timeline": 200, "grievance": 200}
    counts = {"cases": 1, "visits": 4, "flags": 1, "grievances": 1, "decisions": 1}
    assert await seen() == {**shown, **counts}
    await handle(monitoring, consent(participant, partner, granted=False))
    assert await seen() == {**dict.fromkeys(shown, 404), **dict.fromkeys(counts, 0)}
    # Staff still see everything.
    officer = await monitoring.client.get(f"/v1/cases/{participant}", headers=auth("case_officer"))
    assert officer.status_code == 200
    await handle(monitoring, consent(participant, partner, granted=True))
    assert await seen() == {**shown, **counts}


async def test_an_admin_gathers_what_monitoring_holds_about_a_person(
    monitoring: Service, auth: Auth
) -> None:
    ids = await followed(monitoring, auth, None)
    other = await followed(monitoring, auth, None)
    url = f"/v1/subject-access/monitoring?application_id={ids['participant']}"
    response = await monitoring.client.get(url, headers=auth("admin"))
    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert [case["participant_id"] for case in records["cases"]] == [str(ids["participant"])]
    assert len(records["visits"]) == 4
    [report] = records["visit_reports"]
    assert report["notes"] == NOTES
    assert [flag["resolution_note"] for flag in records["flags"]] == [NOTES]
    assert [g["description"] for g in records["grievances"]] == [NOTES]
    assert [d["id"] for d in records["decisions"]] == [ids["decision"]]
    assert records["timeline"]
    assert str(other["participant"]) not in response.text
    assert "adverse_decisions" in records
    forbidden = await monitoring.client.get(url, headers=auth("case_officer"))
    assert forbidden.status_code == 403
    bad = await monitoring.client.get(
        "/v1/subject-access/monitoring?application_id=nope", headers=auth("admin")
    )
    assert bad.status_code == 422


async def test_an_erasure_removes_free_text_and_photos_but_no_coded_fact(
    monitoring: Service, auth: Auth, tmp_path: Path
) -> None:
    ids = await followed(monitoring, auth, None)
    kept = await followed(monitoring, auth, None)
    analyst, admin = auth("analyst"), auth("admin")
    funnel = (await monitoring.client.get("/v1/reports/funnel", headers=analyst)).json()
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(files) == 2

    await handle(
        monitoring,
        ApplicantErased(
            applicant_id=uuid.uuid4(),
            application_ids=[ids["participant"]],
            basis="lawful_request",
            erased_at=utcnow(),
        ),
    )

    async def held(participant: uuid.UUID) -> dict[str, Any]:
        response = await monitoring.client.get(
            f"/v1/subject-access/monitoring?application_id={participant}", headers=admin
        )
        records: dict[str, Any] = response.json()["records"]
        return records

    erased = await held(ids["participant"])
    [report] = erased["visit_reports"]
    assert (report["notes"], report["latitude"], report["operating"]) == (None, None, False)
    [flag] = erased["flags"]
    assert (flag["resolution_note"], flag["resolution"]) == (None, "visited")
    [complaint] = erased["grievances"]
    assert (complaint["description"], complaint["category"]) == (None, "service_complaint")
    assert NOTES not in str(erased)
    photo = await monitoring.client.get(
        f"/v1/visits/{ids['visit']}/photos/{ids['photo']}", headers=admin
    )
    assert photo.status_code == 404
    assert len([p for p in (tmp_path / "files").rglob("*") if p.is_file()]) == 1
    # The other person's keep theirs, and the figures stay.
    assert (await held(kept["participant"]))["visit_reports"][0]["notes"] == NOTES
    assert (await monitoring.client.get("/v1/reports/funnel", headers=analyst)).json() == funnel
