"""summary.json has a published JSON Schema, and the schema, the docs and the report agree.

Every key the JSON report emits is in `schemas/summary.schema.json` and every key there is emitted
(checked on a report with every optional part filled: a stress run, a baseline threshold, failure
examples, stages); docs/reports.md's key table is what `scripts/gen_report_keys.py` writes from the
schema; the two copies of the schema are identical and `loadspec schema --report` prints it. Every
JSON report the rest of the suite writes is validated by `conftest._reports_match_their_schema`.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from conftest import REPO, check_summary

from loadspec.lang.units import threshold_from_text
from loadspec.model import Scenario, Spec, Stage
from loadspec.reports.json import summary_dict
from loadspec.reports.report import RunReport
from loadspec.results.plan import LoadPlan
from loadspec.results.profiles import StressStep, StressWatch
from loadspec.results.runlog import FailureExample, RunLog
from loadspec.results.stats import FailureRow, RunResults, StepResult
from loadspec.results.thresholds import ThresholdResult, Verdict

SCHEMA_FILE = REPO / "schemas" / "summary.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_report_keys", REPO / "scripts" / "gen_report_keys.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _row(name: str, method: str = "GET") -> StepResult:
    return StepResult(name, method, 10, 1, 9.0, 10.5, 1.0, 40.0, 20.0, 25.0, 38.0, 3.3, percentile=lambda p: 30.0 * p)


def _full_report() -> RunReport:
    """A report with every optional part present, built from engine-free values."""
    threshold = threshold_from_text("p95 < baseline + 10%", step="login", abort_on_fail=True, delay_abort_eval=5.0)
    threshold.value, threshold.baseline_value = 22.0, 20.0
    check = ThresholdResult(threshold, 25.0, passed=False, note="baseline 20ms + 10% = 22ms", aborted_run=True,
                            at_s=6.0)
    results = RunResults(steps=[_row("login", "POST"), _row("journey", "GROUP")], total=_row("Total", ""),
                         failures=[FailureRow("POST", "login", "login: HTTP 500", 1)], elapsed_s=12.5,
                         assertions_checked=9, assertions_failed=1, stop_reason="pool users ran out")
    log = RunLog()
    log.record(FailureExample("login", "POST", "/login", 500, "login: HTTP 500", '{"error": "boom"}'))
    spec = Spec(name="shop", scenarios=[Scenario(name="s", steps=[])], host="http://127.0.0.1:9",
                source=Path("shop.yaml"), environment="staging")
    test = SimpleNamespace(spec=spec, run_log=log, host="http://127.0.0.1:9")
    plan = LoadPlan(users=3, spawn_rate=2.0, duration=None, iterations=4, stages=[Stage(5.0, 3, None)],
                    profile="stress", rate_stages=[Stage(4.0, 0, None, rate=5.0)], max_users=3)
    stress = StressWatch(stages=[Stage(5.0, 3, None)], thresholds=[threshold], note="climbing on p95")
    stress.steps.append(StressStep(3, results, [check]))
    outcome = SimpleNamespace(results=results, ended_by="stop_test", interrupted=None)
    return RunReport(test=test, plan=plan, outcome=outcome,
                     checks=[check], verdict=Verdict(4, "aborted", "aborted after 6.0s"), started_at=1.7e9,
                     sampler=SimpleNamespace(peak_users=3, timeline=[(0.2, 1), (1.0, 3)]), stress=stress,
                     notes=["a note"])


def _emitted_paths(data: Any, prefix: str = "") -> set[str]:
    """Key paths of a report: `plan.spawn_rate`, `steps[].name`, ... (percentile keys not descended)."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}{key}"
            found.add(path)
            if key != "percentiles_ms":
                found |= _emitted_paths(value, path + ".")
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                found |= _emitted_paths(item, prefix.removesuffix(".") + "[].")
    return found


def test_every_emitted_key_is_documented_and_every_documented_key_is_emitted() -> None:
    data = json.loads(json.dumps(summary_dict(_full_report())))
    check_summary(data, "a report with every part")
    documented = {path for path, _, _ in _generator().key_paths(SCHEMA)}
    emitted = _emitted_paths(data)
    assert sorted(emitted - documented) == []
    assert sorted(documented - emitted) == []
    for must in ("loadspec_version", "stop_reason", "notes", "plan.spawn_rate", "plan.iterations",
                 "thresholds[].delay_abort_eval_s", "failures[].examples[].step", "failures[].examples[].method",
                 "failures[].examples[].message", "thresholds[].baseline.margin"):
        assert must in documented


def test_the_schema_rejects_what_the_report_never_has() -> None:
    data = json.loads(json.dumps(summary_dict(_full_report())))
    data["unexpected"] = 1
    try:
        check_summary(data)
    except AssertionError as exc:
        assert "unexpected" in str(exc)
    else:
        raise AssertionError("an undocumented key passed the schema")


def test_the_docs_table_is_generated_from_the_schema_and_the_copies_match() -> None:
    assert SCHEMA_FILE.read_bytes() == (REPO / "loadspec" / "summary.schema.json").read_bytes()
    generator = _generator()
    document = (REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    assert generator.render(document, SCHEMA) == document, "run python scripts/gen_report_keys.py"
    for path, _, description in generator.key_paths(SCHEMA):
        assert f"| `{path}` |" in document and description
    printed = subprocess.run([sys.executable, "-m", "loadspec", "schema", "--report"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert json.loads(printed) == SCHEMA


def test_a_real_run_writes_a_report_that_validates(tmp_path, recording_server, cli):
    spec = tmp_path / "spec.yaml"
    spec.write_text("thresholds: [p95 < 5s, {check: error_rate < 60%, step: bad}]\n"
                    "scenarios:\n  - name: s\n    steps:\n      - {name: ok, get: /items}\n"
                    "      - {name: bad, get: /status/500, on_fail: continue}\n", encoding="utf-8")
    done = cli("run", str(spec), "--host", recording_server.url, "-u", "1", "-r", "5", "--iterations", "3", "-q",
               "--report-dir", str(tmp_path / "out"))
    assert len(recording_server.matching("GET", "/status/500")) == 3
    assert done.code == 3, done.text
    for summary in (done.summary, json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))):
        check_summary(summary)
        assert summary["failures"][0]["examples"][0]["message"] == "bad: HTTP 500"
