"""JSON logs with the request id, correlation id and acting principal of the current context.

Log records never carry request bodies or personal data: code logs ids and codes only. Exception
messages are never written either, whoever logs them (our code, uvicorn, SQLAlchemy, asyncpg): a
message can quote the values it failed on (PostgreSQL's "Failing row contains (...)", a
validator's input). Every handler formats exceptions with `redacted_traceback`, which keeps the
classes, the database's SQLSTATE and constraint, and the stack frames.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from shared.context import current_trace

# Attributes of database errors (asyncpg's, and SQLAlchemy's adapted ones) that name the schema,
# never the data. Table and column names say where, the SQLSTATE what.
_SCHEMA_ATTRIBUTES = ("sqlstate", "constraint_name", "table_name", "column_name")
_HANDLED = "_dayaq_logged"


def describe_error(error: BaseException) -> str:
    """What may be said of an exception: its class, with a database error's SQLSTATE,
    constraint, table and column; never its message."""
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    facts = [
        f"{attribute}={value}"
        for attribute in _SCHEMA_ATTRIBUTES
        if isinstance(value := getattr(error, attribute, None), str) and value
    ]
    return f"{name} ({', '.join(facts)})" if facts else name


def _chain(error: BaseException) -> list[BaseException]:
    """The error and those it was raised from or during, the first cause first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain[::-1]


def redacted_traceback(error: BaseException) -> str:
    """The stack frames and `describe_error` of each exception in the chain, without messages."""
    parts: list[str] = []
    for link in _chain(error):
        parts.extend(traceback.format_tb(link.__traceback__))
        parts.append(describe_error(link) + "\n")
    return "".join(parts).rstrip("\n")


def mark_logged(error: BaseException) -> None:
    """Told once: the 500 handler has logged `error`, so the server's report of it is dropped."""
    with contextlib.suppress(AttributeError):  # an exception class with __slots__
        setattr(error, _HANDLED, True)


def _redacted(value: object) -> object:
    return describe_error(value) if isinstance(value, BaseException) else value


class TraceFilter(logging.Filter):
    """Adds the current trace, and replaces exceptions passed as message arguments by their
    description, so that `log.warning("failed: %s", error)` cannot write a message either."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.name.startswith("uvicorn") and getattr(error, _HANDLED, False):
            return False  # "Exception in ASGI application": logged already, with the request id
        trace = current_trace()
        record.request_id = trace.request_id
        record.correlation_id = trace.correlation_id
        record.principal = trace.principal
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(arg) for key, arg in record.args.items()}
        record.exc_text = None  # another formatter's full text must not be reused
        return True


class _RedactingFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return redacted_traceback(ei[1]) if ei and ei[1] is not None else ""


class _RedactingJsonFormatter(_RedactingFormatter, JsonFormatter):
    pass


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(TraceFilter())
    formatter: logging.Formatter
    if json:
        formatter = _RedactingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s "
            "%(request_id)s %(correlation_id)s %(principal)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    else:
        formatter = _RedactingFormatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
        )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Uvicorn's access log would repeat every path; our own metrics and request log cover it.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # SQLAlchemy's INFO writes every statement with its parameters, asyncpg's DEBUG the server's
    # notices: warnings only, whatever the level of the rest.
    for name in ("sqlalchemy", "asyncpg"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
