"""Reads of sessions and enrolments, narrowed to what the caller may see: a partner sees the
sessions it runs, and in them the participants it referred."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from plans.trainings.models import Enrolment, TrainingSession
from shared.auth import Principal
from shared.repository import Repository


class SessionRepository(Repository[TrainingSession]):
    model = TrainingSession
    resource = "training-session"

    async def find(
        self,
        id: uuid.UUID,
        principal: Principal,
        *,
        lock: bool = False,
        options: Sequence[Any] = (),
    ) -> TrainingSession | None:
        if not lock:
            return await super().find(id, principal, options=options)
        # Locked, the row is read again over any copy the session holds: the places counted
        # under the lock must be the row's as it is now (see plans.trainings.service).
        statement = (
            self.query(principal, TrainingSession.id == id)
            .options(*options)
            .with_for_update(of=TrainingSession)
            .execution_options(populate_existing=True)
        )
        row: TrainingSession | None = await self.session.scalar(statement)
        return row


class EnrolmentRepository(Repository[Enrolment]):
    model = Enrolment
    resource = "enrolment"
