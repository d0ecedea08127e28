"""The event catalogue as an AsyncAPI 3.0 document, built from the event models themselves, so
that it cannot drift from the code. Each service serves the part it sends and receives."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.events.catalog import EVENT_TYPES
from shared.events.envelope import Envelope

REF = "#/components/schemas/{model}"


def asyncapi_document(service: str, received: Iterable[str]) -> dict[str, Any]:
    received = set(received)
    chosen = {
        event_type: model
        for event_type, model in EVENT_TYPES.items()
        if model.source_service == service or event_type in received
    }
    models: list[type[BaseModel]] = [Envelope, *chosen.values()]
    _, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, model in chosen.items():
        name = model.__name__
        messages[name] = {
            "name": event_type,
            "title": name,
            "summary": (model.__doc__ or "").strip() or None,
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {"Nats-Msg-Id": {"type": "string", "description": "= envelope id"}},
            },
            # The envelope carries the model in `data`.
            "payload": {
                "allOf": [
                    {"$ref": REF.format(model="Envelope")},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": event_type},
                            "dataschema": {"const": model.dataschema()},
                            "data": {"$ref": REF.format(model=name)},
                        },
                    },
                ]
            },
        }
        channel = event_type.replace(".", "-")
        channels[channel] = {
            "address": event_type,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        sends = model.source_service == service
        operations[f"{'send' if sends else 'receive'}-{channel}"] = {
            "action": "send" if sends else "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"Dayaq {service} events",
            "version": "1.0.0",
            "description": "Events on NATS JetStream: one stream per producing service, "
            "CloudEvents 1.0 envelope, ids and coded facts only, never personal data.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas["$defs"]},
    }
