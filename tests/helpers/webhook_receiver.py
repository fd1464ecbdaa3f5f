"""A real local HTTP receiver for webhook tests: it verifies every request's Standard Webhooks signature with the
`standardwebhooks` library (against each secret it was given) and answers from a script of statuses and delays."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    body: dict[str, Any]
    verified_with: list[str]  # the secrets whose signature matched
    status: int  # what the receiver answered


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    script: list[int | float] = field(default_factory=list)  # next answers: an HTTP status, or seconds to stall
    received: list[Received] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int | float:
        with self.lock:
            return self.script.pop(0) if self.script else 204

    def verify(self, body: bytes, headers: dict[str, str]) -> list[str]:
        matched = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                matched.append(secret)
            except WebhookVerificationError:
                pass
        return matched

    def delivered(self) -> list[Received]:
        """The requests answered 2xx."""
        return [r for r in self.received if 200 <= r.status < 300]


@contextmanager
def receiving(**kwargs: Any) -> Iterator[Receiver]:
    receiver = Receiver(**kwargs)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = receiver.answer()
            if isinstance(answer, float):
                time.sleep(answer)
                answer = 204
            with receiver.lock:
                receiver.received.append(Received(headers.get("webhook-id", ""), json.loads(body),
                                                  receiver.verify(body, headers), answer))
            self.send_response(answer)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://localhost:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
