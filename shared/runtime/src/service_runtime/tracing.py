"""OpenTelemetry tracing of a service: off by default, on with one setting.

``<SERVICE>_TRACING_OTLP_ENDPOINT`` (e.g. ``http://otel-collector:4318``) turns it on: spans
of HTTP requests, outbox publishing and consumed events go to that OTLP/HTTP endpoint in
batches, under the resource ``service.name`` = the service, ``service.instance.id`` = the
replica. Each app has its own tracer provider (not the process-global one), so services that
share a process, as in the tests, keep their names apart. How the trace crosses Kafka:
``defense_messaging.tracing``.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from service_runtime.logs import replica_name
from service_runtime.settings import ServiceSettings

INSTRUMENTATION = "defense-coverage"


def span_processors(settings: ServiceSettings) -> list[SpanProcessor]:
    """Where spans go: the OTLP exporter when an endpoint is set, else nowhere (tracing off).
    Tests replace this to collect spans in memory."""
    endpoint = settings.tracing_otlp_endpoint
    if not endpoint:
        return []
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return [BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces"))]


def tracer_provider(service: str, settings: ServiceSettings) -> TracerProvider | None:
    """The service's own provider, or None when tracing is off."""
    processors = span_processors(settings)
    if not processors:
        return None
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": service, "service.instance.id": replica_name(settings)}
        )
    )
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def tracer_of(provider: TracerProvider | None) -> trace.Tracer | None:
    return None if provider is None else provider.get_tracer(INSTRUMENTATION)
