"""The HTML report: Locust's own self-contained report with loadspec's verdict, thresholds and failures on top."""

from __future__ import annotations

import html

from locust.html import get_html_report

from ..lang.text import format_ms
from ..results.runlog import GROUP_METHOD, examples_for
from ..results.stats import PERCENTILE_PRECISION
from .report import RunReport

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
    return format_ms(value, " ")


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
    if results.iterations_started is not None:  # the open model
        facts.append(f"{results.iterations_started} iterations started, {results.dropped_iterations} dropped")
    parts.append(f"<p class=\"meta\">{' · '.join(facts)}</p>")
    for note in report.notes:
        parts.append(f"<p class=\"note\">{_e(note)}</p>")

    parts.append("<h2>Thresholds</h2>")
    if report.checks:
        parts.append("<table><tr><th>Result</th><th>Threshold</th><th>Step</th><th class=\"n\">Actual</th>"
                     "<th>Note</th></tr>")
        for check in report.checks:
            mark = "<span class=\"pass\">✓ pass</span>" if check.passed else "<span class=\"fail\">✗ fail</span>"
            note = check.full_note
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



__all__ = ["html_text"]
