"""Send one delivery: the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
signed by the `standardwebhooks` package with every unexpired secret), a POST to the guarded target with the
delivery's timeout and no redirects, and the outcome as an attempt for `missions.record_webhook_attempt`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from app.webhooks import guard

USER_AGENT = "mission-engine-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    latency_ms: int
    error: str | None


def signature(secrets: list[str], webhook_id: str, at: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated (receivers accept any one)."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets)


def send(client: httpx.Client, job: dict[str, Any]) -> Attempt:
    """POST the job (a row of `missions.webhook_delivery_to_send`) and say how it went; never raises."""
    started = time.monotonic()

    def attempt(status: int | None, error: str | None) -> Attempt:
        return Attempt(status, round((time.monotonic() - started) * 1000), error)

    try:
        target = guard.check(job["url"], guard.networks(job["allowed_networks"]))
    except guard.TargetRefused as exc:
        return attempt(None, f"refused by the SSRF guard: {exc}")
    now = datetime.now(UTC).replace(microsecond=0)
    body: str = job["body"]
    headers = {
        "webhook-id": job["webhook_id"],
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(job["secrets"], job["webhook_id"], now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": target.host_header,
    }
    extensions = {"sni_hostname": target.tls_name} if target.tls_name else {}
    timeout = job["timeout_ms"] / 1000
    try:
        with client.stream("POST", target.url, content=body.encode(), headers=headers, timeout=timeout,
                           extensions=extensions) as response:
            status = response.status_code
    except httpx.TimeoutException:
        return attempt(None, f"timed out after {job['timeout_ms']} ms")
    except httpx.HTTPError as exc:
        return attempt(None, f"{type(exc).__name__}: {exc}"[:1000])
    return attempt(status, None if 200 <= status < 300 else f"HTTP {status}")


def new_client() -> httpx.Client:
    """The worker's HTTP client: no redirects followed (a redirect is a failed attempt), no proxies from the
    environment (they would bypass the guard's pinned address)."""
    return httpx.Client(follow_redirects=False, trust_env=False)
