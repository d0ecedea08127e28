"""The docs stay true to the code: docs/events.md is the catalogue's current rendering, the
catalogue's consumers are the services' handler registries, and each service's page names every
event it produces or consumes and every route of its OpenAPI."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from assets.main import create_app as create_assets
from assets.settings import AssetsSettings
from intake.main import create_app as create_intake
from intake.settings import IntakeSettings
from monitoring.main import create_app as create_monitoring
from monitoring.settings import MonitoringSettings
from plans.main import create_app as create_plans
from plans.settings import PlansSettings
from shared.events import EVENT_TYPES
from shared.events.docs import SERVICES, events_markdown
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FACTORIES: dict[str, Callable[[], FastAPI]] = {
    "intake": create_intake,
    "plans": create_plans,
    "assets": create_assets,
    "monitoring": create_monitoring,
}
OPERATIONAL = {"/healthz", "/readyz"}
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "plans": PlansSettings,
    "assets": AssetsSettings,
    "monitoring": MonitoringSettings,
}


def service_page(service: str) -> str:
    return (DOCS / "services" / f"{service}.md").read_text()


def registry(service: str) -> Mapping[str, Mapping[str, Any]]:
    """{producer: {event type: handler}}, as the service gives it to create_service_app."""
    module = importlib.import_module(f"{service}.handlers")
    built: Mapping[str, Mapping[str, Any]] = module.handlers(SETTINGS[service]())
    return built


def test_events_page_is_current() -> None:
    assert (DOCS / "events.md").read_text() == events_markdown(), (
        "docs/events.md is not current: run .venv/bin/dayaq docs events"
    )


def test_catalogue_consumers_are_the_handler_registries() -> None:
    consumed: dict[str, set[str]] = {event_type: set() for event_type in EVENT_TYPES}
    for service in SERVICES:
        for producer, by_type in registry(service).items():
            for event_type in by_type:
                assert EVENT_TYPES[event_type].source_service == producer, (service, event_type)
                consumed[event_type].add(service)
    declared = {event_type: set(model.consumers) for event_type, model in EVENT_TYPES.items()}
    assert declared == consumed


def test_every_event_has_a_meaning_and_known_services() -> None:
    for event_type, model in EVENT_TYPES.items():
        assert model.__dict__.get("__doc__"), f"{event_type} has no docstring in the catalogue"
        assert model.source_service in SERVICES
        assert set(model.consumers) <= set(SERVICES), event_type
        assert list(model.consumers) == [s for s in SERVICES if s in model.consumers], event_type


def test_every_event_is_named_in_events_md_and_in_its_producers_page() -> None:
    events_page = (DOCS / "events.md").read_text()
    for event_type, model in EVENT_TYPES.items():
        assert f"`{event_type}`" in events_page, event_type
        assert f"`{event_type}`" in service_page(model.source_service), (
            f"{event_type} is not named in docs/services/{model.source_service}.md"
        )


@pytest.mark.parametrize("service", SERVICES)
def test_every_event_a_service_consumes_is_named_in_its_page(service: str) -> None:
    page = service_page(service)
    missing = [
        event_type
        for by_type in registry(service).values()
        for event_type in by_type
        if f"`{event_type}`" not in page
    ]
    assert missing == [], f"docs/services/{service}.md does not name {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_named_in_its_services_page(service: str) -> None:
    page = service_page(service)
    paths = set(FACTORIES[service]().openapi()["paths"]) - OPERATIONAL
    missing = sorted(path for path in paths if f"`{path}`" not in page)
    assert missing == [], f"docs/services/{service}.md does not name {missing}"


def test_links_between_docs_resolve() -> None:
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *DOCS.rglob("*.md")]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}"


def test_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 160
