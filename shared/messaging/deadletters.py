"""Dead letters: events a consumer could not apply within its attempt limit.

They wait in one stream (`DEADLETTER`, subjects `deadletter.<consumer>`) with the original subject,
the consumer, the error and the attempt count in headers. An operator lists them and replays one
(or all) after fixing the cause: replaying publishes the event again on its original subject under
a new message id; every consumer's inbox keeps it applied once.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.events import Envelope
from shared.messaging.jetstream import (
    DEADLETTER,
    ensure_stream,
    stream_config,
    stream_name,
    subject_for,
)

H_SUBJECT = "Dayaq-Original-Subject"
H_CONSUMER = "Dayaq-Consumer"
H_ERROR = "Dayaq-Error"
H_ATTEMPTS = "Dayaq-Attempts"


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    consumer: str
    original_subject: str
    error: str
    attempts: int
    event_id: str | None
    event_type: str | None
    data: bytes


async def ensure_deadletter_stream(js: JetStreamContext, namespace: str, replicas: int = 1) -> None:
    await ensure_stream(js, stream_config(namespace, DEADLETTER, replicas))


async def dead_letter(
    js: JetStreamContext,
    *,
    namespace: str,
    consumer: str,
    original_subject: str,
    stream_sequence: int,
    data: bytes,
    error: str,
    attempts: int,
) -> None:
    await js.publish(
        subject_for(namespace, f"{DEADLETTER}.{consumer}"),
        data,
        headers={
            # One dead letter per failed stream message, however often this is retried.
            "Nats-Msg-Id": f"dl:{consumer}:{original_subject}:{stream_sequence}",
            H_SUBJECT: original_subject,
            H_CONSUMER: consumer,
            H_ERROR: error.replace("\n", " ")[:500],
            H_ATTEMPTS: str(attempts),
        },
    )


async def list_dead_letters(js: JetStreamContext, namespace: str) -> list[DeadLetter]:
    stream = stream_name(namespace, DEADLETTER)
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return []
    letters = []
    if info.state.messages == 0:
        return []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            raw = await js.get_msg(stream, sequence)
        except NotFoundError:
            continue  # replayed and removed
        headers = raw.headers or {}
        event_id = event_type = None
        with contextlib.suppress(ValueError):
            envelope = Envelope.model_validate_json(raw.data or b"")
            event_id, event_type = str(envelope.id), envelope.type
        letters.append(
            DeadLetter(
                sequence=sequence,
                consumer=headers.get(H_CONSUMER, ""),
                original_subject=headers.get(H_SUBJECT, ""),
                error=headers.get(H_ERROR, ""),
                attempts=int(headers.get(H_ATTEMPTS, "0")),
                event_id=event_id,
                event_type=event_type,
                data=raw.data or b"",
            )
        )
    return letters


async def replay(js: JetStreamContext, namespace: str, letter: DeadLetter) -> None:
    """Publish the event again on its original subject, then remove the dead letter."""
    await js.publish(
        subject_for(namespace, letter.original_subject),
        letter.data,
        headers={"Nats-Msg-Id": f"replay:{letter.consumer}:{letter.sequence}"},
    )
    await js.delete_msg(stream_name(namespace, DEADLETTER), letter.sequence)


async def deadletter_command(
    nats_url: str,
    namespace: str,
    action: str,
    *,
    sequences: Sequence[int] = (),
    replay_all: bool = False,
) -> int:
    """`dayaq deadletters list|replay`: prints one line per dead letter, or replays them."""
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        letters = await list_dead_letters(js, namespace)
        if action == "list":
            print(f"{len(letters)} dead letter(s)")
            for letter in letters:
                print(
                    f"{letter.sequence}\t{letter.consumer}\t{letter.event_type or '?'}\t"
                    f"{letter.event_id or '?'}\tattempts={letter.attempts}\t{letter.error}"
                )
            return 0
        wanted = set(sequences)
        chosen = letters if replay_all else [x for x in letters if x.sequence in wanted]
        missing = wanted - {letter.sequence for letter in chosen}
        if missing or not chosen:
            print(f"no dead letter with sequence {sorted(missing) or 'given'}", file=sys.stderr)
            return 1
        for letter in chosen:
            await replay(js, namespace, letter)
            print(f"replayed {letter.sequence} ({letter.event_type}) to {letter.original_subject}")
        return 0
    finally:
        await nc.close()
