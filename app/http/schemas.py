"""What every area's bodies share: the request and response bases (camelCase on the wire), the problem
body of every error, and the vocabularies more than one area uses. Each area keeps its own bodies in
`app/http/<area>/schemas.py`; `app/http/codec.py` turns rows and bodies into each other."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Level = Literal["L0_APPLICANT", "L1_ACTIVATED", "L2_SKILLED", "L3_EXPOSED", "L4_EARNER", "L5_CATALYST"]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of request bodies: camelCase fields, unknown fields refused."""


class Out(msgspec.Struct, rename="camel"):
    """Base of response bodies: camelCase fields."""


class Problem(msgspec.Struct):
    """RFC 9457 problem details, as every error response carries them."""

    type: str
    title: str
    status: int
    detail: str = ""
    sqlstate: str | None = None
    constraint: str | None = None
    hint: str | None = None

