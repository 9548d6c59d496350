"""Live metrics out through OpenTelemetry: `loadspec run --otel`, on Locust's own integration.

`start` builds this process's OpenTelemetry meter provider from the standard `OTEL_*` variables
(`OTEL_METRICS_EXPORTER`: `otlp` by default, `console`, `prometheus`, `none`; `OTEL_EXPORTER_OTLP_*`,
`OTEL_EXPORTER_PROMETHEUS_HOST`/`_PORT`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`), then calls
Locust's `setup_opentelemetry` (its traces, logs, HTTP auto-instrumentation and its
`locust.client.duration` / `locust.users.count` instruments, which land in the same provider). It
adds loadspec's request histogram, `loadspec.request.duration` (seconds), whose attributes name the
test, scenario, step, method and outcome, and `Telemetry.finish` records the run's verdict as the
`loadspec.run.verdict` gauge (its exit code, with `status`) before flushing. Locust 2.47 has no
Prometheus metrics exporter ("not yet implemented"), so that one is set up here. In a distributed
run every worker process starts its own (`runtime.locust_users(otel=True)`): requests are measured
where they are sent; a Prometheus endpoint that finds its port taken moves to the next free one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from locust import events

from ..errors import UsageError
from .compiler import CompiledTest

logger = logging.getLogger("loadspec")

#: The attributes of `loadspec.request.duration`, in Prometheus as labels of the same names.
REQUEST_ATTRIBUTES = ("test", "scenario", "step", "method", "outcome")
PROMETHEUS_PORT_TRIES = 64
#: Histogram buckets in seconds for request durations (OpenTelemetry's default, 0 5 10 25 … 10000,
#: is meant for milliseconds and would put every request of a fast service in one bucket).
DURATION_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                      10.0, 30.0, 60.0)
_STARTED: dict[str, Telemetry] = {}


def exporters(variable: str) -> set[str]:
    """The exporters named by an `OTEL_*_EXPORTER` variable (default `otlp`), lower-cased."""
    return {name.strip().lower() for name in os.environ.get(variable, "otlp").split(",") if name.strip()}


@dataclass
class Telemetry:
    """This process's OpenTelemetry session: the provider and loadspec's instruments."""

    provider: Any
    test_name: str
    verdict_gauge: Any
    prometheus: tuple[str, int] | None = None  # (host, port) of a Prometheus endpoint served here
    servers: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        """`OpenTelemetry metrics: prometheus at http://127.0.0.1:9464/metrics` (or the exporters)."""
        names = sorted(exporters("OTEL_METRICS_EXPORTER") - {"none"})
        parts = [f"prometheus at http://{self.prometheus[0]}:{self.prometheus[1]}/metrics"
                 if name == "prometheus" and self.prometheus else name for name in names]
        return "OpenTelemetry metrics: " + (", ".join(parts) or "no exporter (OTEL_METRICS_EXPORTER=none)")

    def finish(self, exit_code: int, status: str) -> None:
        """Record the verdict (`loadspec.run.verdict` = exit code, with `status`) and push what is
        buffered (OTLP, console); a Prometheus endpoint serves it until the process ends."""
        self.verdict_gauge.set(exit_code, {"test": self.test_name, "status": status})
        try:
            self.provider.force_flush(timeout_millis=10_000)
        except Exception as exc:  # noqa: BLE001  (an unreachable collector must not fail the run)
            logger.warning("loadspec: OpenTelemetry flush failed: %s", exc)


def _require_sdk() -> None:
    try:
        import opentelemetry.sdk.metrics  # noqa: F401
    except ImportError:
        raise UsageError("--otel needs the OpenTelemetry SDK: pip install 'loadspec[otel]'") from None


def _otlp_reader() -> Any | None:
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    protocol = os.environ.get("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
                              os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")).strip().lower()
    try:
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        elif protocol in ("http/protobuf", "http"):
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # type: ignore
        else:
            raise UsageError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: use grpc or http/protobuf")
    except ImportError:
        raise UsageError(f"the OTLP {protocol} exporter is not installed: pip install 'loadspec[otel]'") from None
    return PeriodicExportingMetricReader(OTLPMetricExporter())


def _prometheus_reader() -> tuple[Any, Any, tuple[str, int]]:
    try:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError:
        raise UsageError("OTEL_METRICS_EXPORTER=prometheus needs opentelemetry-exporter-prometheus: "
                         "pip install 'loadspec[otel]'") from None
    host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "localhost")
    port = int(os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "9464"))
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry)
    for candidate in range(port, port + PROMETHEUS_PORT_TRIES):
        try:
            server, _ = start_http_server(candidate, addr=host, registry=registry)
        except OSError:
            continue
        return reader, server, (host, int(getattr(server, "server_port", candidate)))
    raise UsageError(f"no free port for the Prometheus endpoint in {host}:{port}..{port + PROMETHEUS_PORT_TRIES - 1}")


def _readers() -> tuple[list[Any], list[Any], tuple[str, int] | None]:
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader

    readers, servers, prometheus = [], [], None
    for name in sorted(exporters("OTEL_METRICS_EXPORTER")):
        if name == "otlp":
            readers.append(_otlp_reader())
        elif name == "console":
            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
        elif name == "prometheus":
            reader, server, prometheus = _prometheus_reader()
            readers.append(reader)
            servers.append(server)
        elif name != "none":
            raise UsageError(f"OTEL_METRICS_EXPORTER={name}: loadspec knows otlp, console, prometheus and none")
    return readers, servers, prometheus


@contextmanager
def _quiet_locust_setup() -> Iterator[None]:
    """Locust builds a second meter provider from the same variables; OpenTelemetry keeps the first
    (ours), so its instruments land in ours. Silence the two warnings that this, and Locust's missing
    Prometheus exporter, print: both are expected here."""
    loggers = [logging.getLogger(name) for name in ("opentelemetry.metrics._internal", "locust.opentelemetry")]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


def start(test: CompiledTest, *, role: str = "local") -> Telemetry:
    """Turn on OpenTelemetry in this process (once): loadspec's provider and instruments, then
    Locust's own integration. `role` (`local`, `master`, `worker`) is a resource attribute."""
    if "telemetry" in _STARTED:
        return _STARTED["telemetry"]
    _require_sdk()
    from locust.opentelemetry import setup_opentelemetry
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
    from opentelemetry.sdk.resources import Resource

    from .._version import __version__

    readers, servers, prometheus = _readers()
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "loadspec"),
                                "loadspec.version": __version__, "loadspec.test": test.spec.name,
                                "loadspec.role": role})
    buckets = ExplicitBucketHistogramAggregation(DURATION_BUCKETS_S)
    views = [View(instrument_name=name, aggregation=buckets)
             for name in ("loadspec.request.duration", "locust.client.duration")]
    provider = MeterProvider(resource=resource, metric_readers=readers, views=views)
    metrics.set_meter_provider(provider)
    meter = metrics.get_meter("loadspec", __version__)
    durations = meter.create_histogram(
        "loadspec.request.duration", unit="s",
        description="Response time of each request, by test, scenario, step, method and outcome")
    verdict = meter.create_gauge("loadspec.run.verdict", description="The run's exit code at its end, with status")
    scenario_of = _scenario_of_steps(test)
    test_name = test.spec.name

    def on_request(request_type: str, name: str, response_time: float | None, exception: Any = None,
                   context: dict[str, Any] | None = None, **_: Any) -> None:
        if response_time is None:
            return
        scenario = (context or {}).get("scenario") or scenario_of.get(name, "")
        durations.record(response_time / 1000.0, {"test": test_name, "scenario": scenario, "step": name,
                                                  "method": request_type,
                                                  "outcome": "failure" if exception else "success"})

    events.request.add_listener(on_request)
    source = str(test.spec.source) if test.spec.source else test_name
    with _quiet_locust_setup():
        setup_opentelemetry(source, None)
    telemetry = Telemetry(provider, test_name, verdict, prometheus, servers)
    _STARTED["telemetry"] = telemetry
    if role == "worker":  # Locust configured logging in a worker process: its log says where
        logger.info("loadspec: %s", telemetry.describe())
    return telemetry


class StartWhenRunning:
    """Runner monitor that calls `start` at the first tick of a distributed run, once the local
    worker processes exist: OpenTelemetry's at-fork handlers (thread pools re-made in the child)
    can hang a process forked under gevent, so the master forks its workers first."""

    def __init__(self, test: CompiledTest, out: Any = None):
        self.test, self.out = test, out
        self.telemetry: Telemetry | None = None

    def __call__(self, env: Any, elapsed: float) -> None:
        if self.telemetry is None:
            self.telemetry = start(self.test, role="master")
            if self.out is not None:
                self.out.write(self.telemetry.describe() + "\n")
                self.out.flush()
        return None


def _scenario_of_steps(test: CompiledTest) -> dict[str, str]:
    """Step name → scenario for entries fired without a user's context (groups)."""
    from ..model import iter_steps

    found: dict[str, str] = {}
    for scenario in test.spec.scenarios:
        for step in iter_steps(scenario.setup + scenario.steps):
            if getattr(step, "name", None):
                found.setdefault(str(step.name), scenario.name)
    return found


__all__ = ["DURATION_BUCKETS_S", "PROMETHEUS_PORT_TRIES", "REQUEST_ATTRIBUTES", "StartWhenRunning", "Telemetry",
           "exporters", "start"]
