"""Log lines never carry an exception's message, whoever logs it: only its class, the database's
SQLSTATE and constraint, and the stack."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator

import pytest

from shared.logs import configure_logging, describe_error, mark_logged

FIN = "5ABC7DE"
NAME = "Aygün Məmmədova"


class UniqueViolation(Exception):
    """Shaped like asyncpg's: the message quotes the row, the attributes name the schema."""

    sqlstate = "23505"
    constraint_name = "uq_applicants_fin_hash"
    table_name = "applicants"


@contextlib.contextmanager
def service_logging(level: str = "INFO", json: bool = True) -> Iterator[None]:
    """Logging as a service configures it (shared.app), undone afterwards. Inside the test, so
    that its handler writes to the stdout that capsys reads."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("intake", level, json=json)
    try:
        yield
    finally:
        root.handlers[:], level_before = saved
        root.setLevel(level_before)


def _raise_chained() -> None:
    try:
        raise UniqueViolation(f"duplicate key\nDETAIL:  Key (fin)=({FIN}) already exists.")
    except UniqueViolation as error:
        raise RuntimeError(f"cannot register {NAME}") from error


def test_exceptions_are_logged_without_their_messages(capsys: pytest.CaptureFixture[str]) -> None:
    log = logging.getLogger("intake.applicants")
    try:
        _raise_chained()
    except RuntimeError as caught:
        error = caught
    with service_logging():
        log.error("registration failed", exc_info=error)
        log.warning("registration failed: %s", error)
        log.error(error)
        logging.getLogger("sqlalchemy.engine").error("commit failed", exc_info=error)
        logging.getLogger("uvicorn.error").error("Exception in ASGI application\n", exc_info=error)
    out = capsys.readouterr().out
    assert FIN not in out
    assert NAME.split()[0] not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 5
    trace = str(lines[0]["exc_info"])
    # The chain, the first cause first, with the schema's names and the frames.
    assert trace.index("UniqueViolation") < trace.index("builtins.RuntimeError")
    assert "sqlstate=23505, constraint_name=uq_applicants_fin_hash" in trace
    assert "_raise_chained" in trace
    assert lines[1]["message"] == "registration failed: builtins.RuntimeError"
    assert lines[2]["message"] == "builtins.RuntimeError"


def test_uvicorn_does_not_repeat_an_error_the_500_handler_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = RuntimeError(FIN)
    with service_logging():
        uvicorn = logging.getLogger("uvicorn.error")
        uvicorn.error("Exception in ASGI application\n", exc_info=error)
        mark_logged(error)
        uvicorn.error("Exception in ASGI application\n", exc_info=error)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert FIN not in lines[0]


def test_database_loggers_stay_at_warning_whatever_the_level() -> None:
    with service_logging("DEBUG", json=False):
        for name in ("sqlalchemy", "sqlalchemy.engine", "asyncpg"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name


def test_describe_error_names_the_schema_never_the_data() -> None:
    error = UniqueViolation(f"Key (fin)=({FIN}) already exists.")
    assert describe_error(error) == (
        "tests.shared.test_logs.UniqueViolation "
        "(sqlstate=23505, constraint_name=uq_applicants_fin_hash, table_name=applicants)"
    )
