"""Keyset paging over HTTP, in one place: the `limit` and `cursor` query parameters, the opaque cursor
(base64url of the last row's page key, a JSON object the SQL list function validates as `p_after`), the
`Link: <…>; rel="next"` header (RFC 8288) and the `X-Next-Cursor` header.

Every list query in app/queries.py returns a `page_key` column (the key of its ORDER BY as JSON text);
a page that came back full carries a next cursor, so the last page may be empty. Two body shapes:
lists whose path a seed document defines (and the two lists that were paged before) keep their JSON
array and carry the cursor only in the headers; every other list answers `{"items": [...],
"nextCursor": ...}` as well as the headers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from app.http.errors import problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200  # the same rule as missions_private.page_size (SQL refuses anything else with MS422)
MAX_CURSOR_LENGTH = 2000

Limit = Parameter(ge=1, le=MAX_LIMIT, default=DEFAULT_LIMIT, description=f"Rows per page, 1..{MAX_LIMIT}")
Cursor = Parameter(default=None, min_length=1, max_length=MAX_CURSOR_LENGTH, pattern=r"^[A-Za-z0-9_-]+$",
                   description="Opaque: the `nextCursor` (or `X-Next-Cursor`, or the Link rel=next URL) of the "
                               "previous page; absent for the first page")

HEADERS = [
    ResponseHeader(name="Link", documentation_only=True, required=False,
                   description='`<URL of the next page>; rel="next"` when the page is full (RFC 8288)'),
    ResponseHeader(name="X-Next-Cursor", documentation_only=True, required=False,
                   description="The cursor of the next page when the page is full"),
]


def _bad_cursor(detail: str) -> Exception:
    return problem(422, "validation", "Invalid input", f"invalid cursor: {detail}")


def encode_cursor(page_key: str) -> str:
    """The cursor for a page key (JSON text): base64url without padding."""
    return base64.urlsafe_b64encode(page_key.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> str | None:
    """The page key (JSON text, passed to SQL as p_after) of a cursor; 422 problem unless it decodes to a
    non-empty JSON object. The SQL function checks the object's keys and value types (MS422 / 22xxx: 422)."""
    if cursor is None:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _bad_cursor("too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw.decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor("not a cursor this API issued") from None
    if not isinstance(key, dict) or not key:
        raise _bad_cursor("not a cursor this API issued")
    return json.dumps(key)


def params(limit: int, cursor: str | None) -> dict[str, Any]:
    """The query parameters of a list query: %(limit)s and %(after)s."""
    return {"limit": limit, "after": decode_cursor(cursor)}


def next_cursor(rows: Sequence[dict[str, Any]], limit: int) -> str | None:
    """A full page has a next page (maybe empty): the cursor of its last row's page key."""
    return encode_cursor(rows[-1]["page_key"]) if rows and len(rows) >= limit else None


def next_link(request: Request, cursor: str) -> str:
    """The Link header value for the next page: this request's path and query with the new cursor."""
    query = [(k, v) for k, v in parse_qsl(request.url.query or "", keep_blank_values=True) if k != "cursor"]
    query.append(("cursor", cursor))
    return f'<{request.url.path}?{urlencode(query)}>; rel="next"'


def headers(request: Request, cursor: str | None) -> dict[str, str]:
    """Link and X-Next-Cursor for a full page. `offset` (the ledger, the wall and the recipes took it before
    cursors) is refused rather than ignored, so an old client's offset loop cannot fetch page one forever."""
    if "offset" in request.query_params:
        raise problem(422, "validation", "Invalid input", "offset is not supported: follow the cursor "
                      "(nextCursor, X-Next-Cursor or the Link rel=next URL)")
    return {"Link": next_link(request, cursor), "X-Next-Cursor": cursor} if cursor else {}


def array(request: Request, items: list[Any], rows: Sequence[dict[str, Any]], limit: int) -> Response:
    """A JSON array body (a seed-defined list); the next cursor travels in the headers only."""
    return Response(items, headers=headers(request, next_cursor(rows, limit)))


def envelope(request: Request, page: type[msgspec.Struct], items: list[Any], rows: Sequence[dict[str, Any]],
             limit: int) -> Response:
    """`{"items": [...], "nextCursor": ...}` plus the headers."""
    cursor = next_cursor(rows, limit)
    return Response(page(items=items, next_cursor=cursor), headers=headers(request, cursor))


def page_of(item: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The page body of a list of `item`: items and nextCursor (null on the last page)."""
    return msgspec.defstruct(f"{item.__name__}Page", [("items", list[item]), ("next_cursor", str | None)],  # type: ignore[valid-type]  # item is a runtime class
                             rename="camel", module=item.__module__)
