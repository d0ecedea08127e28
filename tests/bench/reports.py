"""Reports: the funnel and the participants-per-year report over a million applications, of them
about a hundred thousand participants (with their handovers and visits), through the service's
own functions, against the floor of PostgreSQL's plain GROUP BY of the same facts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from monitoring.models import Base  # noqa: F401 - registers every table
from monitoring.reports import service
from monitoring.reports.filters import Filters
from shared.db import create_engine, create_sessionmaker
from tests.bench.database_support import migrated_database
from tests.bench.results import Result, batch
from tests.bench.sizes import size
from tests.monitoring.programme_support import Facts, generate_facts

# Of the applications, STORIES are generated with their whole story, as the report tests' are
# (about half of them become participants): full and quick sizes.
APPLICATIONS = (1_000_000, 20_000)
STORIES = (200_000, 4_000)
REPEATS = 3
REGIONS = ["AZ-BA", "AZ-GA", "AZ-SA", "AZ-LA", "AZ-MI", "AZ-SM", "AZ-NX", "AZ-QA"]
DIRECTIONS = ["beekeeping", "cattle", "poultry", "greenhouse", "sewing", "carpentry", "bakery"]
CATEGORIES = ["martyr_family", "war_participant", "disability", "unemployed", "idp"]
PARTNERS = [uuid.UUID(int=0xA000 + i) for i in range(6)]


# The applications that never became participants: alike but for their ids and dates.
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


async def _seed(engine: AsyncEngine, applications: int, stories: int) -> Facts:
    """`stories` generated applications (tests/monitoring/programme_support.py) by COPY, with their
    visits; the others, alike but for their ids and dates, by PostgreSQL itself."""
    facts = generate_facts(seed=2017, n=stories)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(OTHERS),
            {
                "regions": REGIONS,
                "categories": CATEGORIES,
                "directions": DIRECTIONS,
                "partners": PARTNERS,
                "others": applications - stories,
            },
        )
        driver: Any = (await connection.get_raw_connection()).driver_connection
        for table, rows in (
            ("application_facts", facts.applications),
            ("visit_facts", facts.visits),
        ):
            await driver.copy_records_to_table(
                table, records=[tuple(row.values()) for row in rows], columns=list(rows[0])
            )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.text("VACUUM ANALYZE application_facts"))
        await connection.execute(sa.text("VACUUM ANALYZE visit_facts"))
    return facts


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


async def run(pg_url: str, nats_url: str, quick: bool) -> list[Result]:
    applications = size("BENCH_APPLICATIONS", *APPLICATIONS, quick)
    stories = size("BENCH_STORIES", *STORIES, quick)
    url = await migrated_database(pg_url, "monitoring")
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        started = time.perf_counter()
        facts = await _seed(engine, applications, stories)
        participants = sum(
            1 for a in facts.applications if a["enrolled_at"] and not a["enrollment_cancelled_at"]
        )
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
        assert funnel_report.stages[0].count == applications
        assert sum(row.count for row in years_report.years) == participants
        assert {int(y): n for y, n in floor_years} == {
            row.year: row.count for row in years_report.years
        }
    finally:
        await engine.dispose()
    print(f"reports, {applications} applications, {participants} participants (best of {REPEATS})")
    print(f"  seeding (generated, COPY, generate_series)   {seeded:8.3f} s")
    print(f"  floor: GROUP BY of the funnel's facts        {funnel_floor_time:8.3f} s")
    print(f"  funnel: counts, conversions, median days     {funnel_time:8.3f} s")
    print(f"  floor: GROUP BY year of enrolment            {years_floor_time:8.3f} s")
    print(f"  participants per year and growth             {years_time:8.3f} s")
    print(f"  funnel / floor: {funnel_time / funnel_floor_time:.2f}x")
    print(f"  participants per year / floor: {years_time / years_floor_time:.2f}x")
    sizes = {"applications": applications, "participants": participants, "best_of": REPEATS}
    return [
        batch(
            "funnel report",
            applications,
            funnel_time,
            funnel_floor_time,
            0.5,
            "applications/s",
            floor_is="SQL GROUP BY of the funnel's facts and the visits",
            **sizes,
        ),
        batch(
            "participants per year report",
            applications,
            years_time,
            years_floor_time,
            0.5,
            "applications/s",
            floor_is="SQL GROUP BY year of enrolment",
            **sizes,
        ),
    ]
