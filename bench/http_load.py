"""The HTTP load driver (a separate process): N concurrent agents, each looping claim-next → complete
against the API with its own key, for a fixed time. Prints one JSON object on stdout.

    python -m bench.http_load --base http://127.0.0.1:8123 --keys keys.json --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


async def agent(client: httpx.AsyncClient, key: str, stop_at: float, out: dict) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        r = await client.post("/api/internal/steps/claim-next", headers=headers, json={})
        t1 = time.perf_counter()
        if r.status_code == 204:
            out["empty"] += 1
            continue
        if r.status_code != 200:
            out["errors"].append(f"claim {r.status_code} {r.text[:200]}")
            continue
        claim = r.json()
        step_id, token = claim.get("stepId") or claim.get("id"), claim.get("leaseToken")
        r = await client.post(f"/api/internal/steps/{step_id}/complete", headers=headers,
                              json={"leaseToken": token, "result": {}})
        t2 = time.perf_counter()
        if r.status_code != 200:
            out["errors"].append(f"complete {r.status_code} {r.text[:200]}")
            continue
        out["claim"].append((t1 - t0) * 1000)
        out["complete"].append((t2 - t1) * 1000)
        out["cycle"].append((t2 - t0) * 1000)


async def main_async(base: str, keys: list[str], seconds: float, warmup: float) -> dict:
    limits = httpx.Limits(max_connections=len(keys), max_keepalive_connections=len(keys))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        if warmup:
            scratch = {"claim": [], "complete": [], "cycle": [], "errors": [], "empty": 0}
            stop = time.perf_counter() + warmup
            await asyncio.gather(*(agent(client, k, stop, scratch) for k in keys))
        out = {"claim": [], "complete": [], "cycle": [], "errors": [], "empty": 0}
        started = time.perf_counter()
        await asyncio.gather(*(agent(client, k, started + seconds, out) for k in keys))
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
