"""The OpenAPI contract front-end teams build on: every endpoint of every service has a summary,
and every JSON request and response has an example (for a page, its items do); every link leads
to an operation of the document, with parameters it takes."""

from __future__ import annotations

from typing import Any

import pytest

from assets.main import create_app as create_assets
from intake.main import create_app as create_intake
from monitoring.main import create_app as create_monitoring
from plans.main import create_app as create_plans
from tests.api.openapi_support import broken_links, gaps

FACTORIES = pytest.mark.parametrize(
    "factory",
    [create_intake, create_plans, create_assets, create_monitoring],
    ids=["intake", "plans", "assets", "monitoring"],
)


@FACTORIES
def test_every_endpoint_has_a_summary_and_examples(factory: Any) -> None:
    assert gaps(factory()) == []


@FACTORIES
def test_every_link_leads_to_an_operation_with_its_parameters(factory: Any) -> None:
    assert broken_links(factory()) == []
