"""One soak on running services: a warm-up, a sample, the soak itself, a sample; then the figures
as a table, a JSON document and a closing line."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.cli import RunningService
from tests.soak.driver import Phase, open_budget, run_phase, service_routes
from tests.soak.measure import Sample, growth, sample


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least `fraction` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def milliseconds(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
    }


@dataclass
class Report:
    minutes: float
    rate: float
    warm_up: Phase
    soak: Phase
    start: dict[str, Sample]
    end: dict[str, Sample]

    @property
    def errors(self) -> int:
        phases = (self.warm_up, self.soak)
        failed = sum(len(phase.failures) for phase in phases)
        return failed + sum(sum(p.recorder.server_errors.values()) for p in phases)

    @property
    def growth(self) -> dict[str, list[str]]:
        found = {name: growth(self.start[name], self.end[name]) for name in self.start}
        return {name: grown for name, grown in found.items() if grown}

    @property
    def passed(self) -> bool:
        return self.errors == 0 and not self.growth

    def routes(self) -> dict[str, dict[str, float]]:
        recorder = self.soak.recorder
        return {
            route: {
                "count": len(seconds),
                **milliseconds(seconds),
                "server_errors": recorder.server_errors.get(route, 0),
            }
            for route, seconds in sorted(recorder.latencies.items())
        }

    def as_json(self) -> dict[str, Any]:
        phases = {"warm_up": self.warm_up, "soak": self.soak}
        return {
            "minutes": self.minutes,
            "rate_per_minute": self.rate,
            "journeys": self.soak.journeys,
            "errors": self.errors,
            "growth": self.growth,
            "phases": {
                name: {
                    "journeys": phase.journeys,
                    "failures": phase.failures,
                    "most_in_flight": phase.most_in_flight,
                    "journey": milliseconds(phase.journey_seconds or [0.0]),
                }
                for name, phase in phases.items()
            },
            "services": {
                name: {"start": self.start[name].as_json(), "end": self.end[name].as_json()}
                for name in self.start
            },
            "routes": self.routes(),
        }

    def closing_line(self) -> str:
        grown = ",".join(sorted(self.growth)) or "none"
        return (
            f"soak minutes={self.minutes:g} journeys={self.soak.journeys} "
            f"errors={self.errors} growth={grown}"
        )

    def table(self) -> str:
        lines = ["service      rss MiB        fds        sockets    postgres   growth"]
        for name in self.start:
            a, b = self.start[name], self.end[name]
            grown = "; ".join(growth(a, b)) or "none"
            lines.append(
                f"{name:<12} {f'{a.rss_mib:g} -> {b.rss_mib:g}':<14} "
                f"{f'{a.fds} -> {b.fds}':<10} {f'{a.sockets} -> {b.sockets}':<10} "
                f"{f'{a.postgres} -> {b.postgres}':<10} {grown}"
            )
        lines += ["", f"{'route':<58} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'5xx':>4}"]
        for route, figures in self.routes().items():
            lines.append(
                f"{route:<58} {figures['count']:>6} {figures['p50_ms']:>8} "
                f"{figures['p99_ms']:>8} {figures['server_errors']:>4}"
            )
        journey = milliseconds(self.soak.journey_seconds or [0.0])
        lines.append(
            f"\njourney (registration to the first visit's flags): p50 {journey['p50_ms']} ms, "
            f"p99 {journey['p99_ms']} ms; at most {self.soak.most_in_flight} at once"
        )
        for failure in self.warm_up.failures + self.soak.failures:
            lines.append(f"failed: {failure}")
        return "\n".join(lines)


async def soak(
    services: Mapping[str, RunningService],
    server_url: str,
    keys: Path,
    *,
    minutes: float,
    rate: float,
    warm_up_minutes: float,
) -> Report:
    """`server_url`: the PostgreSQL server the services use, to read its pg_stat_activity."""
    routes = await service_routes(services)
    await open_budget(services, keys)
    warm_up = await run_phase(
        services, routes, keys, minutes=warm_up_minutes, rate=rate, first_number=0, label="warm-up"
    )
    start = await sample(services, server_url)
    measured = await run_phase(
        services,
        routes,
        keys,
        minutes=minutes,
        rate=rate,
        first_number=warm_up.journeys,
        label="soak",
    )
    end = await sample(services, server_url)
    return Report(minutes, rate, warm_up, measured, start, end)
