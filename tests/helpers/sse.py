"""A small Server-Sent Events reader over httpx for stream tests: messages and comments, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Message:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comment: str | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.data)


def messages(response: httpx.Response) -> Iterator[Message]:
    """Each message (id/event/data) or comment (`: text`) of an open SSE response, as it arrives."""
    current = Message()
    for line in response.iter_lines():
        if line.startswith(":"):
            yield Message(comment=line[1:].strip())
        elif not line:
            if current.id is not None or current.data:
                yield current
            current = Message()
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                current.data = f"{current.data}\n{value}" if current.data else value
            elif name in ("id", "event"):
                setattr(current, name, value)


def until(stream: Iterator[Message], wanted: Any, limit: int = 200) -> list[Message]:
    """Read messages up to and including the first one `wanted(message)` accepts."""
    seen = []
    for message in stream:
        seen.append(message)
        if wanted(message):
            return seen
        if len(seen) >= limit:
            break
    raise AssertionError(f"not seen in {len(seen)} messages: {[(m.event, m.comment) for m in seen]}")
