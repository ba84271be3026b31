"""Check real responses against the OpenAPI document the app serves, with a validator the project did not write."""

from __future__ import annotations

from typing import Any

from openapi_schema_validator import OAS31Validator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def document(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def assert_matches_openapi(client, response, path: str, method: str = "get") -> None:
    """The response's status is documented for the operation, and its JSON body matches that status's schema."""
    spec = document(client)
    operation = spec["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method.upper()} {path} answered {status}, which its document does not list"
    schema = operation["responses"][status].get("content", {}).get("application/json", {}).get("schema")
    assert schema is not None, f"{method.upper()} {path} {status} has no JSON schema in the document"
    registry = Registry().with_resource("urn:cop-openapi", Resource.from_contents(spec, default_specification=DRAFT202012))
    rooted = {"$ref": "urn:cop-openapi#/" + "/".join(["paths", path.replace("~", "~0").replace("/", "~1"), method.lower(),
                                                       "responses", status, "content", "application~1json", "schema"])}
    validate(response.get_json(), rooted, cls=OAS31Validator, registry=registry)
