"""`make soak` at CI size: two minutes of journeys at a steady rate on the four services as real
processes, with no error and nothing growing; and the soak's own arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.devstack import Postgres
from tests.conftest import ExternalPostgres, LaunchServices
from tests.soak.driver import Routes
from tests.soak.measure import POOL_LIMIT, Sample, growth
from tests.soak.run import percentile, soak

CI_MINUTES = 1.5
CI_WARM_UP_MINUTES = 0.5
CI_RATE = 20.0


@pytest.mark.e2e
@pytest.mark.timeout(600)
async def test_a_short_soak_has_no_errors_and_no_growth(
    launch_services: LaunchServices, pg: Postgres | ExternalPostgres, dev_keys: Path
) -> None:
    services = await launch_services()
    report = await soak(
        services,
        pg.url(),
        dev_keys,
        minutes=CI_MINUTES,
        rate=CI_RATE,
        warm_up_minutes=CI_WARM_UP_MINUTES,
    )
    assert report.errors == 0, report.table()
    assert report.growth == {}, report.table()
    assert report.closing_line() == "soak minutes=1.5 journeys=30 errors=0 growth=none"
    routes = report.routes()
    assert routes["intake POST /v1/applicants"]["count"] == 30
    assert routes["plans POST /v1/business-plans/{plan_id}/approve"]["count"] == 30
    assert routes["monitoring POST /v1/visits/{visit_id}/report"]["count"] == 60  # and a retry
    assert not [route for route in routes if " unknown " in route]
    # Each service was seen holding PostgreSQL connections: the sample finds them.
    assert all(sample.postgres > 0 for sample in report.end.values()), report.table()


def test_a_path_is_named_by_its_route_and_literal_segments_win() -> None:
    routes = Routes(["/v1/applicants/{applicant_id}", "/v1/applicants/search", "/v1/applicants"])
    assert routes.template("/v1/applicants/search") == "/v1/applicants/search"
    assert routes.template("/v1/applicants/7f1c") == "/v1/applicants/{applicant_id}"
    assert routes.template("/v1/applicants") == "/v1/applicants"
    assert routes.template("/v1/applicants/7f1c/extra") == "unknown /v1/applicants/7f1c/extra"


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0


def _sample(rss: float = 100.0, fds: int = 20, sockets: int = 8, postgres: int = 4) -> Sample:
    return Sample(rss_mib=rss, fds=fds, sockets=sockets, postgres=postgres, databases=("d",))


def test_growth_past_the_tolerance_is_named() -> None:
    start = _sample()
    assert growth(start, _sample(rss=141.0)) == []  # 100 x 1.25 + 16
    assert growth(start, _sample(postgres=POOL_LIMIT, sockets=8 + POOL_LIMIT - 4)) == []
    assert growth(start, _sample(rss=141.5)) == ["rss 100.0 -> 141.5 MiB (bound 141.0)"]
    assert growth(start, _sample(postgres=POOL_LIMIT + 1, sockets=20, fds=32)) == [
        f"postgres connections {POOL_LIMIT + 1} > pool {POOL_LIMIT}"
    ]
    assert growth(start, _sample(sockets=11)) == ["other sockets 4 -> 7"]
    assert growth(start, _sample(fds=29)) == ["file descriptors besides PostgreSQL's 16 -> 25"]
