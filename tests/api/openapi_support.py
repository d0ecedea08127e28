"""What an OpenAPI document lacks for front-end teams: a summary, or examples."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def gaps(app: FastAPI) -> list[str]:
    spec = app.openapi()
    found = []
    for path, operations in spec["paths"].items():
        if path in OPERATIONAL:
            continue
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            if not operation.get("summary"):
                found.append(f"{where}: no summary")
            for kind, media in operation.get("requestBody", {}).get("content", {}).items():
                if not _has_example(spec, media):
                    found.append(f"{where}: no request example ({kind})")
            for status, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get("application/json")
                if status.startswith("2") and media and not _has_example(spec, media):
                    found.append(f"{where}: no {status} example")
    return found


OPERATIONAL = {"/healthz", "/readyz"}


def _has_example(spec: dict[str, Any], media: dict[str, Any]) -> bool:
    return "example" in media or "examples" in media or _schema_has_example(spec, media["schema"])


def _schema_has_example(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _resolve(spec, schema)
    if "example" in schema or "examples" in schema:
        return True
    # An optional body, or one of several page types: a branch with an example will do.
    branches = [
        b for b in schema.get("anyOf", []) + schema.get("oneOf", []) if b != {"type": "null"}
    ]
    if branches:
        return any(_schema_has_example(spec, branch) for branch in branches)
    if schema.get("type") == "array":
        return _schema_has_example(spec, schema.get("items", {}))
    items = schema.get("properties", {}).get("items")
    if items is not None:  # a page: its items carry the example
        return _schema_has_example(spec, items)
    return False


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    components = spec.get("components", {}).get("schemas", {})
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def broken_links(app: FastAPI) -> list[str]:
    """Links (shared.routes.links) to an operation the document lacks, or with a parameter the
    operation does not take."""
    spec = app.openapi()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                for name, link in response.get("links", {}).items():
                    where = f"{method.upper()} {path} {status} {name}"
                    _, target_path, target_method = link["operationRef"].rsplit("/", 2)
                    target_path = target_path.replace("~1", "/").replace("~0", "~")
                    target = spec["paths"].get(target_path, {}).get(target_method)
                    if target is None:
                        found.append(f"{where}: no such operation")
                        continue
                    taken = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
                    taken |= {p["name"] for p in target.get("parameters", [])}
                    found += [
                        f"{where}: {target_method.upper()} {target_path} takes no {parameter}"
                        for parameter in link["parameters"]
                        if parameter not in taken and parameter != "header.If-Match"
                    ]
    return found
