"""Seed 004's spellings on /api/internal: a client written from seed 004 sends snake_case bodies
(`{"title", "user_id", "agent_id", "conversation_id"}`), this API documents camelCase. One place makes both
work, for every body of every route of the area, nested bodies included:

- every field of a request body struct is accepted under its camelCase name (the documented one) and its
  snake_case name (the Python field name, which is seed 004's spelling);
- a struct may name seed 004's own words for its fields in `seed_aliases` (`{"user_id": "owner_id"}`): each is
  accepted in snake_case and in camelCase too;
- a body naming one field twice (`ownerId` and `owner_id`, or `owner_id` and `user_id`) with different values is
  422 with a detail naming both; the same value twice is accepted;
- any other key is left as it is, so the struct (`forbid_unknown_fields`) still refuses it with 422.

Only the keys of request body structs are renamed: values typed as free JSON (a payload, a result, a context)
are the caller's data and pass untouched. `AliasRequest` applies it when Litestar reads the JSON body, before the
body is validated; `document_aliases` says so in the OpenAPI document. Responses keep their camelCase names.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPI, Reference, Schema

from app.http.schemas import Body

PREFIX = "/api/internal"


def camel(name: str) -> str:
    """`conversation_id` -> `conversationId` (msgspec's rename="camel")."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def accepted_names(struct: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    """Every name a body struct accepts for each of its fields: camelCase, snake_case and seed aliases."""
    fields = {f.name: f for f in msgspec.structs.fields(struct)}
    names: dict[str, msgspec.structs.FieldInfo] = {}
    for f in fields.values():
        names[f.encode_name] = names[f.name] = f
    for alias, target in getattr(struct, "seed_aliases", {}).items():
        names[alias] = names[camel(alias)] = fields[target]
    return names


def _same(a: Any, b: Any) -> bool:
    """The same JSON value (true is not 1, key order does not matter)."""
    return bool(msgspec.json.encode(a, order="sorted") == msgspec.json.encode(b, order="sorted"))


def canonical(tp: Any, value: Any, where: str = "") -> Any:
    """`value` (decoded JSON) with the keys of every body struct `tp` holds renamed to their documented
    camelCase names; a field given under two names with different values raises ValidationException (422)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return canonical(typing.get_args(tp)[0], value, where)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            shaped = (isinstance(value, list) and typing.get_origin(arg) is list) or (
                isinstance(value, dict) and isinstance(arg, type) and issubclass(arg, msgspec.Struct))
            if shaped or typing.get_origin(arg) is typing.Annotated:
                renamed = canonical(arg, value, where)
                if renamed is not value:
                    return renamed
        return value
    if origin is list and isinstance(value, list):
        (inner,) = typing.get_args(tp)
        return [canonical(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and isinstance(value, dict):
        names = accepted_names(tp)
        out: dict[str, Any] = {}
        given_as: dict[str, str] = {}
        for key, item in value.items():
            field = names.get(key)
            if field is None:
                out[key] = item  # unknown: the struct refuses it
                continue
            name = field.encode_name
            item = canonical(field.type, item, f"{where}.{name}" if where else name)
            if name in out:
                if not _same(out[name], item):
                    raise ValidationException(
                        f"{where + '.' if where else ''}{given_as[name]} and {key} name the same field ({name}) "
                        "with different values: send one of them")
                continue
            out[name], given_as[name] = item, key
        return out
    return value


@functools.cache
def _body_type(handler: Any) -> Any:
    """The annotation of a handler's `data` parameter (None without a body)."""
    field = handler.parsed_fn_signature.parameters.get("data")
    return field.raw if field is not None else None


class AliasRequest(Request[Any, Any, Any]):
    """The request of the /api/internal controllers: its JSON body reaches validation with seed 004's snake_case
    names (and the structs' seed aliases) renamed to the documented camelCase ones."""

    async def json(self) -> Any:
        value = await super().json()
        target = _body_type(self.route_handler)
        return value if target is None else canonical(target, value)


def _body_structs() -> dict[str, type[msgspec.Struct]]:
    found: dict[str, type[msgspec.Struct]] = {}
    pending: list[type[msgspec.Struct]] = [Body]
    while pending:
        sub: type[msgspec.Struct]
        for sub in pending.pop().__subclasses__():
            found[sub.__name__] = sub
            pending.append(sub)
    return found


def _refs(schema: Any) -> typing.Iterator[str]:
    """Component names a schema refers to, directly or in its properties, items and branches."""
    if isinstance(schema, Reference):
        yield schema.ref.rsplit("/", 1)[-1]
    elif isinstance(schema, Schema):
        subs: list[Any] = [*(schema.properties or {}).values(), schema.items, *(schema.one_of or []),
                           *(schema.any_of or [])]
        for sub in subs:
            if sub is not None:
                yield from _refs(sub)


def alias_note(struct: type[msgspec.Struct]) -> str:
    """What the document says about a body's other names ("" when it has none)."""
    snake = [f"`{f.name}`" for f in msgspec.structs.fields(struct) if f.name != f.encode_name]
    seed = sorted(getattr(struct, "seed_aliases", {}).items())
    if not snake and not seed:
        return ""
    parts = [f"Also accepted in snake_case, seed 004's spelling: {', '.join(snake)}."] if snake else []
    parts += [f"Seed 004's `{alias}` (or `{camel(alias)}`) is accepted for `{camel(target)}`." for alias, target in seed]
    parts.append("A field given under two names with different values is 422.")
    return " ".join(parts)


def document_aliases(spec: OpenAPI) -> None:
    """Add the alias note to the description of every request body schema of /api/internal (nested ones too)."""
    schemas = spec.components.schemas if spec.components and spec.components.schemas else {}
    structs = _body_structs()
    pending = [name for path, item in (spec.paths or {}).items() if path.startswith(PREFIX)
               for op in filter(None, (item.post, item.put, item.patch, item.delete))
               if op.request_body and not isinstance(op.request_body, Reference)
               for media in (op.request_body.content or {}).values() for name in _refs(media.schema)]
    done: set[str] = set()
    while pending:
        name = pending.pop()
        schema = schemas.get(name)
        if name in done or name not in structs or not isinstance(schema, Schema):
            continue
        done.add(name)
        note = alias_note(structs[name])
        if note:
            schema.description = f"{schema.description}\n\n{note}" if schema.description else note
        pending.extend(_refs(schema))
