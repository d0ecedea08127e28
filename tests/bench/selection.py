"""Selection: 100,000 eligible applications across 60 regions, from the runner taking the job
to the proposed results written, against the floor of PostgreSQL ordering and returning the same
rows (`ORDER BY score DESC, submitted_at, id`)."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pycountry
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.models import Base  # noqa: F401 - registers every table
from intake.selection.models import Selection, SelectionResult, SelectionStatus
from intake.selection.runner import SelectionRunner
from shared.db import create_engine, create_sessionmaker
from tests.bench.database_support import migrated_database
from tests.bench.results import Result, batch
from tests.bench.sizes import size

REGIONS = sorted(s.code for s in pycountry.subdivisions.get(country_code="AZ"))[:60]
CATEGORIES = ["martyr_family", "war_participant", "disability", "unemployed", "idp"]


async def _seed(engine: AsyncEngine, count: int) -> uuid.UUID:
    """One closed round, `count` applicants and their eligible applications, by COPY."""
    rnd = random.Random(7)
    round_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO rounds (id, name, period_start, period_end, status, quotas,"
                " reserved_share, priority_categories, rules, weights, created_at, updated_at,"
                " version) VALUES (:id, 'bench', :start, :end, 'closed', CAST(:quotas AS jsonb),"
                " 0.3, ARRAY['martyr_family','war_participant'], '[]', '{}', now(), now(), 1)"
            ),
            {
                "id": round_id,
                "start": date(2027, 3, 1),
                "end": date(2027, 4, 30),
                "quotas": "{" + ",".join(f'"{r}": {rnd.randint(20, 80)}' for r in REGIONS) + "}",
            },
        )
    async with engine.begin() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        applicants: list[tuple[object, ...]] = []
        applications: list[tuple[object, ...]] = []
        for _ in range(count):
            applicant_id, region = uuid.uuid4(), rnd.choice(REGIONS)
            categories = rnd.sample(CATEGORIES, rnd.randint(1, 2))
            applicants.append(
                (applicant_id, uuid.uuid4().hex, b"-", "Bench", "Person", "person bench",
                 date(1990, 1, 1), region, categories, now, now, 1)
            )  # fmt: skip
            applications.append(
                (uuid.uuid4(), applicant_id, round_id, "staff", "beekeeping", "eligible", region,
                 categories, Decimal(rnd.randint(0, 20000)) / 100,
                 now - timedelta(seconds=rnd.randint(0, 3600)), now, 1, "[]", "[]")
            )  # fmt: skip
        await connection.execute(sa.text("SELECT 1"))  # starts the transaction COPY joins
        await driver.copy_records_to_table(
            "applicants",
            records=applicants,
            columns=["id", "fin_hash", "fin_ciphertext", "first_name", "last_name",
                     "name_folded", "birth_date", "region", "categories", "created_at",
                     "updated_at", "version"],
        )  # fmt: skip
        await driver.copy_records_to_table(
            "applications",
            records=applications,
            columns=["id", "applicant_id", "round_id", "source", "direction", "status", "region",
                     "categories", "score", "submitted_at", "created_at", "version",
                     "assessment", "score_breakdown"],
        )  # fmt: skip
        await connection.execute(sa.text("ANALYZE applications"))
    return round_id


async def run(pg_url: str, nats_url: str, quick: bool) -> list[Result]:
    count = size("BENCH_APPLICATIONS", 100_000, 5_000, quick)
    url = await migrated_database(pg_url, "intake")
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        started = time.perf_counter()
        round_id = await _seed(engine, count)
        seeded = time.perf_counter() - started

        # The floor: PostgreSQL sorts the same rows and hands them over.
        started = time.perf_counter()
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text(
                        "SELECT id, region, score, submitted_at FROM applications"
                        " WHERE round_id = :r AND status = 'eligible'"
                        " ORDER BY score DESC, submitted_at, id"
                    ),
                    {"r": round_id},
                )
            ).all()
        floor = time.perf_counter() - started
        assert len(rows) == count

        # As in the service: the runner takes the queued job under its lock and runs it.
        selection_id = uuid.uuid4()
        async with sessionmaker() as session, session.begin():
            session.add(
                Selection(
                    id=selection_id,
                    round_id=round_id,
                    status=SelectionStatus.queued,
                    requested_by="bench",
                )
            )
        started = time.perf_counter()
        assert await SelectionRunner(engine, sessionmaker).run_pending()
        selection_time = time.perf_counter() - started
        async with sessionmaker() as session:
            selection = await session.get(Selection, selection_id)
            assert selection is not None
            assert selection.status == SelectionStatus.proposed, selection.error
            assert selection.processed == count
            written = await session.scalar(
                sa.select(sa.func.count()).where(SelectionResult.selection_id == selection_id)
            )
            assert written == count
    finally:
        await engine.dispose()
    print(f"selection, {count} eligible applications in {len(REGIONS)} regions")
    print(f"  seeding by COPY                              {seeded:8.3f} s")
    print(f"  floor: SQL ORDER BY score, submitted_at, id  {floor:8.3f} s")
    print(f"  selection: read, rank, write the proposal    {selection_time:8.3f} s")
    print(f"  selection / floor: {selection_time / floor:.2f}x")
    return [
        batch(
            "selection",
            count,
            selection_time,
            floor,
            0.3,
            "applications/s",
            applications=count,
            regions=len(REGIONS),
            floor_is="SQL ORDER BY score DESC, submitted_at, id of the same rows",
        )
    ]
