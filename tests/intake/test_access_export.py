"""A person's access request: intake's part (the FIN decrypted, applications, consents, the audit
of reads, adverse decisions) and the other services' parts, gathered over HTTP with the admin's
token; a service that does not answer is marked missing and the export is stored incomplete. The
export gathered from the real plans, assets and monitoring after a whole journey:
tests/api/test_rights_across_services.py."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.models import AuditEntry
from shared.decisions import record_decision
from shared.events import IntakeDecisionRecorded
from shared.subject_access import subject_access_router
from tests.intake.applicants_support import register
from tests.intake.privacy_support import refer, referring_partner
from tests.service_fixtures import Auth, Service, StartService
from tests.serving_support import serving

ACTIVITY = "Arıçılıq: 20 pətək"


async def plans_records(
    session: AsyncSession, application_ids: list[uuid.UUID]
) -> dict[str, list[dict[str, Any]]]:
    """Stands in for plans' own gather, which another change brings."""
    return {"business_plans": [{"participant_id": str(application_ids[0]), "activity": ACTIVITY}]}


def free_port() -> int:
    """A port nothing listens on (for a service that does not answer)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def plans_url(start_service: StartService) -> AsyncIterator[str]:
    """A real HTTP server answering plans' part of access requests with a fixed gather, on
    plans' database and keys."""
    plans = await start_service("plans")
    app = FastAPI()
    app.state.runtime = plans.runtime
    app.state.settings = plans.settings
    app.include_router(subject_access_router("plans", plans_records))
    async with serving(app) as url:
        yield url


@pytest.fixture
async def intake(start_service: StartService, plans_url: str) -> Service:
    nobody = f"http://127.0.0.1:{free_port()}"
    # Monitoring's URL answers, but not with a part: missing too.
    return await start_service(
        "intake", plans_url=plans_url, assets_url=nobody, monitoring_url=plans_url
    )


async def request_export(intake: Service, auth: Auth, applicant_id: str) -> Any:
    response = await intake.client.post(
        f"/v1/applicants/{applicant_id}/access-requests",
        headers=auth("admin", subject="admin-1"),
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/access-requests/{response.json()['id']}"
    return response.json()


async def test_the_export_holds_intakes_part_and_the_gathered_parts(
    intake: Service, auth: Auth
) -> None:
    _, key = await referring_partner(intake, auth, "AHİK")
    applicant, application = await refer(intake, key)
    await intake.client.get(
        f"/v1/applicants/{applicant['id']}",
        headers=auth("case_officer", subject="officer-7") | {"X-Purpose": "case_review"},
    )
    async with intake.runtime.sessionmaker() as session, session.begin():
        await record_decision(
            session,
            IntakeDecisionRecorded,
            application_id=uuid.UUID(application["id"]),
            kind="ineligible",
            reason="age_out_of_range",
            decided_by="rules",
            appeal_days=30,
        )

    export = await request_export(intake, auth, applicant["id"])
    assert (export["status"], export["missing"]) == ("incomplete", ["assets", "monitoring"])
    part = export["content"]["intake"]
    (person,) = part["applicant"]
    assert (person["fin"], person["first_name"]) == (applicant["fin"], "Aygün")
    assert "fin_hash" not in person
    assert [a["id"] for a in part["applications"]] == [application["id"]]
    assert {c["purpose"] for c in part["consents"]} == {"processing", "partner_sharing"}
    assert any((a["principal"], a["action"]) == ("staff:officer-7", "read") for a in part["audit"])
    assert [d["reason"] for d in part["adverse_decisions"]] == ["age_out_of_range"]
    plans = export["content"]["plans"]
    assert plans["business_plans"] == [{"participant_id": application["id"], "activity": ACTIVITY}]
    assert plans["adverse_decisions"] == []
    assert export["content"]["assets"] is None
    assert export["content"]["monitoring"] is None

    # Stored: read again as JSON, and each request and read audited.
    url = f"/v1/access-requests/{export['id']}"
    admin = auth("admin", subject="admin-1")
    again = await intake.client.get(url, headers=admin | {"Accept": "application/json"})
    assert again.status_code == 200
    assert again.headers["content-type"] == "application/json"
    assert again.json() == export
    async with intake.runtime.sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.resource_id == uuid.UUID(applicant["id"]),
                    AuditEntry.principal == "staff:admin-1",
                )
            )
        )
    assert actions == ["access_export", "export_read"]


async def test_the_export_prints_as_a_pdf(intake: Service, auth: Auth) -> None:
    _, key = await referring_partner(intake, auth, "AHİK")
    applicant, _ = await refer(intake, key)
    export = await request_export(intake, auth, applicant["id"])
    url = f"/v1/access-requests/{export['id']}"
    printed = await intake.client.get(url, headers=auth("admin") | {"Accept": "application/pdf"})
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF")
    refused = await intake.client.get(url, headers=auth("admin") | {"Accept": "text/csv"})
    assert refused.status_code == 406


async def test_a_person_with_no_applications_has_only_intakes_part(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    created = await register(intake, officer)
    export = await request_export(intake, auth, created["id"])
    assert (export["status"], export["missing"]) == ("complete", [])
    assert export["content"]["plans"] == {}


async def test_exports_are_for_admins_only(intake: Service, auth: Auth) -> None:
    _, key = await referring_partner(intake, auth, "AHİK")
    applicant, _ = await refer(intake, key)
    url = f"/v1/applicants/{applicant['id']}/access-requests"
    for headers in (auth("case_officer"), key):
        assert (await intake.client.post(url, headers=headers)).status_code == 403
    export = await request_export(intake, auth, applicant["id"])
    read = await intake.client.get(
        f"/v1/access-requests/{export['id']}", headers=auth("case_officer")
    )
    assert read.status_code == 403
    unknown = await intake.client.post(
        f"/v1/applicants/{uuid.uuid4()}/access-requests", headers=auth("admin")
    )
    assert unknown.status_code == 404
    missing = await intake.client.get(f"/v1/access-requests/{uuid.uuid4()}", headers=auth("admin"))
    assert missing.status_code == 404
    not_an_id = await intake.client.get("/v1/access-requests/nope", headers=auth("admin"))
    assert not_an_id.status_code == 422


async def test_erasure_purges_the_exports_content(intake: Service, auth: Auth) -> None:
    _, key = await referring_partner(intake, auth, "AHİK")
    applicant, application = await refer(intake, key)
    withdrawn = await intake.client.post(
        f"/v1/applications/{application['id']}/withdraw",
        headers=key | {"If-Match": f'"{application["version"]}"'},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    export = await request_export(intake, auth, applicant["id"])
    admin = auth("admin")
    erased = await intake.client.post(
        f"/v1/applicants/{applicant['id']}/erasure",
        json={"basis": "lawful_request", "reference": "ŞM-2026/1188"},
        headers=admin | {"If-Match": "*"},
    )
    assert erased.status_code == 200, erased.text
    after = await intake.client.get(f"/v1/access-requests/{export['id']}", headers=admin)
    assert (after.json()["status"], after.json()["content"]) == ("purged", None)
    assert applicant["fin"] not in after.text
    printed = await intake.client.get(
        f"/v1/access-requests/{export['id']}", headers=admin | {"Accept": "application/pdf"}
    )
    assert printed.content.startswith(b"%PDF")
