"""`dayaq deadletters list|replay`, as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from typing import Any

from shared.db import utcnow
from shared.events import Envelope, ParticipantEnrolled
from shared.messaging.deadletters import dead_letter, ensure_deadletter_stream, list_dead_letters
from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import ensure_streams, stream_name, subject_for
from tests.conftest import NatsConnect


async def dayaq(
    nats_url: str, *args: str, operator_environment: dict[str, str]
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.cli",
        *args,
        env={**os.environ, "NATS_URL": nats_url, **operator_environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_list_and_replay_dead_letters(
    nats_server: Any, nats_namespace: str, nats_connect: NatsConnect
) -> None:
    intake, plans, operator_nc = [
        await nats_connect(identity) for identity in ("intake", "plans", OPERATOR)
    ]
    # The command connects as the operator, with the seed given as for a NATS_URL of one's own.
    seed = nats_server.seed_file(OPERATOR)
    operator = {"DAYAQ_NATS_NKEY_SEED_FILE": str(seed)} if seed else {}
    js, operator_js = intake.jetstream(), operator_nc.jetstream()
    await ensure_streams(js, nats_namespace, "intake")
    await ensure_deadletter_stream(js, nats_namespace)
    envelope = Envelope.wrap(
        ParticipantEnrolled(
            participant_id=uuid.uuid4(),
            applicant_id=uuid.uuid4(),
            region="AZ-BA",
            categories=["idp"],
            direction="sewing",
            enrolled_at=utcnow(),
        )
    )
    data = envelope.model_dump_json().encode()
    published = await js.publish(subject_for(nats_namespace, envelope.type), data)
    await dead_letter(
        plans.jetstream(),
        namespace=nats_namespace,
        consumer="plans-from-intake",
        original_subject=envelope.type,
        stream_sequence=published.seq,
        data=data,
        error="RuntimeError",
        attempts=5,
    )
    (letter,) = await list_dead_letters(operator_js, nats_namespace)

    code, out, _ = await dayaq(
        nats_server.url,
        "deadletters",
        "list",
        "--namespace",
        nats_namespace,
        operator_environment=operator,
    )
    assert code == 0
    assert "1 dead letter(s)" in out
    assert str(envelope.id) in out
    assert "plans-from-intake" in out
    assert "attempts=5" in out

    code, _, err = await dayaq(
        nats_server.url,
        "deadletters",
        "replay",
        "999",
        "--namespace",
        nats_namespace,
        operator_environment=operator,
    )
    assert code == 1
    assert "999" in err

    code, out, _ = await dayaq(
        nats_server.url,
        "deadletters",
        "replay",
        str(letter.sequence),
        "--namespace",
        nats_namespace,
        operator_environment=operator,
    )
    assert code == 0, out
    assert await list_dead_letters(operator_js, nats_namespace) == []
    info = await js.stream_info(stream_name(nats_namespace, "intake"))
    assert info.state.messages == 2
    replayed = await operator_js.get_msg(stream_name(nats_namespace, "intake"), info.state.last_seq)
    assert Envelope.model_validate_json(replayed.data or b"").id == envelope.id
