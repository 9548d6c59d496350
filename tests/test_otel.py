"""`loadspec run --otel` exports live request metrics through OpenTelemetry while the test runs.

With the Prometheus exporter (`OTEL_METRICS_EXPORTER=prometheus`, on 127.0.0.1 and a free port)
the endpoint is scraped in the middle of a run: `loadspec_request_duration_seconds` names the
step, the scenario and the outcome, its counts never exceed what the recording server received
and grow while the run goes on; Locust's own `locust_client_duration` histogram (its integration)
is there too, and with `--processes 2` each worker process serves its own requests on the next
free port. The `test` extra installs the `otel` extra, so these run in CI.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SPEC = """
    name: shop
    scenarios:
      - name: browse
        steps:
          - {name: list items, get: /items}
          - {name: missing, get: /status/404, on_fail: continue}
    """
_COUNT = re.compile(r'^loadspec_request_duration_seconds_count\{(?P<labels>[^}]*)\} (?P<value>[0-9.e+]+)$', re.M)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _counts(port: int) -> dict[tuple[str, str, str], float]:
    """(step, scenario, outcome) → request count, scraped from the Prometheus endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        body = response.read().decode()
    found: dict[tuple[str, str, str], float] = {}
    for match in _COUNT.finditer(body):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
        key = (labels["step"], labels["scenario"], labels["outcome"])
        found[key] = found.get(key, 0.0) + float(match["value"])
    if found:
        assert "locust_client_duration_seconds_bucket" in body  # Locust's own instrument, in the same provider
        assert 'le="0.1"' in body  # buckets in seconds, not OpenTelemetry's millisecond-sized default
    return found


def _start(tmp_path: Path, server_url: str, port: int, *extra: str) -> subprocess.Popen[str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(SPEC), encoding="utf-8")
    env = {**os.environ, "OTEL_METRICS_EXPORTER": "prometheus", "OTEL_TRACES_EXPORTER": "none",
           "OTEL_LOGS_EXPORTER": "none", "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
           "OTEL_EXPORTER_PROMETHEUS_PORT": str(port)}
    return subprocess.Popen([sys.executable, "-m", "loadspec", "run", str(spec), "--host", server_url, "-u", "2",
                             "-r", "20", "-t", "8s", "--pacing", "100ms", "--otel", "-q", *extra],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _scrape_mid_run(process: subprocess.Popen[str], ports: list[int], server, deadline: float = 30.0):
    """Scrape every port until each one shows requests of the step, while the run is still going."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        assert process.poll() is None, process.communicate()
        try:
            counts = [_counts(port) for port in ports]
        except OSError:
            counts = []
        if counts and all(c.get(("list items", "browse", "success")) for c in counts):
            sent = len(server.matching("GET", "/items"))
            return counts, sent
        time.sleep(0.3)
    raise AssertionError("no request metric naming the step appeared while the run was going")


def test_prometheus_exporter_names_the_step_mid_run(tmp_path, recording_server):
    port = _free_port()
    process = _start(tmp_path, recording_server.url, port)
    try:
        (first,), sent = _scrape_mid_run(process, [port], recording_server)
        assert 0 < first[("list items", "browse", "success")] <= sent
        assert first.get(("missing", "browse", "failure"), 0) <= len(recording_server.matching("GET", "/status/404"))
        time.sleep(1.5)
        later = _counts(port)
        assert later[("list items", "browse", "success")] > first[("list items", "browse", "success")]
        assert process.poll() is None  # still mid-run
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, out + err  # the 404 step fails and the spec has no thresholds
    assert f"OpenTelemetry metrics: prometheus at http://127.0.0.1:{port}/metrics" in out
    assert "Traceback" not in err


def test_each_worker_process_exports_its_own_requests(tmp_path, recording_server):
    port = _free_port()
    process = _start(tmp_path, recording_server.url, port, "--processes", "2")
    try:
        # the two worker processes and the master (which sends no requests: no request metric) take
        # `port` and the next free ports after it
        deadline = time.monotonic() + 40
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = []
            for candidate in range(port, port + 12):
                try:
                    if ("list items", "browse", "success") in _counts(candidate):
                        workers.append(candidate)
                except OSError:
                    continue
            time.sleep(0.3)
        assert len(workers) == 2, "two worker processes should each serve request metrics"
        counts, sent = _scrape_mid_run(process, workers, recording_server)
        assert sum(c[("list items", "browse", "success")] for c in counts) <= sent
        out, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, out + err


def test_the_verdict_is_recorded_as_a_gauge_and_flushed():
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from loadspec.engine.otel import Telemetry

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    gauge = provider.get_meter("t").create_gauge("loadspec.run.verdict")
    Telemetry(provider, "shop", gauge).finish(3, "thresholds_failed")
    (metric,) = [m for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics
                 for m in sm.metrics]
    (point,) = metric.data.data_points
    assert metric.name == "loadspec.run.verdict" and point.value == 3
    assert dict(point.attributes) == {"test": "shop", "status": "thresholds_failed"}


def test_the_observability_example_files_agree_with_each_other():
    import yaml

    folder = REPO / "examples" / "observability"
    compose = yaml.safe_load((folder / "docker-compose.yml").read_text(encoding="utf-8"))
    collector = yaml.safe_load((folder / "otel-collector.yaml").read_text(encoding="utf-8"))
    prometheus = yaml.safe_load((folder / "prometheus.yml").read_text(encoding="utf-8"))
    grafana = yaml.safe_load((folder / "grafana" / "datasources.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    for pipeline in collector["service"]["pipelines"].values():
        assert set(pipeline["receivers"]) <= set(collector["receivers"])
        assert set(pipeline["exporters"]) <= set(collector["exporters"])
        assert set(pipeline.get("processors", [])) <= set(collector.get("processors", {}))
    assert collector["service"]["pipelines"]["metrics"]["exporters"] == ["prometheus"]
    exporter_port = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    (target,) = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
    assert target == f"otel-collector:{exporter_port}" and "otel-collector" in services
    grpc = collector["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].rsplit(":", 1)[1]
    assert grpc == "4317"  # the OTLP default the exporters use without OTEL_EXPORTER_OTLP_ENDPOINT
    assert f"127.0.0.1:{grpc}:4317" in services["otel-collector"]["ports"]
    assert grafana["datasources"][0]["url"] == "http://prometheus:9090" and "prometheus" in services
    mounted = {volume.split(":")[0] for service in services.values() for volume in service.get("volumes", [])}
    assert all((folder / path).is_file() for path in mounted)


class _OtlpReceiver:
    """A minimal OTLP/HTTP metrics receiver on 127.0.0.1: decodes every export it is sent."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

        self.exports: list[Any] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = ExportMetricsServiceRequest()
                request.ParseFromString(body)
                receiver.exports.append((self.path, request))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def metrics(self) -> list[Any]:
        return [metric for _, request in self.exports for rm in request.resource_metrics
                for sm in rm.scope_metrics for metric in sm.metrics]


def _attributes(point: Any) -> dict[str, str]:
    return {kv.key: kv.value.string_value for kv in point.attributes}


def test_otlp_push_carries_the_requests_and_the_verdict(tmp_path, recording_server):
    receiver = _OtlpReceiver()
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(SPEC).replace("name: shop", "name: shop\nthresholds: [error_rate < 10%]"),
                    encoding="utf-8")
    env = {**os.environ, "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
           "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
    done = subprocess.run([sys.executable, "-m", "loadspec", "run", str(spec), "--host", recording_server.url,
                           "-u", "2", "-r", "20", "--iterations", "5", "--otel", "-q"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    receiver.httpd.shutdown()
    assert done.returncode == 3, done.stdout + done.stderr  # the 404 step fails half the requests
    assert {path for path, _ in receiver.exports} == {"/v1/metrics"}
    metrics = receiver.metrics()
    verdicts = [p for m in metrics if m.name == "loadspec.run.verdict" for p in m.gauge.data_points]
    assert verdicts  # sent at the final flush (and again by the exporter's shutdown)
    assert all((p.as_int or p.as_double) == 3 for p in verdicts)
    assert all(_attributes(p) == {"test": "shop", "status": "thresholds_failed"} for p in verdicts)
    points = [p for m in metrics if m.name == "loadspec.request.duration" for p in m.histogram.data_points]
    counted: dict[tuple[str, str], int] = {}
    for point in points:  # cumulative: the last export holds the totals
        labels = _attributes(point)
        counted[(labels["step"], labels["outcome"])] = max(counted.get((labels["step"], labels["outcome"]), 0),
                                                           point.count)
    assert counted == {("list items", "success"): len(recording_server.matching("GET", "/items")),
                       ("missing", "failure"): len(recording_server.matching("GET", "/status/404"))} == \
        {("list items", "success"): 10, ("missing", "failure"): 10}


def test_otel_without_the_sdk_is_a_usage_error_before_anything_runs(tmp_path, recording_server):
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(SPEC), encoding="utf-8")
    code = ("import sys; sys.modules['opentelemetry.sdk.metrics'] = None\n"  # as if the extra were not installed
            "from loadspec.cli import main\n"
            f"sys.exit(main(['run', {str(spec)!r}, '--host', {recording_server.url!r}, '--iterations', '1',"
            " '--otel']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--otel needs the OpenTelemetry SDK: pip install 'loadspec[otel]'" in done.stderr
    assert "Traceback" not in done.stderr and recording_server.requests == []
