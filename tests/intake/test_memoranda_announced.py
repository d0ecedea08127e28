"""Memoranda recorded before intake announced them are announced once by a migration, so that
plans' copy is complete."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.events import Envelope, MemorandumRecorded, event_model
from shared.migrations import alembic_config


async def test_memoranda_recorded_before_are_announced_once(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    url = await fresh_database("intake")
    config = alembic_config("intake", url)
    await asyncio.to_thread(command.downgrade, config, "0008")
    partner_id, memorandum_id = uuid.uuid4(), uuid.uuid4()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO partners (id, name, type, created_at, updated_at, version)"
                    " VALUES (:id, 'Həmkarlar İttifaqı', 'trade_union', now(), now(), 1)"
                ),
                {"id": partner_id},
            )
            await connection.execute(
                text(
                    "INSERT INTO partner_memoranda (id, partner_id, number, signed_on,"
                    " valid_from, valid_to, areas, created_at) VALUES (:id, :partner, 'M-1',"
                    " '2025-01-10', '2025-02-01', NULL, ARRAY['trainings', 'monitoring'], now())"
                ),
                {"id": memorandum_id, "partner": partner_id},
            )

        await asyncio.to_thread(command.upgrade, config, "head")
        # Down and up again: nothing is announced twice.
        await asyncio.to_thread(command.downgrade, config, "0008")
        await asyncio.to_thread(command.upgrade, config, "head")

        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT subject, envelope FROM outbox WHERE subject = :type"),
                    {"type": MemorandumRecorded.type},
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1
    envelope = Envelope.model_validate(rows[0].envelope)
    assert envelope.subject == str(memorandum_id)
    assert event_model(envelope) == MemorandumRecorded(
        memorandum_id=memorandum_id,
        partner_id=partner_id,
        areas=["trainings", "monitoring"],
        valid_from=date(2025, 2, 1),
        valid_to=None,
    )
