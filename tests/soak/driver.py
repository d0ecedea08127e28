"""The soak's driver: journeys started on a fixed schedule (not as fast as possible), and the
latency of every request by the route it hit."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from shared.cli import RunningService
from shared.devkeys import mint_token
from tests.journey_support import (
    APPLICANT,
    Headers,
    open_state_budget,
    report_first_visit,
    run_journey,
)

SOAK_ROUND = "soak"
# Enough for any soak: each journey's order holds 721.00.
SOAK_ALLOCATION = "900000000.00"
REQUEST_TIMEOUT = 30.0


class Routes:
    """A path's route template among a service's OpenAPI paths: /v1/visits/7f.../report is
    /v1/visits/{visit_id}/report. Literal segments win: /v1/applicants/search is not
    /v1/applicants/{applicant_id}."""

    def __init__(self, templates: Iterable[str]) -> None:
        split = [(template, template.strip("/").split("/")) for template in templates]
        self._templates = sorted(split, key=lambda t: sum(p.startswith("{") for p in t[1]))

    def template(self, path: str) -> str:
        parts = path.strip("/").split("/")
        for template, template_parts in self._templates:
            if len(parts) == len(template_parts) and all(
                t.startswith("{") or t == p for t, p in zip(template_parts, parts, strict=True)
            ):
                return template
        return f"unknown {path}"


@dataclass
class Recorder:
    """Seconds per "service METHOD template", and the answers 5xx among them."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def record(self, route: str, seconds: float, status: int) -> None:
        self.latencies[route].append(seconds)
        if status >= 500:
            self.server_errors[route] += 1


def timed_client(service: RunningService, routes: Routes, recorder: Recorder) -> httpx.AsyncClient:
    """A client whose every answer is recorded under its route, the body read included."""

    async def started(request: httpx.Request) -> None:
        request.extensions["soak_started"] = time.perf_counter()

    async def answered(response: httpx.Response) -> None:
        await response.aread()
        request = response.request
        seconds = time.perf_counter() - request.extensions["soak_started"]
        route = f"{service.name} {request.method} {routes.template(request.url.path)}"
        recorder.record(route, seconds, response.status_code)

    return httpx.AsyncClient(
        base_url=service.url,
        timeout=REQUEST_TIMEOUT,
        event_hooks={"request": [started], "response": [answered]},
    )


def token_maker(keys: Path) -> Callable[[str, str], Headers]:
    """Tokens as run_journey asks for them, each minted once (they last 8 hours)."""

    @functools.cache
    def token(role: str, subject: str) -> Headers:
        return {"Authorization": f"Bearer {mint_token(keys, roles=[role], subject=subject)}"}

    return token


def applicant(number: int) -> dict[str, Any]:
    """The journey's applicant with a FIN, birth date and phone of its own: a shared birth date
    and name would make every registration a possible duplicate of all before it."""
    born = date(1970, 1, 1) + timedelta(days=number % 10000)
    return {
        **APPLICANT,
        "fin": f"S{number:06d}",
        "birth_date": born.isoformat(),
        "phone": f"+99450{2000000 + number % 7000000}",
    }


def serials(number: int) -> dict[str, list[str]]:
    return {
        "beehive": [f"SOAK-{number}-H1", f"SOAK-{number}-H2"],
        "honey-extractor": [f"SOAK-{number}-X1"],
    }


@dataclass
class Phase:
    """What one run of the schedule did."""

    journeys: int = 0
    failures: list[str] = field(default_factory=list)
    journey_seconds: list[float] = field(default_factory=list)
    most_in_flight: int = 0
    recorder: Recorder = field(default_factory=Recorder)


@contextlib.asynccontextmanager
async def clients(
    services: Mapping[str, RunningService], routes: Mapping[str, Routes], recorder: Recorder
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    made = {name: timed_client(s, routes[name], recorder) for name, s in services.items()}
    try:
        yield made
    finally:
        for client in made.values():
            await client.aclose()


async def service_routes(services: Mapping[str, RunningService]) -> dict[str, Routes]:
    found = {}
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
        for name, service in services.items():
            response = await client.get(f"{service.url}/openapi.json")
            response.raise_for_status()
            found[name] = Routes(response.json()["paths"])
    return found


async def open_budget(services: Mapping[str, RunningService], keys: Path) -> None:
    """One state budget for every journey of the soak: a fund's budgets may not overlap."""
    async with httpx.AsyncClient(base_url=services["assets"].url, timeout=30) as assets:
        await open_state_budget(assets, token_maker(keys), SOAK_ROUND, SOAK_ALLOCATION)


async def run_phase(
    services: Mapping[str, RunningService],
    routes: Mapping[str, Routes],
    keys: Path,
    *,
    minutes: float,
    rate: float,
    first_number: int,
    label: str,
) -> Phase:
    """Starts `rate` journeys a minute for `minutes`, each on its schedule whether or not the
    ones before it have finished; returns once every journey has. A journey runs from the
    registration to the handover and the report of the first visit, with its flags."""
    phase = Phase(journeys=max(1, round(minutes * rate)))
    token = token_maker(keys)
    in_flight = 0
    async with clients(services, routes, phase.recorder) as http:

        async def journey(number: int) -> None:
            nonlocal in_flight
            in_flight += 1
            phase.most_in_flight = max(phase.most_in_flight, in_flight)
            started = time.perf_counter()
            try:
                units = serials(number)
                result = await run_journey(
                    http["intake"],
                    http["plans"],
                    http["assets"],
                    http["monitoring"],
                    token,
                    applicant=applicant(number),
                    serials=units,
                    budget_round=None,
                )
                first, second = units["beehive"]
                await report_first_visit(
                    http["assets"],
                    http["monitoring"],
                    token,
                    result,
                    report_id=str(uuid.uuid4()),
                    hives=(first, second),
                )
                phase.journey_seconds.append(time.perf_counter() - started)
            except Exception as error:  # every failure is counted, and the soak goes on
                first_line = (str(error).splitlines() or [""])[0][:200]
                phase.failures.append(f"{type(error).__name__}: {first_line}")
            finally:
                in_flight -= 1

        loop = asyncio.get_running_loop()
        began = loop.time()
        tasks = []
        per_minute = max(1, round(rate))
        for index in range(phase.journeys):
            await asyncio.sleep(max(0.0, began + index * 60 / rate - loop.time()))
            if index and index % per_minute == 0:
                done, failed = len(phase.journey_seconds), len(phase.failures)
                print(f"soak: {label} {index} started, {done} done, {failed} failed", flush=True)
            tasks.append(asyncio.create_task(journey(first_number + index)))
        await asyncio.gather(*tasks)
    return phase
