"""The HTTP load driver (a separate process): N concurrent agents, each looping claim-next → complete
against the API with its own key, for a fixed time. Prints one JSON object on stdout.

Each agent keeps one HTTP/1.1 keep-alive connection and speaks just enough HTTP to do that (asyncio
streams, Content-Length bodies): on a 2-core machine shared with the server and Postgres, a general
client library (httpx: ~1 ms of CPU per request) would measure the client as much as the API.

    python -m bench.http_load --base http://127.0.0.1:8123 --keys keys.json --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Connection:
    """One keep-alive HTTP/1.1 connection: POST JSON, read status and body."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, key: str, body: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {key}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next((int(v) for k, _, v in (line.partition(":") for line in lines[1:])
                       if k.lower() == "content-length"), 0)
        return status, (await self.reader.readexactly(length)) if length else b""

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def agent(base: str, key: str, stop_at: float, out: dict) -> None:
    url = urlsplit(base)
    conn = Connection(url.hostname or "127.0.0.1", url.port or 80)
    try:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            status, body = await conn.post("/api/internal/steps/claim-next", key, {})
            t1 = time.perf_counter()
            if status == 204:
                out["empty"] += 1
                continue
            if status != 200:
                out["errors"].append(f"claim {status} {body[:200]!r}")
                continue
            claim = json.loads(body)
            step_id, token = claim.get("stepId") or claim.get("id"), claim.get("leaseToken")
            status, body = await conn.post(f"/api/internal/steps/{step_id}/complete", key,
                                           {"leaseToken": token, "result": {}})
            t2 = time.perf_counter()
            if status != 200:
                out["errors"].append(f"complete {status} {body[:200]!r}")
                continue
            out["claim"].append((t1 - t0) * 1000)
            out["complete"].append((t2 - t1) * 1000)
            out["cycle"].append((t2 - t0) * 1000)
    finally:
        conn.close()


async def main_async(base: str, keys: list[str], seconds: float, warmup: float) -> dict:
    if warmup:
        scratch = {"claim": [], "complete": [], "cycle": [], "errors": [], "empty": 0}
        stop = time.perf_counter() + warmup
        await asyncio.gather(*(agent(base, k, stop, scratch) for k in keys))
    out = {"claim": [], "complete": [], "cycle": [], "errors": [], "empty": 0}
    started = time.perf_counter()
    await asyncio.gather(*(agent(base, k, started + seconds, out) for k in keys))
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed, "cycles": len(out["cycle"]), "rate": len(out["cycle"]) / elapsed,
        "empty": out["empty"], "errors": len(out["errors"]), "first_errors": out["errors"][:5],
        **{f"{k}_p50_ms": percentile(out[k], 50) for k in ("claim", "complete", "cycle")},
        **{f"{k}_p99_ms": percentile(out[k], 99) for k in ("claim", "complete", "cycle")},
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--keys", required=True, help="a JSON file: a list of API keys, one per concurrent agent")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=2)
    a = p.parse_args()
    keys = json.loads(open(a.keys).read())
    print(json.dumps(asyncio.run(main_async(a.base, keys, a.seconds, a.warmup))))


if __name__ == "__main__":
    main()
