"""A person's right to see what is held about them: each service's part of the export.

Intake answers a person's access request; it gathers the other services' parts from
`GET /v1/subject-access/<service>?application_id=...` (the same admin's token), since only intake
knows which applications are the person's. Each service passes `subject_access_router` its own
`gather`, which returns its records about the applications by kind; the adverse decisions it
recorded (shared/decisions.py) are added here, so that no service can leave them out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Admin
from shared.db import SessionDep
from shared.decisions import decisions_about
from shared.problems import problem_responses

log = logging.getLogger(__name__)

Gather = Callable[[AsyncSession, list[uuid.UUID]], Awaitable[dict[str, list[dict[str, Any]]]]]
"""A service's records about these applications, by kind (e.g. "business_plans"), as JSON."""

MAX_APPLICATIONS = 100
# Inside the cluster only: intake gathers the parts there; the ingress does not publish it.
PREFIX = "/v1/subject-access"


class SubjectAccessPart(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service": "plans",
                    "application_ids": ["5f0c1d2e-8b7a-4c3d-9e1f-2a3b4c5d6e7f"],
                    "records": {
                        "business_plans": [
                            {"id": "0b6f3c2e-4a51-4d8e-9f3a-2c1d5e7a9b10", "status": "rejected"}
                        ],
                        "adverse_decisions": [
                            {"kind": "plan_rejected", "reason": "no_market"},
                        ],
                    },
                }
            ]
        }
    )

    service: str
    application_ids: list[uuid.UUID]
    records: dict[str, list[dict[str, Any]]] = Field(
        description="Everything this service holds about the applications, by kind"
    )


def subject_access_router(service: str, gather: Gather) -> APIRouter:
    router = APIRouter(prefix=f"{PREFIX}/{service}", tags=["subject-access"])

    @router.get(
        "",
        response_model=SubjectAccessPart,
        summary=f"What {service} holds about a person's applications",
        description="This service's part of a person's access request, gathered by intake. "
        "Admins only; every call is logged with the caller and the number of records.",
        responses=problem_responses(401, 403, 422),
    )
    async def subject_access(
        session: SessionDep,
        principal: Admin,
        application_id: Annotated[
            list[uuid.UUID], Query(min_length=1, max_length=MAX_APPLICATIONS)
        ],
    ) -> SubjectAccessPart:
        ids = list(dict.fromkeys(application_id))
        records = await gather(session, ids)
        records["adverse_decisions"] = [
            dict(row._mapping) for row in await decisions_about(session, ids)
        ]
        # Ids and counts only: the audit trail must not become a copy of the data.
        log.info(
            "subject access: %s read %d record(s) about %d application(s)",
            principal.id,
            sum(len(rows) for rows in records.values()),
            len(ids),
        )
        return SubjectAccessPart(service=service, application_ids=ids, records=records)

    return router
