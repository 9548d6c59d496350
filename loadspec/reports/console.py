"""Terminal output of a finished run: the per-step table, failures with examples, the thresholds.

Reads `RunResults`, the compiled test's `RunLog` and threshold results; returns text. It never runs
or judges anything.
"""

from __future__ import annotations

from typing import Any

from ..lang.text import format_ms
from ..results.runlog import examples_for
from ..results.stats import PERCENTILE_PRECISION, RunResults, StepResult

_HEADER = ("Step", "Requests", "Failures", "Median", "p95", "p99", "Max", "Req/s")


_ms = format_ms


def _cells(row: StepResult) -> tuple[str, ...]:
    label = row.name if row.method in ("", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") \
        else f"{row.name} [{row.method.lower()}]"
    failures = f"{row.failures} ({row.error_rate * 100:.1f}%)" if row.failures else "0"
    return (label, str(row.requests), failures, _ms(row.median_ms), _ms(row.p95_ms), _ms(row.p99_ms),
            _ms(row.max_ms), f"{row.rps:.1f}")


def summary_table(results: RunResults) -> str:
    """The per-step statistics table with a Total row."""
    rows = [_cells(row) for row in results.steps] + [_cells(results.total)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(_HEADER)]
    widths[0] = min(widths[0], 48)

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0] if len(cells[0]) <= widths[0] else cells[0][: widths[0] - 1] + "…"
        rest = [cell.rjust(widths[i + 1]) for i, cell in enumerate(cells[1:])]
        return "  ".join([first.ljust(widths[0]), *rest])

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    body = [line(_HEADER), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])]
    return "\n".join(body)


def failures_table(results: RunResults, examples: dict[str, list] | None = None, limit: int = 15) -> str:
    """Distinct failure messages by count, with the details of the first occurrence of each."""
    if not results.failures:
        return ""
    out = ["Failures:"]
    width = len(str(results.failures[0].count))
    for row in results.failures[:limit]:
        out.append(f"  {str(row.count).rjust(width)} × {row.message}")
        example = next(iter(examples_for(row.message, examples or {})), None)
        if example is not None:
            out.append(f"  {' ' * width}   first: {example.method} {example.url} -> {example.status or 'no response'}")
            if example.body_excerpt:
                excerpt = " ".join(example.body_excerpt.split())[:120]
                out.append(f"  {' ' * width}   body:  {excerpt}")
    if len(results.failures) > limit:
        out.append(f"  … and {len(results.failures) - limit} more distinct failures")
    return "\n".join(out)


def render_summary(results: RunResults, examples: dict[str, list] | None = None, *,
                   precision_note: bool = True) -> str:
    """Everything printed at the end of a run, before thresholds (whose table has its own note)."""
    parts = [summary_table(results)]
    failures = failures_table(results, examples)
    if failures:
        parts.append(failures)
    if results.iterations_started is not None:
        parts.append(iterations_line(results))
    if results.stop_reason:
        parts.append(f"Stopped early: {results.stop_reason}")
    if precision_note:
        parts.append(f"({PERCENTILE_PRECISION}.)")
    return "\n\n".join(parts)


def iterations_line(results: RunResults) -> str:
    """The open model's count: `Iterations: 200 started, 3 dropped (every max_users user was busy)`."""
    dropped = results.dropped_iterations
    why = " (due while every one of max_users was busy: raise max_users, or the server is too slow)" if dropped else ""
    return f"Iterations: {results.iterations_started} started, {dropped} dropped{why}"


def thresholds_table(checks: list[Any]) -> str:
    """Every threshold with ✓/✗, its scope, its actual value and a note (ThresholdResult rows)."""
    if not checks:
        return ""
    rows = []
    for check in checks:
        rows.append(("✓" if check.passed else "✗", check.threshold.text, check.scope, check.actual_text,
                     check.full_note))
    header = ("", "Threshold", "Step", "Actual", "")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["Thresholds:"]
    for mark, text, scope, actual, note in rows:
        line = f"  {mark} {text.ljust(widths[1])}  {scope.ljust(widths[2])}  {actual.rjust(widths[3])}"
        lines.append(f"{line}  {note}".rstrip())
    passed = sum(1 for c in checks if c.passed)
    lines.append(f"  {passed} of {len(checks)} passed. Precision: pNN and med come from Locust's histogram "
                 "(exact below 100 ms, ±5 ms to 1 s, ±50 ms to 10 s, ±500 ms above); avg, min and max are exact.")
    return "\n".join(lines)


def stress_table(stress: Any) -> str:
    """The steps of a stress run (a StressWatch): users, requests/s, p95, errors, held or broke."""
    if not stress.steps:
        return stress.summary()
    lines = ["Stress steps (each judged on its own requests):",
             f"  {'Users':>5}  {'Requests':>8}  {'Req/s':>7}  {'p95':>7}  {'Errors':>7}"]
    for step in stress.steps:
        total = step.results.total
        lines.append(f"  {step.users:>5}  {total.requests:>8}  {total.rps:>7.1f}  {_ms(total.p95_ms):>7}  "
                     f"{total.error_rate * 100:>6.2f}%  {'held' if step.passed else 'broke'}")
    if stress.note:
        lines.append(f"  ({stress.note})")
    lines.append(stress.summary())
    return "\n".join(lines)


__all__ = ["failures_table", "iterations_line", "render_summary", "stress_table", "summary_table", "thresholds_table"]
