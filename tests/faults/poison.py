"""One poisoned event: plans cannot apply one participant's `intake.participant.enrolled`.

The poison stands for a bug that breaks a handler for one event only: a trigger on plans' own
table refuses that participant's plan, so the handler fails on every attempt. The consumer
retries, then dead-letters it while every other event flows on. "The fix" drops the trigger;
the operator then replays the dead letter with `dayaq deadletters replay`, and the plan opens
once (plans' inbox keeps every other consumer of the replayed event from applying it twice).
"""

from __future__ import annotations

import asyncio
import uuid

import nats
from nats.js.errors import NotFoundError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.messaging.deadletters import DeadLetter, list_dead_letters
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import DEADLETTER, stream_name
from tests.faults.stack import Stack

CONSUMER = "plans-from-intake"
EVENT_TYPE = "intake.participant.enrolled"


async def _plans_sql(stack: Stack, *statements: str) -> None:
    engine = create_async_engine(stack.database_url("plans"), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def poison(stack: Stack, participant_id: str) -> None:
    """From now on plans fails on this participant's enrolment, however often it tries."""
    participant = uuid.UUID(participant_id)  # only a UUID goes into the statement
    await _plans_sql(
        stack,
        "CREATE FUNCTION faults_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.participant_id = '{participant}' THEN RAISE EXCEPTION 'poisoned'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER faults_poison BEFORE INSERT ON business_plans "
        "FOR EACH ROW EXECUTE FUNCTION faults_poison()",
    )


async def deploy_fix(stack: Stack) -> None:
    await _plans_sql(
        stack,
        "DROP TRIGGER faults_poison ON business_plans",
        "DROP FUNCTION faults_poison()",
    )


async def dead_letters(stack: Stack) -> tuple[list[DeadLetter], int]:
    """The dead letters waiting, and how many were ever written (replayed ones are deleted)."""
    nc = await nats.connect(stack.nats.url, **stack.nats.identity(OPERATOR).connect_options())
    try:
        js = nc.jetstream()
        waiting = await list_dead_letters(js, "")
        try:
            info = await js.stream_info(stream_name("", DEADLETTER))
        except NotFoundError:
            return waiting, 0
        return waiting, info.state.last_seq
    finally:
        await nc.close()


async def wait_for_dead_letter(stack: Stack, patience: float) -> DeadLetter:
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            waiting, _ = await dead_letters(stack)
        except Exception:  # nats-server may be down for its own fault
            waiting = []
        if waiting:
            return waiting[0]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the poisoned event was never dead-lettered")
        await asyncio.sleep(0.5)


async def replay(stack: Stack, letter: DeadLetter) -> bool:
    """`dayaq deadletters replay <sequence>`, as the operator runs it after the fix."""
    done = await asyncio.to_thread(
        stack.run_python,
        "plans",
        "-m",
        "shared.cli",
        "deadletters",
        "replay",
        str(letter.sequence),
        "--data-dir",
        str(stack.folder),
        env={"NATS_URL": stack.nats.url},
    )
    return done.returncode == 0 and f"replayed {letter.sequence}" in done.stdout
