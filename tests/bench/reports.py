"""Reports: the funnel and the participants-per-year report over a million applications and a
hundred thousand participants (with their handovers and visits), through the service's own
functions, against the floor of PostgreSQL's plain GROUP BY of the same facts."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from monitoring.models import Base  # noqa: F401 - registers every table
from monitoring.reports import service
from monitoring.reports.filters import Filters
from shared import migrations
from shared.db import create_engine, create_sessionmaker
from shared.devstack import create_database

APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "1000000"))
PARTICIPANTS = int(os.environ.get("BENCH_PARTICIPANTS", "100000"))
REPEATS = 3
REGIONS = ["AZ-BA", "AZ-GA", "AZ-SA", "AZ-LA", "AZ-MI", "AZ-SM", "AZ-NX", "AZ-QA"]
DIRECTIONS = ["beekeeping", "cattle", "poultry", "greenhouse", "sewing", "carpentry", "bakery"]
CATEGORIES = ["martyr_family", "war_participant", "disability", "unemployed", "idp"]
PARTNERS = [uuid.UUID(int=0xA000 + i) for i in range(6)]

APPLICATION_COLUMNS = [
    "application_id", "applicant_id", "round_id", "region", "categories", "direction",
    "partner_id", "sex", "age_band", "source", "applied_at", "eligible", "assessed_at",
    "selected_at", "enrolled_at", "plan_approved_at", "plan_total", "delivered_on",
    "delivered_value",
]  # fmt: skip
VISIT_COLUMNS = [
    "visit_id", "participant_id", "month", "due_on", "visited_on", "operating", "income",
    "costs", "jobs", "revision",
]  # fmt: skip


# The applications that never became participants: alike but for their ids and dates, so made by
# PostgreSQL itself; the participants, their handovers and visits come from here by COPY.
OTHERS = """
INSERT INTO application_facts (application_id, applicant_id, round_id, region, categories,
    direction, partner_id, sex, age_band, source, applied_at, eligible, assessed_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
       ('00000000-0000-0000-0000-' || lpad(to_hex(extract(year FROM at)::int), 12, '0'))::uuid,
       (CAST(:regions AS text[]))[1 + n % 8],
       ARRAY[(CAST(:categories AS text[]))[1 + n % 5],
             (CAST(:categories AS text[]))[1 + n / 5 % 5]],
       (CAST(:directions AS text[]))[1 + n % 7],
       CASE WHEN n % 8 < 6 THEN (CAST(:partners AS uuid[]))[1 + n % 8] END,
       CASE WHEN n % 2 = 1 THEN 'female' ELSE 'male' END, (20 + n % 4 * 10)::text || '-'
       || (29 + n % 4 * 10)::text, 'staff', at, n % 4 <> 0,
       at + make_interval(hours => 1 + n % 120)
FROM generate_series(1, :others) AS n,
     LATERAL (SELECT timestamptz '2017-01-01 00:00Z' + make_interval(mins => n % 4204800)) AS t(at)
"""


async def _seed(engine: AsyncEngine) -> None:
    """Applications over eight years; of them PARTICIPANTS enrolled, and most of those go on to
    a plan, a handover and visits."""
    rnd = random.Random(2017)
    start = datetime(2017, 1, 1, tzinfo=UTC)
    applications: list[tuple[object, ...]] = []
    visits: list[tuple[object, ...]] = []
    for i in range(PARTICIPANTS):
        applied_at = start + timedelta(minutes=i * (8 * 365 * 24 * 60) // PARTICIPANTS)
        assessed_at = applied_at + timedelta(hours=rnd.randint(1, 120))
        selected_at = assessed_at + timedelta(days=rnd.randint(5, 60))
        enrolled_at = selected_at + timedelta(days=rnd.randint(0, 3))
        approved_at = plan_total = delivered_on = delivered_value = None
        if rnd.random() < 0.9:
            approved_at = enrolled_at + timedelta(days=rnd.randint(15, 60))
            plan_total = Decimal(rnd.randint(1500, 9000))
            if rnd.random() < 0.9:
                delivered_on = approved_at.date() + timedelta(days=rnd.randint(7, 40))
                delivered_value = plan_total
                visits.extend(_visits(rnd, i, delivered_on))
        applications.append(
            (uuid.UUID(int=i + 1), uuid.UUID(int=APPLICATIONS + i + 1),
             uuid.UUID(int=applied_at.year), REGIONS[i % len(REGIONS)],
             [CATEGORIES[i % 5], CATEGORIES[(i // 5) % 5]], DIRECTIONS[i % len(DIRECTIONS)],
             PARTNERS[i % 8] if i % 8 < len(PARTNERS) else None, "female" if i % 2 else "male",
             f"{20 + i % 4 * 10}-{29 + i % 4 * 10}", "staff", applied_at, True, assessed_at,
             selected_at, enrolled_at, approved_at, plan_total, delivered_on, delivered_value)
        )  # fmt: skip
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(OTHERS),
            {
                "regions": REGIONS,
                "categories": CATEGORIES,
                "directions": DIRECTIONS,
                "partners": PARTNERS,
                "others": APPLICATIONS - PARTICIPANTS,
            },
        )
        driver: Any = (await connection.get_raw_connection()).driver_connection
        await driver.copy_records_to_table(
            "application_facts", records=applications, columns=APPLICATION_COLUMNS
        )
        await driver.copy_records_to_table("visit_facts", records=visits, columns=VISIT_COLUMNS)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.text("VACUUM ANALYZE application_facts"))
        await connection.execute(sa.text("VACUUM ANALYZE visit_facts"))


def _visits(rnd: random.Random, i: int, delivered_on: date) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    operating = True
    for month in (1, 3, 6, 12):
        if rnd.random() < 0.1:
            break
        operating = operating and rnd.random() < 0.92
        due = delivered_on + timedelta(days=30 * month)
        found.append(
            (uuid.UUID(int=(i + 1) * 16 + month), uuid.UUID(int=i + 1), month, due,
             due + timedelta(days=rnd.randint(-3, 15)), operating, Decimal(500), Decimal(200),
             1, 1)
        )  # fmt: skip
    return found


async def _best(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """The fastest of REPEATS runs, and its result."""
    best, result = float("inf"), None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = await work()
        best = min(best, time.perf_counter() - started)
    return best, result


FUNNEL_FLOOR = """
SELECT applied_at IS NOT NULL, eligible, coalesce(selected_at, enrolled_at) IS NOT NULL,
       plan_approved_at IS NOT NULL, delivered_on IS NOT NULL, count(*)
FROM application_facts GROUP BY 1, 2, 3, 4, 5
"""
VISITS_FLOOR = "SELECT month, operating, count(*) FROM visit_facts GROUP BY month, operating"
YEARS_FLOOR = """
SELECT extract(year FROM enrolled_at), count(*) FROM application_facts
WHERE enrolled_at IS NOT NULL AND enrollment_cancelled_at IS NULL GROUP BY 1
"""


async def run(pg_url: str, nats_url: str) -> None:
    database = f"bench_{uuid.uuid4().hex[:8]}"
    await create_database(pg_url, database)
    url = pg_url.rsplit("/", 1)[0] + f"/{database}"
    await asyncio.to_thread(migrations.upgrade, "monitoring", url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        started = time.perf_counter()
        await _seed(engine)
        seeded = time.perf_counter() - started

        async def funnel_floor() -> Any:
            async with engine.connect() as connection:
                rows = (await connection.execute(sa.text(FUNNEL_FLOOR))).all()
                visits = (await connection.execute(sa.text(VISITS_FLOOR))).all()
                return rows, visits

        async def years_floor() -> Any:
            async with engine.connect() as connection:
                return (await connection.execute(sa.text(YEARS_FLOOR))).all()

        async def funnel() -> Any:
            async with sessionmaker() as session:
                return await service.funnel(session, Filters(), suppress=False)

        async def years() -> Any:
            async with sessionmaker() as session:
                return await service.participants_per_year(
                    session, Filters(), by=None, suppress=False
                )

        funnel_floor_time, _ = await _best(funnel_floor)
        funnel_time, funnel_report = await _best(funnel)
        years_floor_time, floor_years = await _best(years_floor)
        years_time, years_report = await _best(years)
        assert funnel_report.stages[0].count == APPLICATIONS
        assert sum(row.count for row in years_report.years) == PARTICIPANTS
        assert {int(y): n for y, n in floor_years} == {
            row.year: row.count for row in years_report.years
        }
    finally:
        await engine.dispose()
    print(f"reports, {APPLICATIONS} applications, {PARTICIPANTS} participants (best of {REPEATS})")
    print(f"  seeding (generate_series and COPY)           {seeded:8.3f} s")
    print(f"  floor: GROUP BY of the funnel's facts        {funnel_floor_time:8.3f} s")
    print(f"  funnel: counts, conversions, median days     {funnel_time:8.3f} s")
    print(f"  floor: GROUP BY year of enrolment            {years_floor_time:8.3f} s")
    print(f"  participants per year and growth             {years_time:8.3f} s")
    print(f"  funnel / floor: {funnel_time / funnel_floor_time:.2f}x")
    print(f"  participants per year / floor: {years_time / years_floor_time:.2f}x")
