"""Write the report files of a finished run: HTML, JSON summary, JUnit XML and Locust's CSV files.

Everything comes from a `RunReport` (the run's `RunOutcome` — Locust environment and results —,
the compiled test's run log, the threshold results and the verdict), so reports look the same for
local and distributed runs. `StatsSampler` is the runner monitor that records what only exists
during the run (user counts, chart history). This module writes files; it never runs, judges or
prints to the terminal.
"""

from __future__ import annotations

import csv
import html
import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from ._compiler import CompiledTest, FailureExample
from ._errors import RunError, UsageError
from ._results import GROUP_METHOD, PERCENTILE_PRECISION, RunResults, StepResult
from ._runner import LoadPlan, RunOutcome
from ._thresholds import ALL_REQUESTS, ThresholdResult, Verdict

REPORT_FILES = {"html": "report.html", "json": "summary.json", "junit": "junit.xml", "csv": "loadspec"}


class StatsSampler:
    """Runner monitor: records the user count whenever it changes and, every `interval` seconds,
    a point of Locust's chart history (for the HTML report) and a row of the CSV history."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self.timeline: list[tuple[float, int]] = []
        self.history_rows: list[list[Any]] = []
        self._last = float("-inf")

    @property
    def peak_users(self) -> int:
        return max((users for _, users in self.timeline), default=0)

    def __call__(self, env: Any, elapsed: float) -> str | None:
        runner = env.runner
        users = runner.user_count if runner is not None else 0
        if not self.timeline or self.timeline[-1][1] != users:
            self.timeline.append((round(elapsed, 2), users))
        if runner is not None and elapsed - self._last >= self.interval:
            from locust.stats import update_stats_history

            self._last = elapsed
            update_stats_history(runner)
            self.history_rows.append(_history_row(env, users, time.time()))
        return None


def _history_row(env: Any, users: int, now: float) -> list[Any]:
    """One row of Locust's `_stats_history.csv` for the aggregate (Locust's own columns)."""
    from locust.stats import PERCENTILES_TO_REPORT

    total = env.stats.total
    percentiles = ([int(total.get_response_time_percentile(p) or 0) for p in PERCENTILES_TO_REPORT]
                   if total.num_requests else ["N/A"] * len(PERCENTILES_TO_REPORT))
    return [int(now), users, "", total.name, f"{total.current_rps:2f}", f"{total.current_fail_per_sec:2f}",
            *percentiles, total.num_requests, total.num_failures, total.median_response_time,
            total.avg_response_time, total.min_response_time or 0, total.max_response_time,
            total.avg_content_length]


@dataclass
class RunReport:
    """Everything the report files say about one run."""

    test: CompiledTest
    plan: LoadPlan
    outcome: RunOutcome
    checks: list[ThresholdResult]
    verdict: Verdict
    started_at: float
    sampler: StatsSampler | None = None
    stress: Any = None  # a _profiles.StressWatch for --profile stress
    notes: list[str] = field(default_factory=list)

    @property
    def results(self) -> RunResults:
        return self.outcome.results


# --- JSON -------------------------------------------------------------------------------------


def _example_dict(example: FailureExample) -> dict[str, Any]:
    return {"step": example.step, "method": example.method, "url": example.url, "status": example.status,
            "message": example.message, "body_excerpt": example.body_excerpt}


def examples_for(message: str, examples: dict[str, list[FailureExample]]) -> list[FailureExample]:
    """The recorded examples of a failure message (Locust may have wrapped the message)."""
    if message in examples:
        return examples[message]
    return next((found for key, found in examples.items() if key and key in message), [])


def summary_dict(report: RunReport) -> dict[str, Any]:
    """The JSON summary: run facts, verdict, per-step percentiles, thresholds, failures, users."""
    results, spec = report.results, report.test.spec
    log = report.test.run_log
    plan = report.plan
    return {
        "loadspec_version": __version__,
        "name": spec.name,
        "file": str(spec.source) if spec.source else None,
        "environment": spec.environment,
        "host": report.test.host,
        "profile": plan.profile,
        "plan": {"description": plan.describe(), "users": plan.users, "spawn_rate": plan.spawn_rate,
                 "duration_s": plan.duration, "iterations": plan.iterations, "grace_s": plan.grace,
                 "stages": [{"duration_s": s.duration, "users": s.users, "spawn_rate": s.spawn_rate}
                            for s in plan.stages]},
        "started_at": datetime.fromtimestamp(report.started_at, UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(results.elapsed_s, 3),
        "ended_by": report.outcome.ended_by,
        "interrupted": report.outcome.interrupted is not None,  # a signal ended the run early
        "exit_code": report.verdict.exit_code,
        "status": report.verdict.status,
        "reason": report.verdict.reason,
        "totals": results.total.as_dict(),
        "steps": [row.as_dict() for row in results.steps],
        "thresholds": [check.as_dict() for check in report.checks],
        "users_stopped": results.users_stopped,
        "assertions": {"checked": results.assertions_checked, "failed": results.assertions_failed,
                       "pass_rate": results.assert_pass_rate},
        "failures": [{"step": f.name, "method": f.method, "message": f.message, "count": f.count,
                      "examples": [_example_dict(e) for e in examples_for(f.message, log.examples)]}
                     for f in results.failures],
        "stop_reason": results.stop_reason,
        "users": {"peak": report.sampler.peak_users if report.sampler else None,
                  "timeline": [list(point) for point in report.sampler.timeline] if report.sampler else []},
        "stress": report.stress.as_dict() if report.stress is not None else None,
        "notes": report.notes,
        "percentile_precision": PERCENTILE_PRECISION,
    }


def json_text(report: RunReport) -> str:
    return json.dumps(summary_dict(report), indent=2, ensure_ascii=False) + "\n"


# --- JUnit XML --------------------------------------------------------------------------------


def _failure_text(report: RunReport, row: StepResult) -> str:
    lines = []
    for failure in report.results.failures:
        if failure.name != row.name:
            continue
        lines.append(f"{failure.count} × {failure.message}")
        for example in examples_for(failure.message, report.test.run_log.examples)[:1]:
            lines.append(f"    first: {example.method} {example.url} -> {example.status or 'no response'}")
            if example.body_excerpt:
                lines.append(f"    body:  {' '.join(example.body_excerpt.split())[:300]}")
    return "\n".join(lines)


def junit_text(report: RunReport) -> str:
    """JUnit XML: a suite of one test case per threshold and a suite of one per step."""
    results, name = report.results, report.test.spec.name
    stamp = datetime.fromtimestamp(report.started_at, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites", name=f"loadspec: {name}")
    elapsed = f"{results.elapsed_s:.3f}"
    suites = []
    if report.checks:
        suite = ET.SubElement(root, "testsuite", name=f"{name} thresholds", timestamp=stamp, time=elapsed)
        for check in report.checks:
            t = check.threshold
            case = ET.SubElement(suite, "testcase", classname=f"{name}.thresholds",
                                 name=f"{t.text} [{t.step or ALL_REQUESTS}]")
            detail = f"{t.text} on {t.step or ALL_REQUESTS}: actual {check.actual_text}"
            if check.note:
                detail += f" ({check.note})"
            if check.aborted_run:
                detail += f"; aborted the run after {check.at_s or 0:.1f}s"
            if not check.passed:
                ET.SubElement(case, "failure", message=detail, type="threshold").text = detail
            else:
                ET.SubElement(case, "system-out").text = detail
        suites.append((suite, len(report.checks), sum(not c.passed for c in report.checks)))
    suite = ET.SubElement(root, "testsuite", name=f"{name} steps", timestamp=stamp, time=elapsed)
    failed_steps = 0
    for row in results.steps:
        label = row.name if row.method != GROUP_METHOD else f"{row.name} [group]"
        case = ET.SubElement(suite, "testcase", classname=f"{name}.steps", name=label,
                             time=f"{row.avg_ms / 1000:.3f}")
        stats = (f"{row.requests} requests, {row.failures} failed, median {row.median_ms:.0f}ms, "
                 f"p95 {row.p95_ms:.0f}ms, p99 {row.p99_ms:.0f}ms, max {row.max_ms:.0f}ms, {row.rps:.1f} req/s")
        if row.failures:
            failed_steps += 1
            message = f"{row.failures} of {row.requests} requests failed"
            ET.SubElement(case, "failure", message=message, type="requests").text = \
                f"{stats}\n{_failure_text(report, row)}"
        else:
            ET.SubElement(case, "system-out").text = stats
    suites.append((suite, len(results.steps), failed_steps))
    for element, tests, failures in suites:
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", "0")
        element.set("skipped", "0")
    root.set("tests", str(sum(s[1] for s in suites)))
    root.set("failures", str(sum(s[2] for s in suites)))
    root.set("errors", "0")
    root.set("time", elapsed)
    properties = ET.Element("properties")
    for key, value in (("exit_code", report.verdict.exit_code), ("status", report.verdict.status),
                       ("reason", report.verdict.reason), ("ended_by", report.outcome.ended_by),
                       ("host", report.test.host)):
        ET.SubElement(properties, "property", name=key, value=str(value))
    root[0].insert(0, properties)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- CSV --------------------------------------------------------------------------------------


def write_csv(report: RunReport, prefix: str | Path) -> list[Path]:
    """Locust's four CSV files (`PREFIX_stats.csv`, `_stats_history.csv`, `_failures.csv`,
    `_exceptions.csv`), written from the final statistics rather than Locust's 1 s-stale writer."""
    from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, get_readable_percentiles

    env = report.outcome.environment
    writer = StatsCSV(env, PERCENTILES_TO_REPORT)
    base = str(prefix)
    paths = [Path(base + suffix) for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv",
                                                "_exceptions.csv")]
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    with paths[0].open("w", newline="") as handle:
        writer.requests_csv(csv.writer(handle))
    with paths[1].open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s",
                      *get_readable_percentiles(PERCENTILES_TO_REPORT), "Total Request Count",
                      "Total Failure Count", "Total Median Response Time", "Total Average Response Time",
                      "Total Min Response Time", "Total Max Response Time", "Total Average Content Size"])
        rows = report.sampler.history_rows if report.sampler else []
        out.writerows(rows)
        out.writerow(_history_row(env, 0, time.time()))
    with paths[2].open("w", newline="") as handle:
        writer.failures_csv(csv.writer(handle))
    with paths[3].open("w", newline="") as handle:
        writer.exceptions_csv(csv.writer(handle))
    return paths


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
#loadspec{font-family:Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;max-width:1400px;
  margin:0 auto;padding:24px 24px 8px;line-height:1.45}
#loadspec h1{font-size:26px;margin:0 0 12px}
#loadspec h2{font-size:20px;margin:28px 0 8px}
#loadspec .verdict{padding:12px 16px;border-radius:6px;font-size:18px;font-weight:600}
#loadspec .verdict.ok{background:#e6f4ea;color:#1e6b32;border:1px solid #b7dfc2}
#loadspec .verdict.bad{background:#fdecea;color:#a4231d;border:1px solid #f4c2bf}
#loadspec .meta{color:#57606a;margin:10px 0 0}
#loadspec table{border-collapse:collapse;width:100%;font-size:14px}
#loadspec th,#loadspec td{border-bottom:1px solid #d8dee4;padding:6px 10px;text-align:left;vertical-align:top}
#loadspec th{background:#f6f8fa;font-weight:600}
#loadspec td.n,#loadspec th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
#loadspec .pass{color:#1e6b32;font-weight:600}
#loadspec .fail{color:#a4231d;font-weight:600}
#loadspec code,#loadspec pre{font-family:"SFMono-Regular",Consolas,monospace;font-size:13px}
#loadspec pre{background:#f6f8fa;padding:8px 10px;border-radius:4px;white-space:pre-wrap;margin:4px 0 12px}
#loadspec .note{color:#57606a;font-size:13px}
#loadspec hr{border:0;border-top:2px solid #d8dee4;margin:28px 0 0}
"""


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _section(report: RunReport) -> str:
    results, spec, verdict = report.results, report.test.spec, report.verdict
    parts = [f"<section id=\"loadspec\"><style>{_CSS}</style>",
             f"<h1>loadspec: {_e(spec.name)}</h1>",
             f"<div class=\"verdict {'ok' if verdict.passed else 'bad'}\">"
             f"{_e(verdict.status.replace('_', ' ').upper())} — {_e(verdict.reason)} "
             f"(exit code {verdict.exit_code})</div>"]
    facts = [f"host <code>{_e(report.test.host)}</code>", _e(report.plan.describe()),
             f"{results.total.requests} requests, {results.total.failures} failed",
             f"{results.elapsed_s:.1f} s, ended by {_e(report.outcome.ended_by)}"]
    if spec.source:
        facts.insert(0, f"file <code>{_e(spec.source)}</code>")
    if spec.environment:
        facts.insert(1, f"environment <code>{_e(spec.environment)}</code>")
    if report.sampler and report.sampler.timeline:
        facts.append(f"peak {report.sampler.peak_users} users")
    parts.append(f"<p class=\"meta\">{' · '.join(facts)}</p>")
    for note in report.notes:
        parts.append(f"<p class=\"note\">{_e(note)}</p>")

    parts.append("<h2>Thresholds</h2>")
    if report.checks:
        parts.append("<table><tr><th>Result</th><th>Threshold</th><th>Step</th><th class=\"n\">Actual</th>"
                     "<th>Note</th></tr>")
        for check in report.checks:
            mark = "<span class=\"pass\">✓ pass</span>" if check.passed else "<span class=\"fail\">✗ fail</span>"
            note = check.note
            if check.aborted_run:
                note = f"aborted the run after {check.at_s or 0:.1f} s" + (f"; {note}" if note else "")
            parts.append(f"<tr><td>{mark}</td><td><code>{_e(check.threshold.text)}</code></td>"
                         f"<td>{_e(check.scope)}</td><td class=\"n\">{_e(check.actual_text)}</td>"
                         f"<td>{_e(note)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p class=\"note\">The spec defines no thresholds: the run fails when any request fails.</p>")

    if report.stress is not None and report.stress.steps:
        parts.append(f"<h2>Stress steps</h2><p>{_e(report.stress.summary())}</p>")
        parts.append("<table><tr>" + "".join(f"<th class=\"n\">{h}</th>" for h in
                                             ("Users", "Requests", "Req/s", "p95", "Errors")) + "<th>Result</th></tr>")
        for step in report.stress.steps:
            total = step.results.total
            mark = "<span class=\"pass\">held</span>" if step.passed else "<span class=\"fail\">broke</span>"
            parts.append(f"<tr><td class=\"n\">{step.users}</td><td class=\"n\">{total.requests}</td>"
                         f"<td class=\"n\">{total.rps:.1f}</td><td class=\"n\">{_ms(total.p95_ms)}</td>"
                         f"<td class=\"n\">{total.error_rate * 100:.2f}%</td><td>{mark}</td></tr>")
        parts.append("</table>")

    parts.append("<h2>Steps</h2><table><tr><th>Step</th>" + "".join(
        f"<th class=\"n\">{h}</th>" for h in ("Requests", "Failures", "Median", "p90", "p95", "p99", "Max", "Req/s"))
        + "</tr>")
    for row in [*results.steps, results.total]:
        label = row.name if row.method != GROUP_METHOD else f"{row.name} (group)"
        failures = f"{row.failures} ({row.error_rate * 100:.1f}%)" if row.failures else "0"
        parts.append(f"<tr><td>{_e(label)}</td><td class=\"n\">{row.requests}</td><td class=\"n\">{failures}</td>"
                     + "".join(f"<td class=\"n\">{_ms(v)}</td>" for v in
                               (row.median_ms, row.p90_ms, row.p95_ms, row.p99_ms, row.max_ms))
                     + f"<td class=\"n\">{row.rps:.1f}</td></tr>")
    parts.append("</table>")

    parts.append("<h2>Failures</h2>")
    if results.failures:
        parts.append(f"<p>Assertions: {results.assertions_checked} checked, {results.assertions_failed} failed.</p>")
        for failure in results.failures[:30]:
            parts.append(f"<p><b>{failure.count} ×</b> <code>{_e(failure.message)}</code></p>")
            shown: set[tuple[str, str, int, str]] = set()
            for example in examples_for(failure.message, report.test.run_log.examples):
                body = " ".join(example.body_excerpt.split())[:500]
                if (example.method, example.url, example.status, body) in shown:
                    continue
                shown.add((example.method, example.url, example.status, body))
                parts.append(f"<pre>{_e(example.method)} {_e(example.url)} → "
                             f"{_e(example.status or 'no response')}" + (f"\n{_e(body)}" if body else "") + "</pre>")
        if len(results.failures) > 30:
            parts.append(f"<p class=\"note\">… and {len(results.failures) - 30} more distinct failures "
                         "(see summary.json).</p>")
    else:
        parts.append(f"<p>No failed request. Assertions: {results.assertions_checked} checked, none failed.</p>")
    parts.append(f"<p class=\"note\">Precision: {_e(PERCENTILE_PRECISION)}. Averages, minimums and maximums "
                 "are exact. Locust's own report follows.</p><hr></section>")
    return "\n".join(parts)


def html_text(report: RunReport) -> str:
    """Locust's self-contained HTML report with loadspec's verdict, thresholds and failures on top."""
    from locust.html import get_html_report

    env = report.outcome.environment
    spec = report.test.spec
    if not getattr(env, "locustfile", None):
        env.locustfile = str(spec.source or spec.name)
    page = get_html_report(env, show_download_link=False)
    page = page.replace("<title>Locust</title>", f"<title>loadspec: {_e(spec.name)}</title>", 1)
    marker = '<div id="root"></div>'
    if marker in page:
        return page.replace(marker, _section(report) + "\n" + marker, 1)
    return page.replace("<body>", "<body>\n" + _section(report), 1)


# --- all of them ------------------------------------------------------------------------------


@dataclass
class ReportTargets:
    """Where the report files go: `--report-dir` plus the single-file flags."""

    report_dir: str | None = None
    html: str | None = None
    json: str | None = None
    junit: str | None = None
    csv: str | None = None

    @classmethod
    def from_args(cls, args: Any) -> ReportTargets:
        return cls(*(getattr(args, name, None) for name in ("report_dir", "html", "json", "junit", "csv")))

    def paths(self) -> dict[str, list[Path]]:
        """Files per kind (for csv: prefixes), in a stable order."""
        found: dict[str, list[Path]] = {"html": [], "json": [], "junit": [], "csv": []}
        if self.report_dir is not None:
            for kind, name in REPORT_FILES.items():
                found[kind].append(Path(self.report_dir) / name)
        for kind in found:
            given = getattr(self, kind)
            if given is not None:
                found[kind].append(Path(given))
        return found

    def check(self) -> None:
        """Before the run: refuse targets that could never be written (a directory given as a file,
        a file given as the report directory), so a long run does not end without its reports."""
        if self.report_dir is not None and Path(self.report_dir).exists() and not Path(self.report_dir).is_dir():
            raise UsageError(f"--report-dir {self.report_dir}: exists and is not a directory")
        for kind in ("html", "json", "junit"):
            given = getattr(self, kind)
            if given is not None and Path(given).is_dir():
                raise UsageError(f"--{kind} {given}: is a directory; give a file name")


def write_reports(report: RunReport, targets: ReportTargets) -> list[Path]:
    """Write every requested report; returns the paths written. RunError when a file cannot be written."""
    paths = targets.paths()
    written: list[Path] = []
    makers = {"html": html_text, "json": json_text, "junit": junit_text}
    try:
        for kind, make in makers.items():
            if paths[kind]:
                text = make(report)
                for path in paths[kind]:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
                    written.append(path)
        for prefix in paths["csv"]:
            written.extend(write_csv(report, prefix))
    except OSError as exc:
        raise RunError(f"cannot write report {exc.filename or ''}: {exc.strerror or exc}") from None
    return written
