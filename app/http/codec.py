"""The one place where HTTP bodies meet SQL values: rows and JSON documents become response structs,
request bodies become the snake_case specs the SQL functions take, and any value becomes JSON text.

- `from_row(Struct, row)`: a response from a database row (snake_case columns, extra columns ignored).
- `load(Struct, doc)`: a response from a JSON document made by SQL (nested structs renamed, user data kept).
- `spec(body)`: a request body as a dict of the fields it carried, by snake_case name (nested too).
- `to_json(value)`: JSON text for a `jsonb` parameter (a spec, a payload, a result).
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

import msgspec

T = TypeVar("T", bound=msgspec.Struct)
D = TypeVar("D")  # what load() builds: a struct, or a list of structs


def from_row(struct: type[T], row: dict[str, Any]) -> T:
    """Build a response struct from a database row (snake_case keys, extra columns ignored)."""
    return struct(**{name: row[name] for name in struct.__struct_fields__})


def load(struct: type[D], data: Any) -> D:
    """Build a response struct from a JSON document made by SQL (snake_case keys, nested structs). Only the struct's own field names are renamed; user data inside (payloads, specs) is left as is."""
    return msgspec.convert(_renamed(struct, data), struct, strict=False)


def _renamed(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_renamed(inner, v) for v in value]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if typing.get_origin(arg) is list or (isinstance(arg, type) and issubclass(arg, msgspec.Struct)):
                return _renamed(arg, value)
        return value
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and isinstance(value, dict):
        return {f.encode_name: _renamed(f.type, value[f.name])
                for f in msgspec.structs.fields(tp) if f.name in value}
    return value


def spec(body: msgspec.Struct) -> dict[str, Any]:
    """A request body as the snake_case spec SQL expects: the fields it carried (unset ones left out),
    nested structs too."""
    return {f: _plain(getattr(body, f)) for f in body.__struct_fields__ if getattr(body, f) is not msgspec.UNSET}


def _plain(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        return spec(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """JSON text of a value (dicts, lists, UUIDs, datetimes), for a `jsonb` parameter."""
    return msgspec.json.encode(value).decode()
