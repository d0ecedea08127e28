"""docs/events.md, written from the event catalogue, so that the page cannot drift from the code.
`dayaq docs events` writes it; tests/test_docs.py fails when the file in the tree is not current."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from shared.events.catalog import EVENT_TYPES, Part
from shared.events.envelope import Envelope, Event

SERVICES = ("intake", "plans", "assets", "monitoring")
_NAMES: dict[object, str] = {
    UUID: "uuid",
    str: "string",
    int: "integer",
    bool: "boolean",
    Decimal: "decimal string",
    date: "date",
    datetime: "date-time",
    type(None): "null",
    typing.Any: "any JSON",
}

HEADER = """\
# Events

<!-- Generated from shared/events/catalog.py by `.venv/bin/dayaq docs events`: do not edit. -->

Every event travels on NATS JetStream in a CloudEvents 1.0 envelope, on its producer's stream
(`INTAKE`, `PLANS`, `ASSETS`, `MONITORING`) under the subject that is its type. Payloads carry ids
and coded facts only, never a name, FIN, birth date, phone or address. Amounts are AZN decimal
strings, times UTC ISO 8601. A new optional field is an additive change; anything else is a new
type. How an event is written, relayed and applied: [architecture.md](architecture.md).

The envelope's `id` is also the message's `Nats-Msg-Id` and the consumer's inbox key; `source` is
`/dayaq/<producer>`; `subject` is the id of the thing the event is about (most often the
participant); `correlationid`, `causationid` and `principal` (`staff:<sub>` or
`partner:<key id>`) say which request or event led to it and who acted; `data` is the payload of
the event's type, and `dataschema` names that payload's model and version.
"""


def events_markdown() -> str:
    """The whole of docs/events.md."""
    return "\n".join(_page()) + "\n"


def _page() -> Iterator[str]:
    yield HEADER
    yield "| type | producer | consumers |"
    yield "| --- | --- | --- |"
    for event_type, model in EVENT_TYPES.items():
        consumers = ", ".join(model.consumers) or "none"
        yield f"| [`{event_type}`](#{_anchor(event_type)}) | {model.source_service} | {consumers} |"
    yield ""
    yield "## The envelope"
    yield ""
    yield from _fields(Envelope)
    for service in SERVICES:
        yield f"## {service}"
        yield ""
        for event_type, model in EVENT_TYPES.items():
            if model.source_service == service:
                yield from _event(event_type, model)


def _event(event_type: str, model: type[Event]) -> Iterator[str]:
    yield f"### {event_type}"
    yield ""
    yield _doc(model)
    yield ""
    yield f"- Producer: {model.source_service}"
    yield f"- Consumers: {', '.join(model.consumers) or 'none'}"
    yield f"- Schema: `{model.dataschema()}`"
    journey = "yes (on monitoring's timeline)" if model.lifecycle else "no"
    yield f"- Part of a participant's journey: {journey}"
    yield ""
    yield from _fields(model)
    for part in _parts(model):
        yield f"`{part.__name__}`: {_doc(part)}"
        yield ""
        yield from _fields(part)


def _doc(model: type[BaseModel]) -> str:
    """The model's own docstring on one line (a class without one does not inherit its base's)."""
    doc = model.__dict__.get("__doc__") or ""
    return " ".join(doc.split()) or "(no description)"


def _fields(model: type[BaseModel]) -> Iterator[str]:
    yield "| field | type | required | meaning |"
    yield "| --- | --- | --- | --- |"
    for name, info in model.model_fields.items():
        required = "yes" if info.is_required() else "no"
        yield f"| `{name}` | {_type(info.annotation)} | {required} | {_meaning(info)} |"
    yield ""


def _meaning(info: FieldInfo) -> str:
    return (info.description or "").replace("|", "\\|")


def _parts(model: type[BaseModel]) -> list[type[Part]]:
    """The payload's nested values (an order's items, a snapshot's keys), in field order."""
    found: list[type[Part]] = []
    for info in model.model_fields.values():
        for inner in _flatten(info.annotation):
            if isinstance(inner, type) and issubclass(inner, Part) and inner not in found:
                found.append(inner)
    return found


def _flatten(annotation: object) -> Iterator[object]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _flatten(arg)


def _type(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_type(arg) for arg in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"object of {_type(args[1])}"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{arg}`" for arg in args)
    if isinstance(annotation, type) and issubclass(annotation, Part):
        return f"`{annotation.__name__}`"
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but - and _ dropped."""
    return "".join(c for c in heading.lower() if c.isalnum() or c in "-_")
