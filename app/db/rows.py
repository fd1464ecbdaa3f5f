"""Row helpers shared by the CLI, the worker and the HTTP handlers."""

from __future__ import annotations

from typing import TypeVar

R = TypeVar("R")


def the_row(row: R | None) -> R:
    """The row of a query that always returns one (a function call, a count, an INSERT … RETURNING):
    a clear error instead of indexing None when it did not."""
    if row is None:
        raise RuntimeError("the query returned no row where one was expected")
    return row
