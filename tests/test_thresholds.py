"""Thresholds: measured right, judged right, and `loadspec run` exits with the documented codes.

Unit tests build `RunResults` by hand; the end-to-end tests run the CLI against the demo shop.
Exit codes: 0 passed, 1 requests failed without thresholds, 2 invalid input, 3 thresholds failed,
4 aborted by an abort_on_fail threshold.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from loadspec.demo.server import DemoServer
from loadspec.lang.units import threshold_from_text
from loadspec.model import Threshold
from loadspec.results.stats import RunResults, StepResult
from loadspec.results.thresholds import (
    EXIT_ABORTED,
    EXIT_PASSED,
    EXIT_REQUESTS_FAILED,
    EXIT_THRESHOLDS_FAILED,
    AbortWatch,
    check,
    final_checks,
    judge,
)


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as running:
        yield running


def loadspec(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loadspec", *args], capture_output=True, text=True,
                          timeout=timeout)


def threshold(text: str, step: str | None = None, **options: object) -> Threshold:
    return threshold_from_text(text, step=step, **options)


def row(name: str, requests: int, failures: int = 0, ms: float = 100.0, rps: float = 10.0) -> StepResult:
    return StepResult(name=name, method="GET", requests=requests, failures=failures, median_ms=ms, avg_ms=ms,
                      min_ms=ms / 2, max_ms=ms * 3, p90_ms=ms * 1.5, p95_ms=ms * 2, p99_ms=ms * 2.5, rps=rps,
                      percentile=lambda p, ms=ms: ms * 2 if p >= 0.95 else ms)


def results(*steps: StepResult, checked: int = 0, failed: int = 0) -> RunResults:
    total = StepResult(name="Total", method="", requests=sum(s.requests for s in steps),
                       failures=sum(s.failures for s in steps), median_ms=100, avg_ms=100, min_ms=1, max_ms=900,
                       p90_ms=300, p95_ms=400, p99_ms=600, rps=sum(s.rps for s in steps),
                       percentile=lambda p: 400.0 if p >= 0.95 else 100.0)
    return RunResults(steps=list(steps), total=total, failures=[], elapsed_s=10.0,
                      assertions_checked=checked, assertions_failed=failed)


# --- measuring and judging --------------------------------------------------------------------


def test_each_metric_reads_the_right_number() -> None:
    done = results(row("login", 100, failures=2, ms=50, rps=5), row("list", 300, ms=200, rps=15),
                   checked=400, failed=4)
    assert check(threshold("p95 < 500ms"), done).actual == 400
    assert check(threshold("p95 < 90ms", step="login"), done).passed is False
    assert check(threshold("avg < 60ms", step="login"), done).passed is True
    assert check(threshold("max <= 150ms", step="login"), done).actual == 150
    assert check(threshold("min > 20ms", step="list"), done).actual == 100
    assert check(threshold("error_rate < 1%"), done).actual == pytest.approx(2 / 400)
    assert check(threshold("error_rate < 1%", step="login"), done).passed is False  # 2%
    assert check(threshold("rps > 18"), done).actual == 20
    assert check(threshold("requests >= 300", step="list"), done).passed is True
    assert check(threshold("assert_pass_rate > 99.5%"), done).passed is False  # 99%


def test_nothing_measured_fails_and_says_so() -> None:
    done = results(row("login", 10))
    quiet = check(threshold("p95 < 500ms", step="checkout"), done)
    assert (quiet.passed, quiet.actual, quiet.actual_text) == (False, None, "no data")
    assert "checkout" in quiet.note
    no_asserts = check(threshold("assert_pass_rate > 99%"), done)
    assert not no_asserts.passed and "no assertion" in no_asserts.note
    assert check(threshold("requests < 5", step="checkout"), done).passed  # zero requests is a value


def test_a_percentile_near_its_limit_is_flagged_as_rounded() -> None:
    near = check(threshold("p95 < 405ms"), results(row("a", 10)))
    assert "rounding" in near.note
    assert check(threshold("p95 < 900ms"), results(row("a", 10))).note == ""


def test_exit_codes() -> None:
    ok, failing = results(row("a", 10)), results(row("a", 10, failures=1))
    passed = [check(threshold("p95 < 1s"), failing)]
    broken = [check(threshold("p95 < 1ms"), ok)]
    assert judge(ok, [], has_thresholds=False).exit_code == EXIT_PASSED
    assert judge(failing, [], has_thresholds=False).exit_code == EXIT_REQUESTS_FAILED
    assert judge(failing, passed, has_thresholds=True).exit_code == EXIT_PASSED  # within thresholds
    verdict = judge(ok, broken, has_thresholds=True)
    assert (verdict.exit_code, verdict.status) == (EXIT_THRESHOLDS_FAILED, "thresholds_failed")
    assert "p95 < 1ms" in verdict.reason
    aborted = broken[0]
    aborted.at_s = 3.0
    assert judge(ok, broken, has_thresholds=True, aborted=aborted).exit_code == EXIT_ABORTED
    assert [EXIT_PASSED, EXIT_REQUESTS_FAILED, EXIT_THRESHOLDS_FAILED, EXIT_ABORTED] == [0, 1, 3, 4]


def test_abort_watch_waits_for_the_delay_and_ignores_growing_counts() -> None:
    from locust.stats import RequestStats

    stats = RequestStats()
    for _ in range(10):
        stats.log_request("GET", "login", 20, 10)
    for _ in range(5):
        stats.log_error("GET", "login", "login: HTTP 500")
    env = SimpleNamespace(stats=stats)
    rules = [threshold("requests > 1000", abort_on_fail=True),
             threshold("error_rate < 10%", abort_on_fail=True, delay_abort_eval=5.0)]
    watch = AbortWatch(rules)
    assert watch(env, 1.0) is None  # before delay_abort_eval; `requests > N` never aborts
    reason = watch(env, 5.5)
    assert reason is not None and "error_rate < 10%" in reason
    assert watch.aborted is not None and watch.aborted.at_s == 5.5
    checks = final_checks(rules, results(row("login", 10)), watch.aborted)
    assert [c.aborted_run for c in checks] == [False, True] and not checks[1].passed


# --- end to end -------------------------------------------------------------------------------

SPEC = """\
version: 1
name: {name}
host: {host}
load: {{users: 2, spawn_rate: 10, duration: {duration}}}
thresholds:
{thresholds}
scenarios:
  - name: shopper
    steps:
      - name: list products
        get: /products
        assert: [{{status: 200}}]
      - name: slow search
        get: /slow?ms=30
{extra}
"""


def write_spec(tmp_path: Path, host: str, thresholds: list[str], *, name: str = "gate",
               duration: str = "3s", extra: str = "") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, host=host, duration=duration, extra=extra,
                                thresholds="\n".join(f"  - {t}" for t in thresholds)))
    return path


def test_a_failing_threshold_exits_3_and_junit_names_it(server: DemoServer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, server.url, ["p95 < 2s", "{check: p95 < 5ms, step: slow search}",
                                             "error_rate < 1%"])
    junit = tmp_path / "junit.xml"
    done = loadspec("run", str(spec), "-q", "--junit", str(junit))
    assert done.returncode == EXIT_THRESHOLDS_FAILED, done.stdout + done.stderr
    assert "✗ p95 < 5ms" in done.stdout and "slow search" in done.stdout
    assert "THRESHOLDS FAILED" in done.stdout and "Precision:" in done.stdout
    failed = [case for case in ET.parse(junit).getroot().iter("testcase") if case.find("failure") is not None]
    assert [case.get("name") for case in failed] == ["p95 < 5ms [slow search]"]
    message = failed[0].find("failure").get("message")  # type: ignore[union-attr]
    assert re.search(r"actual \d+ms", message), message  # the message carries the measured value


def test_an_aborting_threshold_stops_the_run_early_with_exit_4(server: DemoServer, tmp_path: Path) -> None:
    extra = "      - name: broken\n        get: /status/503\n        on_fail: continue\n"
    spec = write_spec(tmp_path, server.url, ["{check: error_rate < 5%, abort_on_fail: true, delay_abort_eval: 1s}"],
                      name="abort", duration="40s", extra=extra)
    report = tmp_path / "summary.json"
    started = time.monotonic()
    done = loadspec("run", str(spec), "-q", "--json", str(report))
    took = time.monotonic() - started
    assert done.returncode == EXIT_ABORTED, done.stdout + done.stderr
    assert took < 25, f"the run should stop well before its 40 s duration (took {took:.0f}s)"
    summary = json.loads(report.read_text())
    assert summary["status"] == "aborted" and summary["elapsed_s"] < 25
    assert summary["thresholds"][0]["aborted_run"] is True and summary["thresholds"][0]["failed_at_s"] >= 1.0
    assert "ABORTED" in done.stdout


def test_a_passing_run_exits_0(server: DemoServer, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, server.url, ["p95 < 2s", "error_rate < 1%", "assert_pass_rate == 100%",
                                             "{check: rps > 1, step: list products}", "requests > 10"],
                      name="passing")
    done = loadspec("run", str(spec), "-q")
    assert done.returncode == EXIT_PASSED, done.stdout + done.stderr
    assert "5 of 5 passed" in done.stdout and "PASSED" in done.stdout


def test_without_thresholds_a_failed_request_still_exits_1(server: DemoServer, tmp_path: Path) -> None:
    spec = tmp_path / "plain.yaml"
    spec.write_text(f"version: 1\nname: plain\nhost: {server.url}\nload: {{users: 1, iterations: 2}}\n"
                    "scenarios:\n  - name: s\n    steps:\n      - get: /status/500\n")
    done = loadspec("run", str(spec), "-q")
    assert done.returncode == EXIT_REQUESTS_FAILED, done.stdout + done.stderr
    assert "Thresholds:" not in done.stdout
