"""Terminal output of a finished run: the per-step table, the failures table and failure examples.

Reads `RunResults` and the compiled test's `RunLog`; returns text. It never runs anything.
"""

from __future__ import annotations

from ._results import PERCENTILE_PRECISION, RunResults, StepResult

_HEADER = ("Step", "Requests", "Failures", "Median", "p95", "p99", "Max", "Req/s")


def _ms(value: float) -> str:
    return f"{value:.0f}ms" if value < 10_000 else f"{value / 1000:.1f}s"


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
        example = _example_for(row.message, examples or {})
        if example is not None:
            out.append(f"  {' ' * width}   first: {example.method} {example.url} -> {example.status or 'no response'}")
            if example.body_excerpt:
                excerpt = " ".join(example.body_excerpt.split())[:120]
                out.append(f"  {' ' * width}   body:  {excerpt}")
    if len(results.failures) > limit:
        out.append(f"  … and {len(results.failures) - limit} more distinct failures")
    return "\n".join(out)


def _example_for(message: str, examples: dict[str, list]) -> object | None:
    for key, found in examples.items():
        if key and key in message and found:
            return found[0]
    return None


def render_summary(results: RunResults, examples: dict[str, list] | None = None) -> str:
    """Everything printed at the end of a run, before thresholds."""
    parts = [summary_table(results)]
    failures = failures_table(results, examples)
    if failures:
        parts.append(failures)
    if results.stop_reason:
        parts.append(f"Stopped early: {results.stop_reason}")
    parts.append(f"({PERCENTILE_PRECISION}.)")
    return "\n\n".join(parts)
