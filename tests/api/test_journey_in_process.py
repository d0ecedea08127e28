"""The journey with the four services in one process: quick to debug; the same journey runs
against real processes in tests/test_journey.py."""

from __future__ import annotations

from tests.journey_support import check_journey, run_journey
from tests.service_fixtures import Auth, StartService


async def test_one_participant_travels_through_all_four_services(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake")
    plans = await start_service("plans")
    assets = await start_service("assets")
    monitoring = await start_service("monitoring")
    result = await run_journey(
        intake.client,
        plans.client,
        assets.client,
        monitoring.client,
        lambda role, subject: auth(role, subject=subject),
    )
    check_journey(result)
