"""The Litestar application factory: the shared pieces (pool, errors, limits, logs, OpenAPI) and every
area's controllers (app/http/<area>/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

from app import tracing
from app.config import Settings
from app.db.urls import app_url, check_app_login
from app.http.admin.controllers import AdminController, PrincipalController
from app.http.agents.aliases import document_aliases
from app.http.agents.controllers import AgentMissionController, AgentWorkController
from app.http.db import Database, make_pool
from app.http.engagement.admin import AlertController, EngagementAdminController, StipendTierController
from app.http.engagement.participants import EngagementController
from app.http.engagement.wall import WallController
from app.http.errors import problem_details_plugin
from app.http.events.controllers import EventStreamController
from app.http.events.listener import listening
from app.http.learning.analytics import LearningAnalyticsController
from app.http.learning.evidence import EvidenceController, provide_store
from app.http.learning.missions import LearningController
from app.http.learning.recipes import RecipeController
from app.http.learning.reviews import LearningReviewController
from app.http.learning.templates import LearningTemplateController
from app.http.limits import rate_limit_config
from app.http.logs import access_log, configure_logging
from app.http.notifications.controllers import NotificationController
from app.http.openapi import COMPONENTS, complete_document
from app.http.system.controllers import SystemController
from app.http.webhooks.controllers import WebhookController
from app.mcp.http import mcp_endpoint
from app.mcp.http import running as mcp_running
from app.storage import EvidenceStore, LocalStore

MAX_BODY_BYTES = 1024 * 1024


def database(state: State) -> Database:
    """The request's handle on the pool (one transaction per call)."""
    return state.db


def traced() -> list[OpenTelemetryPlugin]:
    """Litestar's OpenTelemetry plugin (a span per request) when tracing is on (app/tracing.py)."""
    provider = tracing.provider()
    return [OpenTelemetryPlugin(OpenTelemetryConfig(tracer_provider=provider))] if provider else []


def create_app(database_url: str | None = None, settings: Settings | None = None,
               evidence_dir: Path | str | None = None, evidence_store: EvidenceStore | None = None) -> Litestar:
    """Build the app; `database_url` overrides the configured one and `evidence_dir` the evidence
    directory (tests pass theirs); `evidence_store` replaces the local store with another backend."""
    settings = settings or Settings.from_env()
    url = database_url or app_url(settings)
    store = evidence_store or LocalStore(evidence_dir or settings.evidence_dir)
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if database_url is None:  # the configured login: refuse a privileged one outside the embedded cluster
            check_app_login(settings)
        pool = make_pool(url, settings.pool_max, timeout=settings.pool_timeout,
                         statement_timeout_ms=settings.statement_timeout_ms)
        await pool.open()
        app.state.db = Database(pool)
        try:
            async with mcp_running(app), listening(url) as listener:
                app.state.events = listener
                yield
        finally:
            await pool.close()

    app = Litestar(
        route_handlers=[SystemController, PrincipalController, AdminController, EngagementController,
                        EngagementAdminController, AlertController, StipendTierController, WallController, AgentMissionController,
                        AgentWorkController, LearningController, LearningReviewController, EvidenceController,
                        LearningTemplateController, RecipeController, LearningAnalyticsController, NotificationController,
                        WebhookController, EventStreamController,
                        mcp_endpoint],
        dependencies={"db": Provide(database, sync_to_thread=False),
                      "store": Provide(provide_store, sync_to_thread=False)},
        state=State({"evidence_store": store, "metrics_token": settings.metrics_token}),
        lifespan=[lifespan],
        plugins=[problem_details_plugin(), *traced()],
        middleware=[access_log] + ([rate_limit_config(settings.rate_limit).middleware] if settings.rate_limit else []),
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="Mission engine",
            version="0.1.0",
            description="Missions made of steps, done by people and AI agents. Errors are RFC 9457 problem+json.",
            path="/schema",
            components=COMPONENTS,
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        ),
    )
    complete_document(app.openapi_schema)
    document_aliases(app.openapi_schema)
    return app
