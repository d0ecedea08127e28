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
from shared.messaging.identities import NatsIdentity
from shared.messaging.jetstream import (
    DEADLETTER,
    PRODUCERS,
    create_stream_if_missing,
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
    stream_sequence: int | None  # of the event on its producer's stream
    event_id: str | None
    event_type: str | None
    data: bytes


async def ensure_deadletter_stream(js: JetStreamContext, namespace: str, replicas: int = 1) -> None:
    """Created by whichever service starts first; only the operator may change it later, so no
    service can shrink or redirect the place where failed events wait."""
    await create_stream_if_missing(js, stream_config(namespace, DEADLETTER, replicas))


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
                stream_sequence=_stream_sequence(headers.get("Nats-Msg-Id", "")),
                event_id=event_id,
                event_type=event_type,
                data=raw.data or b"",
            )
        )
    return letters


class NotReplayable(Exception):
    """The dead letter is not a copy of an event its producer published: it is not replayed."""


async def check_replayable(js: JetStreamContext, namespace: str, letter: DeadLetter) -> None:
    """A dead letter is replayed only if it is byte for byte the message still on its producer's
    stream, at the sequence it names. A service may publish only its own dead letters, but their
    content is its own word: without this check, it could have the operator's replay publish an
    event in another service's name."""
    producer = letter.original_subject.split(".", 1)[0]
    if producer not in PRODUCERS or letter.stream_sequence is None:
        raise NotReplayable(f"dead letter {letter.sequence} names no producer's stream message")
    if not letter.consumer.endswith(f"-from-{producer}"):
        raise NotReplayable(f"dead letter {letter.sequence}: its consumer does not read {producer}")
    try:
        original = await js.get_msg(stream_name(namespace, producer), letter.stream_sequence)
    except NotFoundError:
        raise NotReplayable(
            f"dead letter {letter.sequence}: {producer}'s stream no longer holds the event"
        ) from None
    if (
        original.subject != subject_for(namespace, letter.original_subject)
        or (original.data or b"") != letter.data
    ):
        raise NotReplayable(f"dead letter {letter.sequence} differs from what {producer} published")


def _stream_sequence(msg_id: str) -> int | None:
    """From the dead letter's message id, `dl:<consumer>:<subject>:<stream sequence>`."""
    prefix, _, sequence = msg_id.rpartition(":")
    return int(sequence) if prefix.startswith("dl:") and sequence.isdigit() else None


async def replay(js: JetStreamContext, namespace: str, letter: DeadLetter) -> None:
    """Publish the event again on its original subject, then remove the dead letter."""
    await check_replayable(js, namespace, letter)
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
    identity: NatsIdentity,
    replay_all: bool = False,
) -> int:
    """`dayaq deadletters list|replay`: prints one line per dead letter, or replays them.
    Connects as the operator's identity (`identity`)."""
    nc = await nats.connect(
        nats_url, connect_timeout=5, max_reconnect_attempts=0, **identity.connect_options()
    )
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
        refused = 0
        for letter in chosen:
            try:
                await replay(js, namespace, letter)
            except NotReplayable as error:
                print(f"not replayed: {error}", file=sys.stderr)
                refused += 1
                continue
            print(f"replayed {letter.sequence} ({letter.event_type}) to {letter.original_subject}")
        return 1 if refused else 0
    finally:
        await nc.close()
