"""Merged duplicates in the read models: intake.applicant.merged moves the merged applicant's
applications to the kept one in application_facts, once however often it is delivered; and the same
from a merge in a running intake, over NATS."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monitoring.readmodels.models import ApplicationFact, TimelineEntry
from shared.events import ApplicantMerged, ApplicationSubmitted, Envelope, ParticipantEnrolled
from tests.conftest import FreshDatabase
from tests.intake.applicants_support import register
from tests.journey_support import eventually
from tests.monitoring.readmodels_support import T0, at, project, row, sessions
from tests.service_fixtures import Auth, StartService

Sessions = async_sessionmaker[AsyncSession]
HOUR = timedelta(hours=1)
KEPT, MERGED, OTHER = (uuid.uuid4() for _ in range(3))


@pytest.fixture
async def facts(fresh_database: FreshDatabase) -> AsyncIterator[Sessions]:
    async with sessions(await fresh_database("monitoring")) as sessionmaker:
        yield sessionmaker


def merge_moving(application_id: uuid.UUID) -> Envelope:
    """MERGED merged into KEPT an hour after T0, moving this application to KEPT."""
    return at(
        ApplicantMerged(
            kept_applicant_id=KEPT,
            merged_applicant_id=MERGED,
            moved_application_ids=[application_id],
            merged_at=T0 + HOUR,
        ),
        T0 + HOUR,
    )


def submitted(application_id: uuid.UUID, applicant_id: uuid.UUID) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=application_id,
        applicant_id=applicant_id,
        region="AZ-GA",
        categories=["martyr_family"],
        direction="sewing",
        submitted_at=T0,
    )


async def applicant_of(facts: Sessions, application_id: uuid.UUID) -> uuid.UUID | None:
    found = await row(facts, ApplicationFact, application_id=application_id)
    assert found is not None
    applicant_id: uuid.UUID | None = found["applicant_id"]
    return applicant_id


async def test_a_merge_moves_only_the_listed_applications_and_twice_is_once(
    facts: Sessions,
) -> None:
    moved, kept_own, unrelated = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await project(
        facts,
        [
            at(submitted(moved, MERGED), T0),
            at(submitted(kept_own, KEPT), T0),
            at(submitted(unrelated, OTHER), T0),
        ],
    )
    merge = merge_moving(moved)
    await project(facts, [merge])
    before = await row(facts, ApplicationFact, application_id=moved)
    await project(facts, [merge])  # a redelivery
    assert await row(facts, ApplicationFact, application_id=moved) == before
    assert before is not None
    # Only the applicant changes: the application's other facts stay.
    assert (before["applicant_id"], before["region"], before["direction"]) == (
        KEPT,
        "AZ-GA",
        "sewing",
    )
    assert before["applied_at"] == T0
    assert await applicant_of(facts, kept_own) == KEPT
    assert await applicant_of(facts, unrelated) == OTHER
    # Not a step of a participant's journey: nothing on the timeline.
    async with facts() as session:
        types = set(await session.scalars(select(TimelineEntry.event_type)))
    assert types == {ApplicationSubmitted.type}


async def test_a_merge_before_the_applications_own_events_still_counts(facts: Sessions) -> None:
    """Events of one application may come after the merge (a rebuild, a redelivery): the merge
    makes the row, and the enrolment, which intake sends with the kept applicant, fills it."""
    moved = uuid.uuid4()
    empty = at(
        ApplicantMerged(kept_applicant_id=KEPT, merged_applicant_id=MERGED, merged_at=T0 + HOUR),
        T0 + HOUR,
    )
    merge = merge_moving(moved)
    await project(facts, [empty, merge])
    assert await applicant_of(facts, moved) == KEPT
    enrolled = ParticipantEnrolled(
        participant_id=moved,
        applicant_id=KEPT,
        region="AZ-GA",
        categories=["martyr_family"],
        direction="sewing",
        enrolled_at=T0 + 2 * HOUR,
    )
    await project(facts, [at(enrolled, T0 + 2 * HOUR), merge])
    found = await row(facts, ApplicationFact, application_id=moved)
    assert found is not None
    assert (found["applicant_id"], found["enrolled_at"], found["region"]) == (
        KEPT,
        T0 + 2 * HOUR,
        "AZ-GA",
    )
    async with facts() as session:
        rows = list(await session.scalars(select(ApplicationFact.application_id)))
    assert rows == [moved]  # the merge without applications made no row


async def test_a_merge_in_intake_reaches_monitorings_facts(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    intake = await start_service("intake")
    officer = auth("case_officer")
    keep = await register(intake, officer)
    drop = await register(intake, officer, last_name="Memmedova", first_name="Aygun")
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": drop["id"], "direction": "sewing"},
        headers=officer,
    )
    assert application.status_code == 201, application.text
    application_id = uuid.UUID(application.json()["id"])

    async def applicant_in_monitoring() -> uuid.UUID | None:
        async with monitoring.runtime.sessionmaker() as session:
            found: uuid.UUID | None = await session.scalar(
                select(ApplicationFact.applicant_id).where(
                    ApplicationFact.application_id == application_id
                )
            )
        return found

    seen = await eventually(applicant_in_monitoring, "the application in monitoring")
    assert seen == uuid.UUID(drop["id"])

    flags = await intake.client.get("/v1/duplicates", headers=officer)
    (flag,) = flags.json()["items"]
    merged = await intake.client.post(
        f"/v1/duplicates/{flag['id']}/merge",
        json={"keep_id": keep["id"]},
        headers={**officer, "If-Match": f'"{flag["version"]}"'},
    )
    assert merged.status_code == 200, merged.text

    async def moved() -> Any:
        return await applicant_in_monitoring() == uuid.UUID(keep["id"])

    await eventually(moved, "the application to count for the kept applicant")
