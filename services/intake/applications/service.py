"""Applications and enrolment. Functions flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.service import get_applicant
from intake.applications.models import Application, ApplicationStatus
from intake.applications.schemas import ApplicationIn
from shared.auth import Principal
from shared.db import utcnow
from shared.events import ApplicationSubmitted, ParticipantEnrolled
from shared.messaging.outbox import add_event
from shared.problems import InvalidState, NotFound


async def submit_application(
    session: AsyncSession, data: ApplicationIn, principal: Principal
) -> Application:
    applicant = await get_applicant(session, data.applicant_id)
    application = Application(
        applicant_id=applicant.id, partner_id=principal.partner_id, direction=data.direction
    )
    session.add(application)
    await session.flush()
    await add_event(
        session,
        ApplicationSubmitted(
            application_id=application.id,
            applicant_id=applicant.id,
            region=applicant.region,
            categories=applicant.categories,
            direction=application.direction,
            partner_id=application.partner_id,
            submitted_at=application.submitted_at,
        ),
    )
    return application


async def get_application(
    session: AsyncSession, application_id: uuid.UUID, principal: Principal
) -> Application:
    application = await session.get(Application, application_id)
    # A partner sees its own referrals only; another's look exactly like missing ones.
    if application is None or (
        principal.partner_id is not None and application.partner_id != principal.partner_id
    ):
        raise NotFound("application", application_id)
    return application


async def enroll(session: AsyncSession, application: Application) -> Application:
    if application.status != ApplicationStatus.submitted:
        raise InvalidState(application.status)
    applicant = await get_applicant(session, application.applicant_id)
    application.status = ApplicationStatus.enrolled
    application.enrolled_at = utcnow()
    await session.flush()
    await add_event(
        session,
        ParticipantEnrolled(
            participant_id=application.id,
            applicant_id=applicant.id,
            region=applicant.region,
            categories=applicant.categories,
            direction=application.direction,
            partner_id=application.partner_id,
            enrolled_at=application.enrolled_at,
        ),
    )
    return application
