"""JSON Schemas for the MCP tools, generated from msgspec structs: `$ref`s inlined (one self-contained object per
tool, as models read them best), every property described (app/mcp/fields.py), `*_at` strings as date-time."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from app.mcp.fields import FIELD_DESCRIPTIONS


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def object_schema(struct: type[msgspec.Struct], describe: bool = True) -> dict[str, Any]:
    """The struct's JSON Schema with definitions inlined; with `describe`, every property gets its description."""
    document = msgspec.json.schema(struct)
    definitions = document.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            out = {k: inline(v) for k, v in node.items()}
            if describe and isinstance(out.get("properties"), dict):
                for name, prop in out["properties"].items():
                    if "description" not in prop and snake(name) in FIELD_DESCRIPTIONS:
                        prop["description"] = FIELD_DESCRIPTIONS[snake(name)]
                    if snake(name).endswith("_at") and prop.get("type") == "string":
                        prop.setdefault("format", "date-time")  # msgspec leaves datetime's format out
            return out
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    schema = inline(document)
    schema.pop("title", None)
    return schema  # type: ignore[no-any-return]
