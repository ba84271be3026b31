"""The OpenAPI document read for people: every operation with its parameters, body fields and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    """One parameter or body field: its name (nested ones dotted), type, whether required, and what it is."""

    name: str
    type: str
    required: bool
    description: str = ""
    where: str = ""


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    needs_token: bool
    parameters: list[Field] = field(default_factory=list)
    body: list[Field] = field(default_factory=list)
    responses: list[tuple[str, str, list[Field]]] = field(default_factory=list)


@dataclass
class Documentation:
    title: str
    version: str
    description: str
    operations: list[Operation]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    return schema


def _type(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        text = " or ".join(kinds) + (" or null" if "null" in kind else "")
    else:
        text = kind
    if kind == "array" or (isinstance(kind, list) and "array" in kind):
        text = f"list of {_type(spec, schema.get('items', {}))}"
    if "enum" in schema:
        text += ": one of " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    if "format" in schema:
        text += f" ({schema['format']})"
    return text


def _fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "", depth: int = 0) -> list[Field]:
    schema = _resolve(spec, schema)
    required = set(schema.get("required", []))
    found = []
    for name, prop in schema.get("properties", {}).items():
        resolved = _resolve(spec, prop)
        found.append(Field(prefix + name, _type(spec, prop), name in required, prop.get("description", resolved.get("description", ""))))
        if depth < 2 and resolved.get("properties") and not resolved.get("readOnly"):
            found.extend(_fields(spec, resolved, f"{prefix}{name}.", depth + 1))
    return found


def describe(spec: dict[str, Any]) -> Documentation:
    """The document as operations a page can list."""
    operations = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            op = Operation(
                method=method.upper(), path=path, summary=operation.get("summary", ""),
                description=operation.get("description", ""), needs_token=bool(operation.get("security")),
            )
            for parameter in item.get("parameters", []) + operation.get("parameters", []):
                op.parameters.append(Field(
                    parameter["name"], _type(spec, parameter.get("schema", {})), parameter.get("required", False),
                    parameter.get("description", ""), parameter.get("in", ""),
                ))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                op.body = _fields(spec, body)
            for status, response in sorted(operation.get("responses", {}).items()):
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                op.responses.append((status, response.get("description", ""), _fields(spec, schema) if schema and status.startswith("2") else []))
            operations.append(op)
    info = spec.get("info", {})
    return Documentation(info.get("title", ""), info.get("version", ""), info.get("description", ""), operations)
