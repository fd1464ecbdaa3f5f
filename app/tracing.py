"""Traces across processes (OpenTelemetry), off by default.

On with `MISSIONS_TRACING=otlp` (spans exported by OTLP over HTTP; the standard `OTEL_EXPORTER_OTLP_*` variables
say where) in `missions serve`, `missions worker` and `missions agent run`. Then:

- every HTTP request is a span (Litestar's OpenTelemetry plugin), every SQL statement a child span
  (`opentelemetry-instrumentation-psycopg`);
- each request hands its W3C `traceparent` to SQL (`missions.traceparent`, transaction-local, set with the
  key check): a mission created in it keeps it (`missions.trace_context`);
- a claim, a heartbeat or a completion answers with that `traceContext`, and the span of the request that
  claims or completes, the agent loop's span for the step (another process) and the worker's span for an
  event link back to the trace of the request that created the mission.

Off, the API calls below are no-ops and SQL gets an empty traceparent.
"""

from __future__ import annotations

import os
import re

from opentelemetry import trace
from opentelemetry.trace import Link, NoOpTracerProvider, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def use(provider: TracerProvider) -> None:
    """Turn tracing on with this provider (tests pass one with an in-memory exporter) and trace SQL calls."""
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    global _provider
    _provider = provider
    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)


def stop() -> None:
    """Turn tracing off again (SQL calls are no longer wrapped)."""
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    global _provider
    if _provider is not None:
        PsycopgInstrumentor().uninstrument()
    _provider = None


def configure_from_env(service: str) -> bool:
    """`MISSIONS_TRACING=otlp`: export this process's spans by OTLP as `service`; True when tracing is on."""
    mode = os.environ.get("MISSIONS_TRACING", "off").lower()
    if mode in ("", "off"):
        return False
    if mode != "otlp":
        raise RuntimeError(f"MISSIONS_TRACING must be off or otlp, not {mode!r}")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkTracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use(provider)
    return True


def provider() -> TracerProvider | None:
    """The provider in use, None when tracing is off."""
    return _provider


def tracer() -> Tracer:
    return (_provider or NoOpTracerProvider()).get_tracer("missions")


def current_traceparent() -> str:
    """The W3C traceparent of the current span ('' when tracing is off or nothing is being traced)."""
    if _provider is None:
        return ""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent", "")


def links(traceparent: str | None) -> list[Link]:
    """A link to the span a traceparent names (none for an empty or malformed one)."""
    if not traceparent or not TRACEPARENT.match(traceparent):
        return []
    context = trace.get_current_span(_propagator.extract({"traceparent": traceparent})).get_span_context()
    return [Link(context)] if context.is_valid else []


def link_current_span(traceparent: str | None) -> None:
    """Link the current span (an HTTP request's) to the trace a mission was created in."""
    span = trace.get_current_span()
    for link in links(traceparent):
        span.add_link(link.context)
