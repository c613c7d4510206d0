"""The pieces every route's part of the OpenAPI documents is built from: a schema reference, a problem+json
response and a JSON response of a named schema. One definition, so every document says them alike."""

from __future__ import annotations

from typing import Any

REF = "#/components/schemas/"


def problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF + "Problem"}}},
    }


def json_of(description: str, schema: str) -> dict[str, Any]:
    """A JSON response whose body is the component schema named `schema`."""
    return {"description": description, "content": {"application/json": {"schema": {"$ref": REF + schema}}}}
