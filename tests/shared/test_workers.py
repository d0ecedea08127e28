"""How many processes serve each service: `dayaq run`'s setting and its default."""

from __future__ import annotations

import argparse

import pytest

from shared.cli import SERVICE_NAMES, UsageError, _config, default_workers, env_count


def test_the_default_is_one_process_per_core_and_at_most_four() -> None:
    assert 1 <= default_workers() <= 4


def test_dayaq_workers_sets_every_service_and_a_service_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAYAQ_WORKERS", "3")
    monkeypatch.setenv("INTAKE_WORKERS", "1")
    config = _config(argparse.Namespace(host="127.0.0.1", data_dir=".dayaq"))
    assert config.workers == {name: 1 if name == "intake" else 3 for name in SERVICE_NAMES}


@pytest.mark.parametrize("value", ["0", "two", "-1", "65"])
def test_a_number_of_processes_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PLANS_WORKERS", value)
    with pytest.raises(UsageError, match="PLANS_WORKERS"):
        env_count("PLANS_WORKERS", 1)
