"""Turn Locust's statistics into plain, engine-free results: one row per step, failures, totals.

Reports (terminal table, JSON, HTML, JUnit) and threshold checks read `RunResults`; `snapshot` and
`window` give the same results for a slice of the run (a stress step). Nothing here prints or writes
files. Percentiles come from Locust's histogram, so they carry its rounding
(exact below 100 ms, 10 ms steps below 1 s, 100 ms steps below 10 s, 1 s steps above).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .runlog import GROUP_METHOD, RunLog

PERCENTILE_PRECISION = (
    "percentiles come from Locust's histogram: exact below 100 ms, rounded to 10 ms below 1 s, "
    "to 100 ms below 10 s and to 1 s above"
)

#: The percentiles every report lists (Locust's own PERCENTILES_TO_REPORT).
REPORT_PERCENTILES: tuple[float, ...] = (0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0)


def percentile_label(fraction: float) -> str:
    """`p95`, `p99.9`, `p100` for 0.95, 0.999, 1.0."""
    return f"p{fraction * 100:.4f}".rstrip("0").rstrip(".")


def bucket_width(ms: float) -> float:
    """Width of Locust's histogram bucket around `ms` (1, 10, 100 or 1000 ms)."""
    if ms < 100:
        return 1.0
    if ms < 1000:
        return 10.0
    if ms < 10_000:
        return 100.0
    return 1000.0


@dataclass
class StepResult:
    """Statistics of one step (or group, or the aggregate)."""

    name: str
    method: str
    requests: int
    failures: int
    median_ms: float
    avg_ms: float
    min_ms: float
    max_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    percentile: Any = field(repr=False, default=None)
    histogram: dict[int, int] = field(repr=False, default_factory=dict)  # response time bucket (ms) -> count

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def percentiles(self, fractions: tuple[float, ...] = REPORT_PERCENTILES) -> dict[str, float]:
        """`{"p50": 12.0, "p95": 40.0, ...}` from Locust's histogram (0 when nothing was measured)."""
        return {percentile_label(f): (self.percentile(f) if self.percentile else 0.0) for f in fractions}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; times in milliseconds, error_rate as a fraction."""
        return {
            "name": self.name, "method": self.method, "requests": self.requests, "failures": self.failures,
            "error_rate": round(self.error_rate, 6), "rps": round(self.rps, 3), "avg_ms": round(self.avg_ms, 3),
            "min_ms": round(self.min_ms, 3), "median_ms": self.median_ms, "max_ms": round(self.max_ms, 3),
            "percentiles_ms": self.percentiles(),
        }


@dataclass
class FailureRow:
    """One distinct failure message and how often it happened."""

    method: str
    name: str
    message: str
    count: int


@dataclass
class RunResults:
    """Everything a report needs about a finished (or running) test."""

    steps: list[StepResult]
    total: StepResult
    failures: list[FailureRow]
    elapsed_s: float
    assertions_checked: int = 0
    assertions_failed: int = 0
    stop_reason: str | None = None
    #: step name -> (checked, failed) assertions
    step_assertions: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: the open model: iterations started (None in the closed model) and dropped
    iterations_started: int | None = None
    dropped_iterations: int = 0

    @property
    def assert_pass_rate(self) -> float:
        if not self.assertions_checked:
            return 1.0
        return 1.0 - self.assertions_failed / self.assertions_checked

    def step(self, name: str) -> StepResult | None:
        return next((row for row in self.steps if row.name == name), None)


def _row(entry: Any, name: str | None = None) -> StepResult:
    def pct(p: float) -> float:
        return float(entry.get_response_time_percentile(p) or 0) if entry.num_requests else 0.0

    return StepResult(
        name=name or entry.name, method=entry.method or "", requests=entry.num_requests,
        failures=entry.num_failures, median_ms=float(entry.median_response_time or 0),
        avg_ms=float(entry.avg_response_time or 0),
        min_ms=float(entry.min_response_time or 0) if entry.num_requests else 0.0,
        max_ms=float(entry.max_response_time or 0), p90_ms=pct(0.90), p95_ms=pct(0.95),
        p99_ms=pct(0.99), rps=float(entry.total_rps or 0), percentile=pct, histogram=entry.response_times,
    )


def _requests_total(stats: Any) -> Any:
    """Locust's total, minus group entries (a group's time is already in its requests)."""
    if not any(entry.method == GROUP_METHOD for entry in stats.entries.values()):
        return stats.total
    total = type(stats.total)(stats, "Total", None, use_response_times_cache=False)
    for entry in stats.entries.values():
        if entry.method != GROUP_METHOD:
            total.extend(entry)
    return total


def collect(stats: Any, step_order: list[str], *, elapsed_s: float, run_log: RunLog | None = None) -> RunResults:
    """Read Locust's `RequestStats` into RunResults, steps in the order the spec lists them, with
    the assertion counts and stop reason of `run_log`."""
    position = {name: index for index, name in enumerate(step_order)}
    entries = sorted(stats.entries.values(), key=lambda e: (position.get(e.name, len(position)), e.name))
    failures = sorted(
        (FailureRow(e.method or "", e.name, str(e.error), e.occurrences) for e in stats.errors.values()),
        key=lambda f: -f.count,
    )
    results = RunResults(
        steps=[_row(entry) for entry in entries],
        total=_row(_requests_total(stats), "Total"),
        failures=failures,
        elapsed_s=elapsed_s,
    )
    if run_log is not None:
        results.assertions_checked = run_log.assertions_checked
        results.assertions_failed = run_log.assertions_failed
        results.stop_reason = run_log.stop_reason
        results.step_assertions = {step: (checked, failed)
                                   for step, (checked, failed) in run_log.assertions_by_step.items()}
        results.iterations_started = run_log.iterations_started
        results.dropped_iterations = run_log.dropped_iterations
    return results


# --- what happened between two moments (stress steps) ----------------------------------------


@dataclass
class _Counts:
    method: str
    requests: int
    failures: int
    total_ms: float
    histogram: dict[int, int]


@dataclass
class StatsSnapshot:
    """A copy of Locust's counters at one moment (monotonic `taken_at`), to diff against a later one."""

    taken_at: float
    entries: dict[tuple[str, str], _Counts]
    total: _Counts
    assertions_checked: int = 0
    assertions_failed: int = 0


def _counts(entry: Any) -> _Counts:
    return _Counts(entry.method or "", entry.num_requests, entry.num_failures, float(entry.total_response_time),
                   dict(entry.response_times))


def snapshot(stats: Any, taken_at: float, run_log: Any = None) -> StatsSnapshot:
    """Copy the counters of every entry (and the group-free total) of Locust's `RequestStats`."""
    return StatsSnapshot(
        taken_at=taken_at,
        entries={(e.name, e.method or ""): _counts(e) for e in stats.entries.values()},
        total=_counts(_requests_total(stats)),
        assertions_checked=getattr(run_log, "assertions_checked", 0),
        assertions_failed=getattr(run_log, "assertions_failed", 0),
    )


def histogram_percentile(histogram: dict[int, int], measured: int, fraction: float) -> float:
    """Locust's percentile walk over a `{bucket_ms: count}` histogram (as in `locust.stats`)."""
    wanted = int(measured * fraction)
    seen = 0
    for bucket in sorted(histogram, reverse=True):
        seen += histogram[bucket]
        if measured - seen <= wanted:
            return float(bucket)
    return 0.0


def _window_row(name: str, new: _Counts, old: _Counts | None, seconds: float) -> StepResult:
    old = old or _Counts(new.method, 0, 0, 0.0, {})
    histogram = {ms: n - old.histogram.get(ms, 0) for ms, n in new.histogram.items()
                 if n - old.histogram.get(ms, 0) > 0}
    measured = sum(histogram.values())
    requests = new.requests - old.requests

    def pct(p: float) -> float:
        return histogram_percentile(histogram, measured, p) if measured else 0.0

    return StepResult(
        name=name, method=new.method, requests=requests, failures=new.failures - old.failures,
        median_ms=pct(0.5), avg_ms=(new.total_ms - old.total_ms) / measured if measured else 0.0,
        min_ms=float(min(histogram)) if histogram else 0.0, max_ms=float(max(histogram)) if histogram else 0.0,
        p90_ms=pct(0.90), p95_ms=pct(0.95), p99_ms=pct(0.99),
        rps=requests / seconds if seconds > 0 else 0.0, percentile=pct, histogram=histogram,
    )


def combined_row(name: str, rows: list[StepResult]) -> StepResult:
    """One row for the requests of several steps (a threshold on tags): counts and rates add up,
    the average is weighted, percentiles walk the summed histograms."""
    histogram: dict[int, int] = {}
    for row in rows:
        for bucket, count in row.histogram.items():
            histogram[bucket] = histogram.get(bucket, 0) + count
    measured = sum(histogram.values())
    requests = sum(row.requests for row in rows)

    def pct(p: float) -> float:
        return histogram_percentile(histogram, measured, p) if measured else 0.0

    timed = [row for row in rows if row.requests]
    return StepResult(
        name=name, method="", requests=requests, failures=sum(row.failures for row in rows),
        median_ms=pct(0.5), avg_ms=sum(r.avg_ms * r.requests for r in timed) / requests if requests else 0.0,
        min_ms=min((r.min_ms for r in timed), default=0.0), max_ms=max((r.max_ms for r in timed), default=0.0),
        p90_ms=pct(0.90), p95_ms=pct(0.95), p99_ms=pct(0.99), rps=sum(row.rps for row in rows),
        percentile=pct, histogram=histogram,
    )


def window(before: StatsSnapshot, after: StatsSnapshot) -> RunResults:
    """Results of what happened between two snapshots: counts, rates and histogram percentiles of
    that window only (min and max are histogram buckets here, not exact values)."""
    seconds = after.taken_at - before.taken_at
    steps = [_window_row(name, counts, before.entries.get((name, method)), seconds)
             for (name, method), counts in after.entries.items()]
    return RunResults(
        steps=[row for row in steps if row.requests],
        total=_window_row("Total", after.total, before.total, seconds),
        failures=[], elapsed_s=seconds,
        assertions_checked=after.assertions_checked - before.assertions_checked,
        assertions_failed=after.assertions_failed - before.assertions_failed,
    )


__all__ = ["FailureRow", "PERCENTILE_PRECISION", "REPORT_PERCENTILES", "RunResults", "StatsSnapshot", "StepResult",
           "bucket_width", "collect", "combined_row", "histogram_percentile", "percentile_label", "snapshot", "window"]
