"""Report files: one real run writes every report; each parses and says what the run did.

The HTML report is opened in headless Chromium (it must be installed: CI installs Debian's
`chromium`), which renders Locust's React report and screenshots the page.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadspec.demo.server import DemoServer

SPEC = """\
version: 1
name: report demo
host: {host}
load: {{users: 2, spawn_rate: 10, duration: 3s}}
thresholds:
  - p95 < 2s
  - error_rate < 5%
  - {{check: p99 < 1ms, step: slow search}}
scenarios:
  - name: shopper
    steps:
      - name: list products
        get: /products
        assert: [{{status: 200}}]
      - name: slow search
        get: /slow?ms=20
      - name: product detail
        get: /products/2
        assert:
          - {{json: name, eq: Red Mug}}
        on_fail: continue
"""

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (needed to render the HTML report)")
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.CompletedProcess[str], Path]]:
    folder = tmp_path_factory.mktemp("reports")
    spec = folder / "report.yaml"
    with DemoServer() as server:
        spec.write_text(SPEC.format(host=server.url))
        done = subprocess.run(
            [sys.executable, "-m", "loadspec", "run", str(spec), "-q", "--report-dir", str(folder / "out"),
             "--html", str(folder / "single.html"), "--json", str(folder / "single.json"),
             "--junit", str(folder / "single.xml"), "--csv", str(folder / "single")],
            capture_output=True, text=True, timeout=90)
    yield done, folder


def test_every_report_file_is_written(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, folder = run
    assert done.returncode == 3, done.stdout + done.stderr  # the p99 < 1ms threshold must fail
    names = sorted(p.name for p in (folder / "out").iterdir())
    assert names == ["junit.xml", "loadspec_exceptions.csv", "loadspec_failures.csv", "loadspec_stats.csv",
                     "loadspec_stats_history.csv", "report.html", "summary.json"]
    for single in ("single.html", "single.json", "single.xml", "single_stats.csv", "single_failures.csv"):
        assert (folder / single).stat().st_size > 0, single
    for path in (folder / "out").iterdir():
        assert f"report: {path}" in done.stdout


def test_json_summary(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, folder = run
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert (summary["exit_code"], summary["status"], summary["ended_by"]) == (3, "thresholds_failed", "duration")
    steps = {step["name"]: step for step in summary["steps"]}
    assert list(steps) == ["list products", "slow search", "product detail"]
    slow = steps["slow search"]
    assert slow["requests"] > 10 and set(slow["percentiles_ms"]) >= {"p50", "p90", "p95", "p99", "p99.9", "p100"}
    assert 15 <= slow["percentiles_ms"]["p50"] <= slow["percentiles_ms"]["p100"]
    assert steps["product detail"]["failures"] == steps["product detail"]["requests"] > 0
    results = {t["threshold"]: t for t in summary["thresholds"]}
    assert results["p95 < 2s"]["passed"] and results["error_rate < 5%"]["passed"] is False
    assert results["p99 < 1ms"]["passed"] is False and results["p99 < 1ms"]["step"] == "slow search"
    assert results["p99 < 1ms"]["actual"] >= 15
    failure = summary["failures"][0]
    assert failure["step"] == "product detail" and "assert #1" in failure["message"]
    assert failure["examples"] and failure["examples"][0]["status"] == 200
    assert summary["assertions"]["failed"] > 0
    assert summary["users"]["peak"] == 2
    assert json.loads((folder / "single.json").read_text())["totals"] == summary["totals"]


def test_junit_has_a_case_per_threshold_and_per_step(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, folder = run
    root = ET.parse(folder / "out" / "junit.xml").getroot()
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"report demo thresholds", "report demo steps"}
    cases = {case.get("name"): case for case in suites["report demo thresholds"].iter("testcase")}
    assert set(cases) == {"p95 < 2s [all requests]", "error_rate < 5% [all requests]", "p99 < 1ms [slow search]"}
    assert cases["p95 < 2s [all requests]"].find("failure") is None
    assert cases["p99 < 1ms [slow search]"].find("failure") is not None
    steps = {case.get("name"): case for case in suites["report demo steps"].iter("testcase")}
    assert list(steps) == ["list products", "slow search", "product detail"]
    failure = steps["product detail"].find("failure")
    assert failure is not None and "assert #1" in (failure.text or "")
    assert steps["list products"].find("failure") is None
    assert root.get("tests") == "6" and root.get("failures") == "3"


def test_csv_files_hold_the_final_numbers(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, folder = run
    summary = json.loads((folder / "out" / "summary.json").read_text())
    with (folder / "out" / "loadspec_stats.csv").open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"list products", "slow search", "product detail", "Aggregated"}
    assert int(rows["Aggregated"]["Request Count"]) == summary["totals"]["requests"]  # not 1 s stale
    with (folder / "out" / "loadspec_failures.csv").open() as handle:
        failures = list(csv.DictReader(handle))
    assert failures and failures[0]["Name"] == "product detail"
    with (folder / "out" / "loadspec_stats_history.csv").open() as handle:
        history = list(csv.DictReader(handle))
    assert len(history) >= 2 and history[-1]["Total Request Count"] == str(summary["totals"]["requests"])


def test_html_report_renders_in_chromium(run: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path) -> None:
    _, folder = run
    page = folder / "out" / "report.html"
    text = page.read_text()
    assert "<title>loadspec: report demo</title>" in text and "p99 &lt; 1ms" in text
    markup = re.sub(r"<script\b.*?</script>", "", text, flags=re.S)
    assert not re.search(r'(src|href)="(https?:)?//', markup), "the report must not load anything from the web"
    browser = chromium()
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=90).stdout
    assert '<div id="root"></div>' not in dom, "Locust's report did not render"
    assert "Locust Test Report" in dom.split('<div id="root">', 1)[1]
    assert "THRESHOLDS FAILED" in dom and "✗ fail" in dom and "product detail: assert #1" in dom
    shot = tmp_path / "report.png"
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                    "--window-size=1280,2000", page.as_uri()], capture_output=True, timeout=90)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
