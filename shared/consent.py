"""A person's consent to share with the partner that referred them, as every service applies it.

Intake records consent and announces each change (`intake.consent.changed`); each service keeps
the withdrawals in its own `consent_withdrawals` table (`apply_sharing`, in the consumer's
transaction, or in intake's own) and `shared.repository` hides from a partner every row of an
application whose person withdrew consent to share with it (`OwnedBy(..., application=...)`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import SQLCoreOperations

from shared.events import ConsentChanged, Envelope
from shared.tables import SHARED_TABLES

WITHDRAWALS = SHARED_TABLES.consent_withdrawals
PARTNER_SHARING = "partner_sharing"


async def apply_sharing(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    application_ids: Sequence[uuid.UUID],
    granted: bool,
    at: datetime,
) -> None:
    """Withdrawn: the partner stops seeing these applications' rows; granted again: it sees them."""
    if not application_ids:
        return
    if granted:
        await session.execute(
            delete(WITHDRAWALS).where(
                WITHDRAWALS.c.partner_id == partner_id,
                WITHDRAWALS.c.application_id.in_(list(application_ids)),
            )
        )
        return
    await session.execute(
        insert(WITHDRAWALS)
        .values(
            [
                {"application_id": application_id, "partner_id": partner_id, "withdrawn_at": at}
                for application_id in application_ids
            ]
        )
        .on_conflict_do_nothing()
    )


async def on_consent_changed(
    session: AsyncSession, event: ConsentChanged, envelope: Envelope
) -> None:
    """The handler every other service registers for `intake.consent.changed`."""
    if event.purpose != PARTNER_SHARING or event.partner_id is None:
        return
    await apply_sharing(
        session,
        partner_id=event.partner_id,
        application_ids=event.application_ids,
        granted=event.granted,
        at=event.changed_at,
    )


def sharing_stands(
    application: SQLCoreOperations[Any], partner_id: uuid.UUID
) -> ColumnElement[bool]:
    """The condition that the person behind `application` has not withdrawn consent to share
    with `partner_id`."""
    return ~exists(
        select(WITHDRAWALS.c.application_id).where(
            WITHDRAWALS.c.application_id == application,
            WITHDRAWALS.c.partner_id == partner_id,
        )
    )
