"""Helpers for intake's tests of exclusion proposals: a flag and its resolution as monitoring
announces them, a person with an application, and their proposals."""

from __future__ import annotations

import uuid
from typing import Any

from shared.events import CaseFlagged, FlagResolved
from tests.intake.applicants_support import register
from tests.journey_support import eventually
from tests.service_fixtures import Auth, Service


def flagged(participant_id: str, rule: str = "asset_lost", *actions: str) -> CaseFlagged:
    asked = list(actions) or ["recover_asset", "exclude_from_programme"]
    return CaseFlagged(
        flag_id=uuid.uuid4(),
        participant_id=uuid.UUID(participant_id),
        rule=rule,
        action=asked[0],
        actions=asked,
    )


def resolved(flag: CaseFlagged, resolution: str) -> FlagResolved:
    return FlagResolved(
        flag_id=flag.flag_id,
        participant_id=flag.participant_id,
        rule=flag.rule,
        resolution=resolution,
    )


async def applied(intake: Service, auth: Auth, **person: Any) -> tuple[str, str]:
    """A new applicant's id and their direct application's id."""
    officer = auth("case_officer")
    applicant = await register(intake, officer, **person)
    application = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant["id"], "direction": "beekeeping"},
        headers=officer,
    )
    assert application.status_code == 201, application.text
    return applicant["id"], application.json()["id"]


async def proposals(intake: Service, auth: Auth, applicant_id: str) -> list[dict[str, Any]]:
    response = await intake.client.get(
        f"/v1/exclusion-proposals?applicant_id={applicant_id}", headers=auth("case_officer")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def proposal_in(
    intake: Service, auth: Auth, applicant_id: str, status: str = "pending"
) -> dict[str, Any]:
    """The applicant's proposal once it has `status` (the consumer applies flags in order)."""

    async def found() -> dict[str, Any] | None:
        mine = await proposals(intake, auth, applicant_id)
        return mine[0] if mine and mine[0]["status"] == status else None

    proposal: dict[str, Any] = await eventually(found, f"a {status} exclusion proposal")
    return proposal


async def excluded_rule(intake: Service, auth: Auth, applicant_id: str) -> str | None:
    response = await intake.client.get(
        f"/v1/applicants/{applicant_id}?purpose=case_review", headers=auth("case_officer")
    )
    assert response.status_code == 200, response.text
    rule: str | None = response.json()["excluded_rule"]
    return rule


async def new_application_status(intake: Service, auth: Auth, applicant_id: str) -> str:
    """The status of another direct application of the person (passing not_excluded or not)."""
    response = await intake.client.post(
        "/v1/applications",
        json={"applicant_id": applicant_id, "direction": "poultry"},
        headers=auth("case_officer"),
    )
    assert response.status_code == 201, response.text
    status: str = response.json()["status"]
    return status
