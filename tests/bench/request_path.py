"""The request path, over HTTP against the services as processes, with wrk (2 threads, 32
connections), each against a floor measured on the same machine in the same run:

- /healthz of intake against a bare ASGI app answering the same, served the same way; the bare
  run also shows that wrk is not the bottleneck (its CPU per request against the server's);
- create an applicant (a case officer's token, unique FINs, varied names and birth dates, an
  Idempotency-Key each) against pgbench inserting rows of the same width at the same concurrency;
- read one application (with the token) against pgbench selecting the same row;

the last two at two sizes of the registry (applicants, each with an application, seeded in bulk
by SQL into intake's own tables), to show how each figure grows with the data. Then the RSS of
each service after the load. Any answer that is not 2xx fails the benchmark.
"""

from __future__ import annotations

import asyncio
import os
import re
import string
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy.engine import make_url

from intake.applicants.names import fold
from shared.cli import RunningService, stop_services, wait_ready_async
from shared.devkeys import mint_token
from shared.devstack import postgres_bin_dir
from tests.bench import profile, wrk
from tests.bench.imports import FIRST_NAMES, LAST_NAMES, REGIONS
from tests.bench.results import Result, reported, throughput
from tests.bench.stack import BenchStack
from tests.journey_support import APPLICANT
from tests.soak.measure import sample

REGISTRY = ((100_000, 1_000_000), (1_000, 10_000))  # applicants: full, quick
SECONDS = (10.0, 2.0)
REPEATS = (2, 1)  # each figure and its floor, in turn
WARM_UP_SECONDS = (3.0, 1.0)
BIRTH_DAYS = 35 * 365  # birth dates from 1970 on, over 35 years, for the seed and wrk alike

CREATE_SCRIPT = """
local first = {%(first)s}
local last = {%(last)s}
local regions = {%(regions)s}
local alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
local threads = 0
counter = 0
thread_tag = "0"
run_tag = "A"

function setup(thread)
  threads = threads + 1
  thread:set("thread_tag", string.sub(alphabet, threads, threads))
end

function init(args)
  run_tag = args[1]
end

local function base36(n, width)
  local out = ""
  for _ = 1, width do
    local d = n %% 36
    out = string.sub(alphabet, d + 1, d + 1) .. out
    n = math.floor(n / 36)
  end
  return out
end

function request()
  counter = counter + 1
  -- Each run and thread its own walk through names and birth dates: people alike by chance
  -- only, as in a real registry, not the seed's or another run's people again.
  local salt = string.byte(run_tag) * 104729 + string.byte(thread_tag) * 7919
  local n = counter + salt
  local fin = run_tag .. thread_tag .. base36(counter, 5)
  local born = os.date("!%%Y-%%m-%%d", ((counter * 4999 + salt) %% %(birth_days)d) * 86400)
  local body = string.format(
    '{"fin": "%%s", "first_name": "%%s", "last_name": "%%s", "birth_date": "%%s", ' ..
    '"sex": "%%s", "phone": "+99450%%07d", "region": "%%s", "categories": [{"category": ' ..
    '"war_participant", "evidence": {"document_type": "veteran_certificate", ' ..
    '"number": "QV-%%s", "issued_on": "2021-01-20"}}]}',
    fin, first[n %% #first + 1], last[math.floor(n / #first) %% #last + 1], born,
    (n %% 2 == 0) and "female" or "male", n %% 10000000, regions[n %% #regions + 1], fin)
  local headers = {}
  for key, value in pairs(wrk.headers) do headers[key] = value end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = run_tag .. "-" .. thread_tag .. "-" .. counter
  return wrk.format("POST", "/v1/applicants", headers, body)
end
"""

# The floor of creating: one row as wide as an applicant's, at the same concurrency.
INSERT_FLOOR = """\\set n random(1, 2000000000)
INSERT INTO bench_floor_applicants (id, fin_hash, fin_ciphertext, first_name, last_name,
 name_folded, birth_date, sex, phone, region, categories, claimed, created_at, updated_at,
 version) VALUES (gen_random_uuid(), md5(:n::text) || md5(:client_id::text),
 decode(md5(:n::text) || md5(:client_id::text) || md5(:n::text), 'hex'), 'Aygün', 'Məmmədova',
 'memmedova aygun', date '1970-01-01' + :n % 12775, 'female', '+994501234567', 'AZ-GA',
 ARRAY['war_participant'], false, now(), now(), 1);
"""

# The registry, seeded in bulk: applicants from the same names and birth dates wrk sends (so
# duplicate matching sees as many candidates as it would in a registry that big), each with an
# eligible application.
SEED = """
WITH people AS (
  INSERT INTO applicants (id, fin_hash, fin_ciphertext, first_name, last_name, name_folded,
      birth_date, sex, phone, region, categories, claimed, created_at, updated_at, version)
  SELECT gen_random_uuid(), encode(sha256(('bench-seed-' || n)::bytea), 'hex'),
         decode(md5(n::text) || md5(n::text) || md5(n::text), 'hex'),
         ($3::text[])[1 + n % $5], ($4::text[])[1 + (n / $5) % $6],
         ($7::text[])[1 + (n / $5) % $6] || ' ' || ($8::text[])[1 + n % $5],
         date '1970-01-01' + (n::bigint * 7919 % $9)::int,
         CASE WHEN n % 2 = 0 THEN 'female' ELSE 'male' END,
         '+99450' || lpad((n % 10000000)::text, 7, '0'), ($10::text[])[1 + n % $11],
         ARRAY['war_participant'], false, now(), now(), 1
  FROM generate_series($1::int, $2::int) AS n
  RETURNING id, region, categories
)
INSERT INTO applications (id, applicant_id, source, direction, status, region, categories,
    score, submitted_at, created_at, version, assessment, score_breakdown)
SELECT gen_random_uuid(), id, 'staff', 'beekeeping', 'eligible', region, categories, 10.00,
       now(), now(), 1, '[]', '[]'
FROM people
"""

# Indexes (not constraints) are dropped for the bulk insert and made again after it: faster.
INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid IN ('applicants'::regclass, 'applications'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


def _lua_strings(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def create_script() -> str:
    return CREATE_SCRIPT % {
        "first": _lua_strings(FIRST_NAMES),
        "last": _lua_strings(LAST_NAMES),
        "regions": _lua_strings(REGIONS),
        "birth_days": BIRTH_DAYS,
    }


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def seed_registry(url: str, upto: int) -> int:
    """Applicants (each with an application) up to `upto`; the number there now."""
    connection = await asyncpg.connect(plain(url))
    try:
        have = int(await connection.fetchval("SELECT count(*) FROM applicants"))
        if have >= upto:
            return have
        indexes = await connection.fetch(INDEXES)
        async with connection.transaction():
            for name, _ in indexes:
                await connection.execute(f"DROP INDEX {name}")
            folded_first = [fold(name) for name in FIRST_NAMES]
            folded_last = [fold(name) for name in LAST_NAMES]
            await connection.execute(
                SEED,
                have + 1,
                upto,
                list(FIRST_NAMES),
                list(LAST_NAMES),
                len(FIRST_NAMES),
                len(LAST_NAMES),
                folded_last,
                folded_first,
                BIRTH_DAYS,
                list(REGIONS),
                len(REGIONS),
            )
            for _, definition in indexes:
                await connection.execute(definition)
        await connection.execute("ANALYZE applicants")
        await connection.execute("ANALYZE applications")
        return upto
    finally:
        await connection.close()


def pgbench(url: str, script: str, seconds: float, folder: Path) -> float:
    """Transactions per second of pgbench running `script`, 32 clients on 2 threads, prepared."""
    folder.mkdir(parents=True, exist_ok=True)
    script_file = folder / f"pgbench-{abs(hash(script))}.sql"
    script_file.write_text(script)
    parts = make_url(url)
    argv = [str(postgres_bin_dir() / "pgbench"), "-n", "-M", "prepared"]
    argv += ["-c", str(wrk.CONNECTIONS), "-j", str(wrk.THREADS), "-T", str(max(1, round(seconds)))]
    argv += ["-h", str(parts.host), "-p", str(parts.port), "-U", str(parts.username)]
    argv += ["-f", str(script_file), str(parts.database)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=seconds + 120)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if done.returncode != 0 or found is None or (failed and int(failed.group(1))):
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    return float(found.group(1))


class RequestPath:
    def __init__(self, stack: BenchStack, quick: bool) -> None:
        self.stack = stack
        self.quick = quick
        self.seconds = SECONDS[quick]
        self.warm_up = WARM_UP_SECONDS[quick]
        self.repeats = REPEATS[quick]
        self.folder = stack.folder / "bench"
        self.token = mint_token(stack.keys, roles=["case_officer"], subject="bench-officer")
        self.auth = {"Authorization": f"Bearer {self.token}"}
        self.intake = stack.url("intake")
        self.runs = iter(string.ascii_uppercase)
        profiles = os.environ.get("BENCH_PROFILE")
        self.profiles = Path(profiles) if profiles else None

    def load(
        self, url: str, title: str, *, tagged: bool = False, profiled: bool = True, **kwargs: Any
    ) -> wrk.Load:
        """A warm-up, then the measured run; both must answer only 2xx. `tagged`: each run
        gets a letter of its own for the script (FINs and Idempotency-Keys unique to it). With
        BENCH_PROFILE (`--profile`), one more run under py-spy, summarised in that folder."""
        for seconds in (self.warm_up, self.seconds):
            measured = self._wrk(url, seconds, tagged, **kwargs)
        if self.profiles is not None and profiled:
            raw = self.profiles / f"{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}.raw"
            spy = profile.start(self.stack.services["intake"], self.seconds, raw)
            self._wrk(url, self.seconds, tagged, **kwargs)
            print(f"  profile: {profile.finish(spy, raw, title)}", flush=True)
        return measured

    def _wrk(self, url: str, seconds: float, tagged: bool, **kwargs: Any) -> wrk.Load:
        args = [next(self.runs)] if tagged else None
        load = wrk.run(url, seconds=seconds, folder=self.folder, args=args, **kwargs)
        if load.failures:
            raise RuntimeError(f"{load.failures} of {load.requests} requests to {url} failed")
        return load

    def notes(self, load: wrk.Load) -> dict[str, Any]:
        return {
            "requests": load.requests,
            "p50_ms": round(load.p50_ms, 1),
            "p99_ms": round(load.p99_ms, 1),
            "failures": load.failures,
            "clients": wrk.CONNECTIONS,
            "rate_limits": "lifted",
        }

    async def healthz(self) -> list[Result]:
        bare = self.stack.start_bare()
        try:
            await wait_ready_async([bare])
            floors: list[tuple[wrk.Load, float]] = []
            loads: list[wrk.Load] = []
            for repeat in range(self.repeats):  # in turn, the best of each
                await asyncio.to_thread(self._wrk, f"{bare.url}/healthz", self.warm_up, False)
                cpu_before = _cpu_seconds(bare)
                bare_load = await asyncio.to_thread(
                    self._wrk, f"{bare.url}/healthz", self.seconds, False
                )
                floors.append((bare_load, _cpu_seconds(bare) - cpu_before))
                loads.append(
                    await asyncio.to_thread(
                        self.load,
                        f"{self.intake}/healthz",
                        "healthz",
                        profiled=repeat == self.repeats - 1,
                    )
                )
        finally:
            await asyncio.to_thread(stop_services, [bare])
        floor_load, server_cpu = max(floors, key=lambda found: found[0].rate)
        load = _best(loads)
        wrk_per_request = floor_load.cpu_seconds / floor_load.requests
        return [
            throughput(
                "/healthz",
                load.rate,
                floor_load.rate,
                0.5,
                "req/s",
                floor_is="a bare ASGI app answering the same, served as the services are",
                **self.notes(load),
                best_of=self.repeats,
                runs=[round(each.rate) for each in loads],
                floor_runs=[round(each.rate) for each, _ in floors],
            ),
            throughput(
                "load generator: wrk's capacity against the bare floor",
                1 / wrk_per_request,
                floor_load.rate,
                2.0,
                "req/s per CPU-second",
                meaning="requests wrk makes per second of its own CPU, against what the bare "
                "app served: at 2 or more, the server (not wrk) is the bottleneck",
                wrk_cpu_us_per_request=round(wrk_per_request * 1e6, 1),
                bare_server_cpu_us_per_request=round(server_cpu / floor_load.requests * 1e6, 1),
                bare_rate=round(floor_load.rate),
            ),
        ]

    async def application(self) -> str:
        """One application registered over HTTP, as an officer would."""
        async with httpx.AsyncClient(base_url=self.intake, headers=self.auth) as client:
            applicant = await client.post("/v1/applicants", json={**APPLICANT, "fin": "9BENCH9"})
            assert applicant.status_code == 201, applicant.text
            application = await client.post(
                "/v1/applications",
                json={"applicant_id": applicant.json()["id"], "direction": "beekeeping"},
            )
            assert application.status_code == 201, application.text
            return str(application.json()["id"])

    async def create_and_read(self, registry: int, application_id: str) -> list[Result]:
        url = self.stack.database_url("intake")
        started = time.perf_counter()
        size = await seed_registry(url, registry)
        seeded = time.perf_counter() - started
        sizes: dict[str, Any] = {"registry_applicants": size, "seeded_in_s": round(seeded, 1)}

        # A UUID the service made, so nothing to quote.
        select = f"SELECT * FROM applications WHERE id = '{uuid.UUID(application_id)}';\n"  # noqa: S608
        insert_floors: list[float] = []
        select_floors: list[float] = []
        creates: list[wrk.Load] = []
        reads: list[wrk.Load] = []
        connection = await asyncpg.connect(plain(url))
        try:
            await connection.execute(
                "CREATE TABLE bench_floor_applicants (LIKE applicants INCLUDING DEFAULTS);"
                "ALTER TABLE bench_floor_applicants ADD PRIMARY KEY (id)"
            )
            # Floor and figure in turn, REPEATS times: the best of each, so that a moment when
            # the machine is busy with something else weighs on neither alone.
            for repeat in range(self.repeats):
                last = repeat == self.repeats - 1
                insert_floors.append(
                    await asyncio.to_thread(pgbench, url, INSERT_FLOOR, self.seconds, self.folder)
                )
                creates.append(
                    await asyncio.to_thread(
                        self.load,
                        f"{self.intake}/v1/applicants",
                        f"create applicant, registry {size}",
                        tagged=True,
                        profiled=last,
                        script=create_script(),
                        headers=self.auth,
                    )
                )
                select_floors.append(
                    await asyncio.to_thread(pgbench, url, select, self.seconds, self.folder)
                )
                reads.append(
                    await asyncio.to_thread(
                        self.load,
                        f"{self.intake}/v1/applications/{application_id}",
                        f"read one application, registry {size}",
                        profiled=last,
                        headers=self.auth,
                    )
                )
            await connection.execute("DROP TABLE bench_floor_applicants")
            sizes["duplicate_flags_after"] = int(
                await connection.fetchval("SELECT count(*) FROM duplicate_flags")
            )
        finally:
            await connection.close()
        created, read = _best(creates), _best(reads)
        sizes["best_of"] = self.repeats
        return [
            throughput(
                f"create applicant over HTTP, registry {size:,}",
                created.rate,
                max(insert_floors),
                0.25,
                "req/s",
                floor_is="pgbench inserting rows of an applicant's width, 32 clients",
                **self.notes(created),
                **sizes,
                runs=[round(load.rate, 1) for load in creates],
                floor_runs=[round(rate) for rate in insert_floors],
            ),
            throughput(
                f"read one application over HTTP, registry {size:,}",
                read.rate,
                max(select_floors),
                0.25,
                "req/s",
                floor_is="pgbench selecting the same row by id, 32 clients",
                **self.notes(read),
                **sizes,
                runs=[round(load.rate, 1) for load in reads],
                floor_runs=[round(rate) for rate in select_floors],
            ),
        ]

    async def memory(self) -> list[Result]:
        samples = await sample(self.stack.services, self.stack.postgres.url())
        return [
            reported(
                f"memory of {name} after the load",
                found.rss_mib,
                "MiB",
                postgres_connections=found.postgres,
                file_descriptors=found.fds,
            )
            for name, found in samples.items()
        ]


def _best(loads: list[wrk.Load]) -> wrk.Load:
    return max(loads, key=lambda load: load.rate)


def _cpu_seconds(service: RunningService) -> float:
    """User and system seconds the service's processes have used so far."""
    process = psutil.Process(service.process.pid)
    total = 0.0
    for each in (process, *process.children(recursive=True)):
        times = each.cpu_times()
        total += times.user + times.system
    return total


def growth(results: list[Result]) -> list[Result]:
    """How each request-path figure changed from the smaller registry to the larger: as the
    change of its ratio to its floor, so that the machine being busier during one size than the
    other (the floors show it) does not pass for growth; the raw change is in the notes."""
    found = []
    for kind in ("create applicant over HTTP", "read one application over HTTP"):
        pair = [r for r in results if r.name.startswith(kind)]
        if len(pair) == 2:
            small, large = pair
            assert small.ratio is not None
            assert large.ratio is not None
            found.append(
                reported(
                    f"{kind}: larger registry / smaller",
                    large.ratio / small.ratio,
                    "x",
                    registries=[
                        small.notes["registry_applicants"],
                        large.notes["registry_applicants"],
                    ],
                    figure_change=round(large.figure / small.figure, 3),
                    floor_change=round((large.floor or 0) / (small.floor or 1), 3),
                    meaning="the ratio's change: 1.0 is flat; below 1 the request costs more "
                    "as the registry grows",
                )
            )
    return found


async def run(stack: BenchStack, quick: bool) -> list[Result]:
    bench = RequestPath(stack, quick)
    results = await bench.healthz()
    application_id = await bench.application()
    for registry in REGISTRY[quick]:
        results += await bench.create_and_read(registry, application_id)
    results += growth(results)
    results += await bench.memory()
    return results
