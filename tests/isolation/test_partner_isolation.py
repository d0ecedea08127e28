"""Partner A, holding every scope, calls every operation of every service's OpenAPI on partner B's
objects: nothing of B's is shown and nothing of B's changes. The table in routes.py says what A
must get from each; a new route fails until it has an entry there."""

from __future__ import annotations

from functools import partial

from tests.isolation.conftest import World, all_applied
from tests.isolation.isolation_support import check, operations, snapshot
from tests.isolation.routes import ROUTES
from tests.journey_support import eventually
from tests.service_fixtures import FACTORIES


def test_every_route_has_an_entry() -> None:
    missing, stale = [], []
    for name, (_, create_app) in FACTORIES.items():
        found = operations(create_app(None).openapi())
        entered = set(ROUTES[name])
        missing += [f"{name}: {m.upper()} {p}" for m, p in sorted(found - entered)]
        stale += [f"{name}: {m.upper()} {p}" for m, p in sorted(entered - found)]
    assert (missing, stale) == ([], []), (
        f"no entry in tests/isolation/routes.py for {', '.join(missing) or 'none'}; "
        f"entries for routes that are gone: {', '.join(stale) or 'none'}"
    )


async def test_partner_a_can_neither_see_nor_change_partner_b(world: World) -> None:
    before = await snapshot(world)
    problems: list[str] = []
    tried = 0
    for name, service in world.services.items():
        spec = service.app.openapi()
        for method, path in sorted(operations(spec)):
            problems += await check(world, name, spec, method, path)
            tried += 1
    assert not problems, "\n".join(problems)
    assert tried == sum(len(routes) for routes in ROUTES.values())
    services = tuple(world.services.values())
    await eventually(partial(all_applied, services), "every event to be applied")
    after = await snapshot(world)
    changed = [url for url in before if after[url] != before[url]]
    assert not changed, changed
