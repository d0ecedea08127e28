"""End to end: the four services as real processes (as `make run` starts them), with real
PostgreSQL and NATS, one participant's journey over HTTP, and a scan of every event and log line
for personal data."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import nats
import pytest

from shared.devkeys import mint_token
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import PRODUCERS, stream_name
from tests.conftest import LaunchServices
from tests.journey_support import (
    APPLICANT,
    check_follow_up,
    check_journey,
    follow_up,
    run_journey,
)

pytestmark = pytest.mark.e2e

PERSONAL = [APPLICANT[k] for k in ("fin", "first_name", "last_name", "birth_date", "phone")] + [
    "40.6821",  # the visit's coordinates: where the person lives and works
    "46.3606",
]


async def test_journey_across_running_services(
    launch_services: LaunchServices, dev_keys: Path, nats_server, nats_namespace: str
) -> None:
    services = await launch_services()
    clients = {
        name: httpx.AsyncClient(base_url=service.url, timeout=10)
        for name, service in services.items()
    }
    try:
        for name, client in clients.items():
            assert (await client.get("/readyz")).status_code == 200
            paths = (await client.get("/openapi.json")).json()["paths"]
            assert any(path.startswith("/v1/") for path in paths), name

        def token(role: str, subject: str) -> dict[str, str]:
            return {
                "Authorization": f"Bearer {mint_token(dev_keys, roles=[role], subject=subject)}"
            }

        result = await run_journey(
            clients["intake"], clients["plans"], clients["assets"], clients["monitoring"], token
        )
        check_journey(result)
        check_follow_up(await follow_up(clients["assets"], clients["monitoring"], token, result))
    finally:
        for client in clients.values():
            await client.aclose()

    # No personal data in any event on any stream ...
    nc = await nats.connect(nats_server.url, **nats_server.identity(OPERATOR).connect_options())
    try:
        js = nc.jetstream()
        events = []
        for producer in PRODUCERS:
            stream = stream_name(nats_namespace, producer)
            info = await js.stream_info(stream)
            if info.state.messages == 0:
                continue
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                events.append(((await js.get_msg(stream, sequence)).data or b"").decode())
    finally:
        await nc.close()
    assert len(events) >= len(result["expected_types"])
    assert {json.loads(e)["type"] for e in events} >= {
        *result["expected_types"],
        "monitoring.visit.reported",
        "monitoring.item.status_reported",
        "monitoring.case.flagged",
    }
    # ... nor in any log line of any service.
    logs = [service.log.read_text() for service in services.values()]
    for personal in PERSONAL:
        assert isinstance(personal, str)
        assert not any(personal in text for text in events), personal
        assert not any(personal in text for text in logs), personal
