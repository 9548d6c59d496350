"""The JUnit XML report: one test case per threshold and one per step, for CI dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from ..results.runlog import GROUP_METHOD, examples_for
from ..results.stats import StepResult
from ..results.thresholds import ALL_REQUESTS
from .report import RunReport


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
            if check.full_note:
                detail += f" ({check.full_note})"
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



__all__ = ["junit_text"]
