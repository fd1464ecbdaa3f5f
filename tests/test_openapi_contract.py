"""The OpenAPI document's own contract, walked structurally (no requests made): secured operations declare
401, operations taking input declare 422, every 4xx is problem+json, and request bodies bound every string
(maxLength) and every array (maxItems), so no client input is unbounded by the schema."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from litestar.serialization import encode_json

PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")
# Strings whose length their format or value list already bounds.
BOUNDED_FORMATS = {"uuid", "date-time", "date", "time", "binary"}


@pytest.fixture(scope="module")
def spec() -> dict:
    """The document the app serves at /schema/openapi.json (built without a database)."""
    from app.http.app import create_app

    app = create_app(database_url="postgresql://nobody@127.0.0.1:1/none")
    return json.loads(encode_json(app.openapi_schema.to_schema()))


def operations(spec: dict) -> Iterator[tuple[str, dict]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def unbounded(spec: dict, schema: dict, where: str, seen: frozenset[str] = frozenset(),
              bounds: frozenset[str] = frozenset()) -> Iterator[str]:
    """Paths inside a request body schema to strings without maxLength and arrays without maxItems. A bound
    next to a oneOf/anyOf applies to its branches (Litestar puts `maxLength` beside `oneOf: [string, null]`)."""
    if "$ref" in schema:
        name = schema["$ref"]
        if name in seen:
            return
        seen = seen | {name}
        schema = resolve(spec, schema)
    bounds = bounds | {k for k in ("maxLength", "maxItems") if k in schema}
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key, []):
            yield from unbounded(spec, sub, where, seen, bounds)
    schema = {**dict.fromkeys(bounds, True), **schema}
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" in types and "maxLength" not in schema and "enum" not in schema and "const" not in schema \
            and schema.get("format") not in BOUNDED_FORMATS:
        yield f"{where}: string without maxLength"
    if "array" in types:
        if "maxItems" not in schema:
            yield f"{where}: array without maxItems"
        if isinstance(schema.get("items"), dict):
            yield from unbounded(spec, schema["items"], f"{where}[]", seen)
    for name, sub in schema.get("properties", {}).items():
        yield from unbounded(spec, sub, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from unbounded(spec, schema["additionalProperties"], f"{where}.*", seen)


def request_schemas(op: dict) -> Iterator[tuple[str, dict]]:
    for media_type, content in op.get("requestBody", {}).get("content", {}).items():
        if "schema" in content:
            yield media_type, content["schema"]


def test_every_secured_operation_declares_401(spec):
    """An operation that needs a key documents the 401 every request without a valid key gets."""
    missing = [name for name, op in operations(spec) if op.get("security", spec.get("security")) and
               "401" not in op["responses"]]
    assert not missing, missing


def test_every_operation_taking_input_declares_422(spec):
    """Parameters or a body can be invalid: such operations document 422."""
    missing = [name for name, op in operations(spec) if (op.get("parameters") or op.get("requestBody")) and
               "422" not in op["responses"]]
    assert not missing, missing


def test_every_client_error_is_problem_json(spec):
    """Every documented 4xx response is RFC 9457 problem+json and nothing else."""
    wrong = [(name, status, sorted(response.get("content", {}))) for name, op in operations(spec)
             for status, response in op["responses"].items()
             if status.startswith("4") and set(response.get("content", {})) != {PROBLEM}]
    assert not wrong, wrong


def test_request_bodies_bound_every_string_and_array(spec):
    """Every string in a request body has a maxLength and every array a maxItems (formats such as uuid,
    date-time and enumerations bound themselves)."""
    found = [problem for name, op in operations(spec) for media_type, schema in request_schemas(op)
             for problem in unbounded(spec, schema, f"{name} {media_type} body")]
    assert not found, "\n".join(found)


def test_the_walk_sees_every_operation(spec):
    """A sanity check on the walker itself: it visits the whole API, bodies included."""
    ops = dict(operations(spec))
    assert len(ops) >= 90
    assert sum(1 for op in ops.values() if op.get("requestBody")) >= 30
    assert list(unbounded(spec, {"type": "object", "properties": {"s": {"type": "string"},
                                                                   "a": {"type": "array", "items": {}}}}, "x")) \
        == ["x.s: string without maxLength", "x.a: array without maxItems"]

