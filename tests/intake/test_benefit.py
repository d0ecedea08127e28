"""One person, one benefit: a delivery of assets (assets.delivery.completed) marks the person as
benefited, and check_can_benefit refuses them afterwards unless an admin overrides."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from intake.applicants.models import AuditEntry
from intake.applicants.service import AlreadyBenefited, check_can_benefit
from shared.auth import Principal, Role
from shared.problems import Forbidden
from tests.events_support import publish
from tests.intake.applicants_support import register
from tests.intake.benefit_support import benefited_at, delivery
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service

ADMIN = Principal(kind="staff", subject="admin-1", roles=frozenset({Role.admin}))
OFFICER = Principal(kind="staff", subject="officer-1", roles=frozenset({Role.case_officer}))


async def applicant_with_application(intake: Service, auth: Auth) -> tuple[str, str]:
    officer = auth("case_officer")
    applicant = await register(intake, officer)
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant["id"], "direction": "beekeeping"},
        headers=officer,
    )
    assert application.status_code == 201, application.text
    return applicant["id"], application.json()["id"]


async def test_delivery_marks_the_person_and_refuses_a_second_benefit(
    intake: Service, auth: Auth
) -> None:
    applicant_id, application_id = await applicant_with_application(intake, auth)
    async with intake.runtime.sessionmaker() as session:
        await check_can_benefit(
            session, uuid.UUID(applicant_id), principal=OFFICER, override_reason=None
        )

    envelope = await publish(intake, delivery(application_id))
    first = await eventually(lambda: benefited_at(intake, applicant_id), "benefited_at")
    assert first == envelope.time

    async with intake.runtime.sessionmaker() as session:
        with pytest.raises(AlreadyBenefited) as refused:
            await check_can_benefit(
                session, uuid.UUID(applicant_id), principal=OFFICER, override_reason=None
            )
    problem = refused.value
    assert (problem.status, problem.type, problem.errors) == (409, "already-benefited", [])
    assert problem.extras == {"benefited_at": first}

    # A later delivery to the same person keeps the first date.
    await publish(intake, delivery(application_id))
    await publish(intake, delivery(uuid.uuid4()))  # an unknown participant is skipped
    marker_applicant, marker_application = await applicant_with_application(intake, auth)
    await publish(intake, delivery(marker_application))
    await eventually(lambda: benefited_at(intake, marker_applicant), "the later events")
    assert await benefited_at(intake, applicant_id) == first

    summary = await intake.client.get("/v1/applicants?benefited=true", headers=auth("analyst"))
    assert {a["id"] for a in summary.json()["items"]} == {applicant_id, marker_applicant}
    assert summary.json()["items"][0]["benefited_at"] is not None


async def test_admin_override_is_audited(intake: Service, auth: Auth) -> None:
    applicant_id, application_id = await applicant_with_application(intake, auth)
    await publish(intake, delivery(application_id))
    await eventually(lambda: benefited_at(intake, applicant_id), "benefited_at")

    async with intake.runtime.sessionmaker() as session, session.begin():
        with pytest.raises(Forbidden):
            await check_can_benefit(
                session, uuid.UUID(applicant_id), principal=OFFICER, override_reason="needs it"
            )
        with pytest.raises(AlreadyBenefited):  # a blank reason is no reason
            await check_can_benefit(
                session, uuid.UUID(applicant_id), principal=ADMIN, override_reason="  "
            )
        await check_can_benefit(
            session,
            uuid.UUID(applicant_id),
            principal=ADMIN,
            override_reason="Assets lost in the 2026 flood",
        )
    async with intake.runtime.sessionmaker() as session:
        entries = (
            await session.execute(
                select(AuditEntry.principal, AuditEntry.reason).where(
                    AuditEntry.action == "benefit_override"
                )
            )
        ).all()
    assert [tuple(e) for e in entries] == [("staff:admin-1", "Assets lost in the 2026 flood")]


async def test_a_partner_override_is_forbidden_even_before_any_benefit(
    intake: Service, auth: Auth
) -> None:
    applicant_id, _ = await applicant_with_application(intake, auth)
    partner = Principal(kind="partner", subject="key-1", partner_id=uuid.uuid4())
    async with intake.runtime.sessionmaker() as session:
        with pytest.raises(Forbidden):
            await check_can_benefit(
                session, uuid.UUID(applicant_id), principal=partner, override_reason="please"
            )


async def test_a_merged_duplicate_carries_the_benefit(intake: Service, auth: Auth) -> None:
    """Merging into a person who never benefited keeps the other's benefit: no second chance
    through a second registration."""
    officer = auth("case_officer")
    drop_id, application_id = await applicant_with_application(intake, auth)
    await publish(intake, delivery(application_id))
    when = await eventually(lambda: benefited_at(intake, drop_id), "benefited_at")
    keep = await register(intake, officer, last_name="Memmedova", first_name="Aygun")
    assert keep["benefited_at"] is None

    (flag,) = (await intake.client.get("/v1/duplicates", headers=officer)).json()["items"]
    merged = await intake.client.post(
        f"/v1/duplicates/{flag['id']}/merge",
        json={"keep_id": keep["id"]},
        headers={**officer, "If-Match": f'"{flag["version"]}"'},
    )
    assert merged.status_code == 200, merged.text
    assert await benefited_at(intake, keep["id"]) == when
    async with intake.runtime.sessionmaker() as session:
        for applicant_id in (keep["id"], drop_id):
            with pytest.raises(AlreadyBenefited):
                await check_can_benefit(
                    session, uuid.UUID(applicant_id), principal=OFFICER, override_reason=None
                )
