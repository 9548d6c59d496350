"""`loadspec run FILE --ui`: Locust's web UI drives the compiled users; stopping there ends the run.

Steered the way the browser does it: `POST /swarm` starts users, `GET /stats/requests` shows the
compiled steps' requests, `POST /stop` stops the test, and loadspec then prints its summary, judges
the thresholds and writes the requested reports.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from loadspec.demo.server import DemoServer

SPEC = """\
version: 1
name: steered
host: {host}
thresholds: [error_rate < 1%]
scenarios:
  - name: shopper
    steps:
      - name: list products
        get: /products
      - name: health
        get: /health
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(url: str, data: dict[str, object] | None = None, method: str | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                assert response.status == 200
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"web UI never answered on {url}")


def test_the_web_ui_runs_the_compiled_users(tmp_path: Path) -> None:
    spec = tmp_path / "ui.yaml"
    report = tmp_path / "summary.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with DemoServer() as server:
        spec.write_text(SPEC.format(host=server.url))
        process = subprocess.Popen(
            [sys.executable, "-m", "loadspec", "run", str(spec), "--ui", "--ui-port", str(port), "-q",
             "--json", str(report)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_serving(base + "/", process)
            started = call(base + "/swarm", {"user_count": 2, "spawn_rate": 10, "host": server.url})
            assert started["success"], started
            stats: dict = {}
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                stats = call(base + "/stats/requests")
                counts = {row["name"]: row["num_requests"] for row in stats["stats"]}
                if counts.get("list products", 0) > 5 and counts.get("health", 0) > 5:
                    break
                time.sleep(0.3)
            assert stats["state"] == "running" and stats["user_count"] == 2, stats
            assert counts.get("list products", 0) > 5 and counts.get("health", 0) > 5, counts
            assert call(base + "/stop", {}, method="POST")["success"]
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
    assert process.returncode == 0, out + err
    assert f"web UI: {base}" in out
    assert "ended by stopped from the web UI" in out and "✓ error_rate < 1%" in out
    summary = json.loads(report.read_text())
    assert summary["totals"]["requests"] >= counts["list products"] + counts["health"]
    assert summary["users"]["peak"] == 2
