"""Structured logs: one JSON line per request, and JSON formatting for every logger."""

from __future__ import annotations

import json
import logging
import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("missions.http")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name,
                "msg": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("missions")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def access_log(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: logs method, path, status and duration of every HTTP request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:  # the enum member (a str), so the scope narrows to HTTPScope
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            log.info("request", extra={"fields": {
                "method": scope["method"], "path": scope["path"], "status": status,
                "ms": round((time.perf_counter() - start) * 1000, 2)}})

    return middleware
