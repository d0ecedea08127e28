"""A run: the stack, the journeys with many concurrent clients, the faults in turn while they
are in flight, the poisoned event, and the counts at the end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults import checks, journey, poison
from tests.faults.client import Api, GaveUp
from tests.faults.journey import BUDGETS_PATH, Journey
from tests.faults.stack import Stack

QUIET_SECONDS = 120.0  # for the last events to land before the counts are final
Fault = tuple[str, Callable[[Stack], Awaitable[None]]]


def _kill(service: str) -> Fault:
    return f"SIGKILL {service}", lambda stack: stack.kill_and_restart(service)


async def _nats(stack: Stack) -> None:
    stack.kill_and_restart_nats()


async def _postgres(stack: Stack) -> None:
    stack.stop_and_restart_postgres()


FAULTS: list[Fault] = [
    _kill("intake"),
    _kill("plans"),
    _kill("assets"),
    _kill("monitoring"),
    ("SIGKILL nats-server", _nats),
    ("PostgreSQL fast stop", _postgres),
]


@dataclass
class Outcome:
    journeys: int
    lost: int = 0
    duplicated: int = 0
    dead_lettered: int = 0
    replayed: int = 0
    overspent: int = 0
    problems: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            (self.lost, self.duplicated, self.dead_lettered, self.replayed, self.overspent)
            == (0, 0, 1, 1, 0)
        ) and not self.problems

    def line(self) -> str:
        return (
            f"journeys={self.journeys} lost={self.lost} duplicated={self.duplicated} "
            f"dead_lettered={self.dead_lettered} replayed={self.replayed} "
            f"overspent={self.overspent}"
        )


class Run:
    def __init__(self, stack: Stack, api: Api, journeys: int, concurrency: int) -> None:
        self.stack = stack
        self.api = api
        self.journeys = [Journey(number) for number in range(1, journeys + 1)]
        self.concurrency = concurrency
        self.started = 0
        self.finished = 0
        self.faults_done = asyncio.Event()
        self.progress = asyncio.Condition()  # notified when a journey starts or ends
        self.fault_log: list[str] = []
        self.poisoned = self.journeys[len(self.journeys) // 4]
        self.cure: asyncio.Task[int] | None = None
        self.begun = time.monotonic()
        self.flowed_on = 0  # journeys that ended while the poisoned event was dead-lettered

    def log(self, message: str) -> None:
        print(f"faults: {time.monotonic() - self.begun:6.1f}s {message}", flush=True)

    async def drive(self) -> None:
        """Journeys through a semaphore; the last `concurrency` start only after every fault,
        so the faults fall among journeys in flight."""
        slots = asyncio.Semaphore(self.concurrency)
        tasks = [asyncio.create_task(self._faults())]
        for item in self.journeys:
            if item.number > len(self.journeys) - self.concurrency:
                await self.faults_done.wait()
            await slots.acquire()
            await self._advance("started")
            tasks.append(asyncio.create_task(self._one(item, slots)))
        await asyncio.gather(*tasks)
        if self.cure is not None:
            await self.cure

    async def _one(self, item: Journey, slots: asyncio.Semaphore) -> None:
        hook = self._poison if item is self.poisoned else None
        try:
            await journey.run(self.api, item, hook)
        except (GaveUp, AssertionError, KeyError) as error:
            item.error = f"{type(error).__name__}: {error}"
            self.log(f"journey {item.number} lost: {item.error}")
        finally:
            await self._advance("finished")
            slots.release()

    async def _advance(self, counter: str) -> None:
        async with self.progress:
            setattr(self, counter, getattr(self, counter) + 1)
            self.progress.notify_all()

    async def _until(self, condition: Callable[[], bool]) -> None:
        async with self.progress:
            await self.progress.wait_for(condition)

    async def _faults(self) -> None:
        spread = max(1, len(self.journeys) - self.concurrency)
        for index, (name, fault) in enumerate(FAULTS):
            threshold = max(1, (index + 1) * spread // (len(FAULTS) + 1))

            def reached(at: int = threshold) -> bool:
                return self.started >= at

            await self._until(reached)
            in_flight = self.started - self.finished
            begun = time.monotonic()
            await fault(self.stack)
            took = time.monotonic() - begun
            entry = f"{name} with {in_flight} journeys in flight, back in {took:.1f}s"
            self.fault_log.append(entry)
            self.log(entry)
        self.faults_done.set()

    async def _poison(self, participant_id: str) -> None:
        await poison.poison(self.stack, participant_id)
        self.log(f"poisoned journey {self.poisoned.number}'s enrolment in plans")
        self.cure = asyncio.create_task(self._cure())

    async def _cure(self) -> int:
        """Once dead-lettered, the fix goes in only after other journeys have moved on."""
        letter = await poison.wait_for_dead_letter(self.stack, self.api.patience)
        finished = self.finished
        self.log(f"dead-lettered {letter.event_type} after {letter.attempts} attempts")
        last = len(self.journeys) - 1  # all but the poisoned one
        await self._until(lambda: self.finished > finished or self.finished >= last)
        self.flowed_on = self.finished - finished
        self.log(f"{self.flowed_on} journeys ended while it waited; deploying the fix")
        await poison.deploy_fix(self.stack)
        replayed = await poison.replay(self.stack, letter)
        self.log(f"replayed dead letter {letter.sequence}: {replayed}")
        return 1 if replayed else 0

    async def count(self, outcome: Outcome) -> None:
        """The counts, once the last events have landed (or QUIET_SECONDS have passed)."""
        deadline = time.monotonic() + QUIET_SECONDS
        while True:
            findings = checks.Findings()
            for item in self.journeys:
                findings.expect("lost", item.done, f"journey {item.number}: {item.error}")
            await checks.effects(self.stack, self.journeys, findings)
            budgets = await checks.money(self.stack, findings)
            await checks.read_models(self.stack, findings)
            budget_report = await self._report("budgets")
            checks.report_budgets(findings, budget_report, budgets)
            funnel = await self._report("funnel")
            checks.report_funnel(findings, funnel, len(self.journeys))
            if not any(findings.problems.values()) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        self.log("counted")
        outcome.lost = findings.number("lost")
        outcome.duplicated = findings.number("duplicated")
        outcome.overspent = findings.number("overspent")
        for kind, problems in findings.problems.items():
            outcome.problems += [f"{kind}: {what}" for what in list(problems.values())[:20]]
        if self.flowed_on == 0 and len(self.journeys) > 1:
            outcome.problems.append("no journey ended while the poisoned event waited")
        await self._rebuild(outcome)
        waiting, ever = await poison.dead_letters(self.stack)
        outcome.dead_lettered = ever
        if waiting:
            outcome.problems.append(f"{len(waiting)} dead letters still waiting")

    async def _report(self, name: str) -> dict[str, Any]:
        response = await self.api.get("monitoring", f"/v1/reports/{name}", "analyst")
        report: dict[str, Any] = response.json()
        return report

    async def _rebuild(self, outcome: Outcome) -> None:
        """`make rebuild-read-models` with monitoring stopped gives the same reports."""
        before = {name: await self._report(name) for name in checks.REPORTS}
        await self.stack.stop_service("monitoring")
        done = await asyncio.to_thread(
            self.stack.run_python, "monitoring", "-m", "monitoring.readmodels.rebuild"
        )
        await self.stack.start_service("monitoring")
        if done.returncode != 0:
            outcome.problems.append(f"rebuild failed: {done.stderr[-500:]}")
            return
        self.log("rebuilt the read models")
        after = {name: await self._report(name) for name in checks.REPORTS}
        for name in checks.REPORTS:
            if before[name] != after[name]:
                outcome.problems.append(f"mismatch: report {name} differs after the rebuild")


async def run(journeys: int, concurrency: int, folder: Path) -> Outcome:
    begun = time.monotonic()
    outcome = Outcome(journeys=journeys)
    stack = Stack(folder)
    try:
        await stack.start()
        api = Api({name: stack.url(name) for name in stack.ports}, stack.keys)
        try:
            await api.create("assets", BUDGETS_PATH, "admin", journey.budget(journeys))
            driven = Run(stack, api, journeys, concurrency)
            await driven.drive()
            driven.log(f"{journeys} journeys ended")
            outcome.faults = driven.fault_log
            outcome.replayed = driven.cure.result() if driven.cure else 0
            await driven.count(outcome)
            driven.log(f"{api.retries} calls retried through the faults")
        finally:
            await api.close()
    finally:
        stack.stop()
    outcome.seconds = time.monotonic() - begun
    return outcome
