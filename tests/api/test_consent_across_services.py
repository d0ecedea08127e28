"""A person withdraws consent to share with the partner that referred them: at once, the partner
sees nothing of them in any of the four services; staff still do, and consent given again
restores the partner's view. The four services run in one process."""

from __future__ import annotations

from typing import Any

from tests.api.partner_keys_support import referring_partner
from tests.events_support import announced
from tests.journey_support import Headers, eventually, run_journey
from tests.service_fixtures import Auth, Service, StartService

CONSENT_TEXT = "2026-11"


async def partner_views(
    services: dict[str, Service], journey: dict[str, Any], headers: Headers
) -> dict[str, int]:
    """The status of each service's page about the person, as `headers` read it."""
    pages = {
        "intake": f"/v1/applications/{journey['participant_id']}",
        "plans": f"/v1/business-plans/{journey['plan_id']}",
        "assets": f"/v1/orders/{journey['order_id']}",
        "monitoring": f"/v1/cases/{journey['participant_id']}/timeline",
    }
    return {
        name: (await services[name].client.get(url, headers=headers)).status_code
        for name, url in pages.items()
    }


async def change_consent(
    intake: Service, journey: dict[str, Any], partner_id: str, granted: bool, officer: Headers
) -> None:
    response = await intake.client.post(
        f"/v1/applicants/{journey['applicant_id']}/consents",
        json={
            "purpose": "partner_sharing",
            "partner_id": partner_id,
            "granted": granted,
            "how": "signed_form",
            "text_version": CONSENT_TEXT,
        },
        headers=officer,
    )
    assert response.status_code == 201, response.text


async def test_withdrawn_consent_hides_the_person_from_the_partner_in_every_service(
    start_service: StartService, auth: Auth
) -> None:
    services = {
        name: await start_service(name) for name in ("intake", "plans", "assets", "monitoring")
    }
    intake = services["intake"]
    partner_id, partner = await referring_partner(intake, auth)

    def token(role: str, subject: str) -> Headers:
        return auth(role, subject=subject)

    async def key_known_everywhere() -> bool:
        return all(
            [
                (await services[name].client.get(url, headers=partner)).status_code == 200
                for name, url in (
                    ("plans", "/v1/business-plans"),
                    ("assets", "/v1/orders"),
                    ("monitoring", "/v1/visits"),
                )
            ]
        )

    await eventually(key_known_everywhere, "every service to learn the partner's key")
    journey = await run_journey(
        intake.client,
        services["plans"].client,
        services["assets"].client,
        services["monitoring"].client,
        token,
        referrer=partner,
    )
    officer = token("case_officer", "officer-1")
    everywhere_ok = dict.fromkeys(services, 200)
    assert await partner_views(services, journey, partner) == everywhere_ok

    await change_consent(intake, journey, partner_id, granted=False, officer=officer)
    # Intake applies it in the same transaction; the others as soon as the event arrives.
    everywhere_hidden = dict.fromkeys(services, 404)

    async def hidden() -> bool:
        return await partner_views(services, journey, partner) == everywhere_hidden

    await eventually(hidden, "every service to hide the person from the partner")
    # Staff still see them (an admin: a case officer does not read assets' orders).
    assert await partner_views(services, journey, token("admin", "admin-1")) == everywhere_ok
    changed = await announced(intake, "intake.consent.changed")
    assert changed[-1]["data"]["granted"] is False
    assert journey["participant_id"] in changed[-1]["data"]["application_ids"]

    # The change is audited: who changed it, when, and the text the person was shown.
    history = await intake.client.get(
        f"/v1/applicants/{journey['applicant_id']}/consents", headers=officer
    )
    assert history.status_code == 200, history.text
    withdrawal = next(
        c
        for c in history.json()["items"]
        if c["purpose"] == "partner_sharing" and c["granted"] is False
    )
    assert withdrawal["recorded_by"] == "staff:officer-1"
    assert withdrawal["text_version"] == CONSENT_TEXT

    await change_consent(intake, journey, partner_id, granted=True, officer=officer)

    async def shown_again() -> bool:
        return await partner_views(services, journey, partner) == everywhere_ok

    await eventually(shown_again, "every service to show the person to the partner again")
