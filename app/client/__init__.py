"""The Python client of the agent API (`/api/internal/`): `Client` (sync) and `AsyncClient` (asyncio), with seed
004's hub client methods and every step, quota, step-kind, reviewer, input-request and external-event call.

    from app.client import Client
    with Client("http://127.0.0.1:8000", api_key) as missions:
        mission = missions.create_mission("Ship the report", tasks=[{"title": "Draft"}])
"""

from app.client.aio import AsyncClient
from app.client.calls import InvalidArguments, Page
from app.client.errors import (
    ClientError,
    Conflict,
    Forbidden,
    LeaseLost,
    NotFound,
    ProblemError,
    QuotaExhausted,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from app.client.sync import Client

__all__ = ["AsyncClient", "Client", "ClientError", "Conflict", "Forbidden", "InvalidArguments", "LeaseLost",
           "NotFound", "Page", "ProblemError", "QuotaExhausted", "TooLarge", "TooManyRequests", "Unauthenticated",
           "Unavailable", "ValidationFailed"]
