"""Bulk referral import: a 100,000-row CSV imported end to end (validation, applicants, their
documents, applications, events, errors, progress) against the floor of PostgreSQL COPY of the
same file into a plain table with the same columns. Also the import's peak memory."""

from __future__ import annotations

import csv
import io
import resource
import time
from datetime import date, timedelta

import asyncpg

from intake.imports.models import Import, ImportStatus
from intake.imports.parser import COLUMNS
from intake.imports.runner import ImportWorker
from intake.imports.service import FileCipher, create_import
from intake.settings import IntakeSettings
from shared.auth import Principal, Role
from shared.db import create_engine, create_sessionmaker
from shared.uploads import Upload
from tests.bench.database_support import migrated_database
from tests.bench.results import Result, batch, reported
from tests.bench.sizes import size

REGIONS = ("AZ-BA", "AZ-GA", "AZ-SA", "AZ-LA", "AZ-MI")
FIRST_NAMES = ("Aygün", "Leyla", "Səbinə", "Günel", "Nərmin", "Aysel", "Elvin", "Rəşad", "Orxan")
LAST_NAMES = ("Məmmədova", "Əliyeva", "Hüseynova", "Quliyeva", "İsmayılova", "Həsənova", "Kərimova")
FIRST_BIRTH_DATE = date(1960, 1, 1)
BIRTH_DAYS = 40 * 365  # birth dates spread over 40 years, as in a real registry


def referrals_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(rows):
        disability = n % 3 == 0
        writer.writerow(
            [
                f"{n:06d}A",
                FIRST_NAMES[n % len(FIRST_NAMES)],
                LAST_NAMES[n // len(FIRST_NAMES) % len(LAST_NAMES)],
                "",
                (FIRST_BIRTH_DATE + timedelta(days=n * 7919 % BIRTH_DAYS)).isoformat(),
                "female" if n % 2 else "male",
                f"+99450{n % 10_000_000:07d}",
                "",
                REGIONS[n % len(REGIONS)],
                str(1 + n % 8),
                "martyr_family;disability" if disability else "war_participant",
                "II" if disability else "",
                "martyr_family_certificate;disability_certificate"
                if disability
                else "veteran_certificate",
                f"ŞA-{n};ƏL-{n}" if disability else f"QV-{n}",
                "2021-03-15;2020-06-01" if disability else "2021-01-20",
                "beekeeping",
            ]
        )
    return out.getvalue().encode()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run(pg_url: str, nats_url: str, quick: bool) -> list[Result]:
    rows = size("BENCH_IMPORT_ROWS", 100_000, 2_000, quick)
    url = await migrated_database(pg_url, "intake")
    content = referrals_csv(rows)

    # The floor: COPY of the same file into a plain table with the same columns.
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        columns = ", ".join(f"{c} text" for c in COLUMNS)
        await connection.execute(f"CREATE TABLE referrals_copy ({columns})")
        started = time.perf_counter()
        await connection.copy_to_table(
            "referrals_copy", source=io.BytesIO(content), format="csv", header=True
        )
        floor = time.perf_counter() - started
        copied = await connection.fetchval("SELECT count(*) FROM referrals_copy")
        assert copied == rows, copied
    finally:
        await connection.close()

    settings = IntakeSettings(database_url=url, nats_url=nats_url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    cipher = FileCipher(settings)
    worker = ImportWorker(engine, sessionmaker, settings, cipher)
    officer = Principal(kind="staff", subject="bench", roles=frozenset({Role.case_officer}))
    try:
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        async with sessionmaker() as session, session.begin():
            job, _ = await create_import(
                session,
                cipher,
                officer,
                upload=Upload.of_bytes(content),
                settings=settings,
                file_name="bench.csv",
                round_id=None,
                language="en",
            )
        uploaded = time.perf_counter() - started
        await worker.run_import(job.id)
        total = time.perf_counter() - started
        rss_after = peak_rss_mib()
        async with sessionmaker() as session:
            done = await session.get_one(Import, job.id)
        assert done.status == ImportStatus.completed, (done.status, done.failure)
        assert (done.imported, done.rejected) == (rows, 0), (done.imported, done.rejected)
    finally:
        await engine.dispose()
    mib = len(content) / 1024 / 1024
    print(f"bulk import, {rows} rows ({mib:.1f} MiB CSV)")
    print(f"  floor: COPY into a plain table   {floor:8.3f} s  ({rows / floor:,.0f} rows/s)")
    print(f"  import end to end               {total:8.3f} s  ({rows / total:,.0f} rows/s)")
    print(f"    of which upload (store file)  {uploaded:8.3f} s")
    print(f"  import / floor: {total / floor:.1f}x")
    print(
        f"  peak memory (max RSS): {rss_before:.0f} MiB before, {rss_after:.0f} MiB after "
        f"(+{rss_after - rss_before:.0f} MiB for the import)"
    )
    return [
        batch(
            "import of referral rows",
            rows,
            total,
            floor,
            0.1,
            "rows/s",
            rows=rows,
            floor_is="COPY of the same CSV into a plain table with the same columns",
            upload_seconds=round(uploaded, 3),
        ),
        reported(
            "import: peak memory of the importing process",
            rss_after,
            "MiB",
            grown_by_mib=round(rss_after - rss_before, 1),
            rows=rows,
        ),
    ]
