"""The loadspec tabs in Locust's web UI: the thresholds' live verdict and the failure examples,
read the way the browser reads them (the page's template arguments, then `GET /stats/requests`)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from test_web_ui import call, free_port, wait_until_serving

from loadspec.demo.server import DemoServer

SPEC = """\
version: 1
name: watched
host: {host}
thresholds:
  - error_rate < 1%
  - check: p95 < 10s
    step: health
scenarios:
  - name: shopper
    steps:
      - name: health
        get: /health
      - name: broken
        get: /status/503
"""


def test_the_web_ui_shows_live_thresholds_and_failure_examples(tmp_path: Path) -> None:
    spec = tmp_path / "ui.yaml"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with DemoServer() as server:
        spec.write_text(SPEC.format(host=server.url))
        process = subprocess.Popen([sys.executable, "-m", "loadspec", "run", str(spec), "--ui", "--ui-port", str(port),
                                    "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_serving(base + "/", process)
            with urllib.request.urlopen(base + "/", timeout=5) as page:
                html = page.read().decode()
            assert "loadspec thresholds" in html and "loadspec failures" in html  # the tabs are offered
            assert call(base + "/swarm", {"user_count": 1, "spawn_rate": 10, "host": server.url})["success"]
            tables: dict[str, list[dict]] = {}
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                stats = call(base + "/stats/requests")
                tables = {table["key"]: table["data"] for table in stats.get("extended_stats", [])}
                broken = next((r for r in stats["stats"] if r["name"] == "broken"), None)
                if broken and broken["num_failures"] >= 3 and tables:
                    break
                time.sleep(0.3)
        finally:
            process.terminate()
            process.communicate(timeout=30)
    verdicts = {row["threshold"]: (row["verdict"], row["step"]) for row in tables["loadspec-thresholds"]}
    assert verdicts["error_rate < 1%"] == ("FAIL", "all requests")  # half the requests fail
    assert verdicts["p95 < 10s"] == ("pass", "health")
    failures = tables["loadspec-failures"]
    assert [row["step"] for row in failures] == ["broken"]
    assert failures[0]["message"] == "broken: HTTP 503" and failures[0]["status"] == "503"
    assert failures[0]["request"].startswith("GET ") and failures[0]["request"].endswith("/status/503")
