"""Operations endpoints: /health (database, pg_cron, pgmq) and /metrics (Prometheus text; a bearer token when
MISSIONS_METRICS_TOKEN is set)."""

from __future__ import annotations

import json
import logging

import psycopg
from litestar import Controller, MediaType, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from app import queries
from app.http.db import DB
from app.http.limits import check_metrics_token
from app.http.openapi import METRICS_SECURITY, problems
from app.http.system.schemas import Health

log = logging.getLogger("missions.http")


class SystemController(Controller):
    tags = ["operations"]

    @get("/health", operation_id="getHealth", summary="Database, pg_cron and pgmq status",
         description="200 when everything is ok, 503 otherwise.",
         responses={503: ResponseSpec(data_container=Health, description="Something is not ok; the body says what")})
    async def health(self, db: DB) -> Response[Health]:
        try:
            checks = (await db.one(None, queries.HEALTH))["health"]
        except (psycopg.Error, OSError) as exc:
            log.warning("health check failed: %s", exc)
            checks = {"database": "unreachable", "pg_cron": "unknown", "pgmq": "unknown"}
        ok = all(v == "ok" for v in checks.values())
        body = Health(status="ok" if ok else "degraded", database=checks["database"],
                      pg_cron=checks["pg_cron"], pgmq=checks["pgmq"])
        return Response(body, status_code=200 if ok else 503)

    @get("/metrics", operation_id="getMetrics", summary="Prometheus metrics", media_type=MediaType.TEXT,
         description="Queue depths, events recorded, principals by role, missions by status. When the server has "
                     "a metrics token (MISSIONS_METRICS_TOKEN), send it as 'Authorization: Bearer <token>'.",
         security=METRICS_SECURITY, responses=problems(401))
    async def metrics(self, request: Request, db: DB) -> str:
        check_metrics_token(request, request.app.state.metrics_token)
        rows = await db.rows(None, queries.METRICS)
        return render_prometheus(rows)


def render_prometheus(rows: list[dict]) -> str:
    """Prometheus text exposition format (one HELP/TYPE header per metric name)."""
    lines: list[str] = []
    seen: set[str] = set()
    for row in rows:
        name = row["name"]
        if name not in seen:
            seen.add(name)
            lines += [f"# HELP {name} {row['help']}", f"# TYPE {name} {row['type']}"]
        labels = ",".join(f'{k}={json.dumps(str(v))}' for k, v in sorted(row["labels"].items()))
        lines.append(f"{name}{{{labels}}} {row['value']:g}" if labels else f"{name} {row['value']:g}")
    return "\n".join(lines) + "\n"
