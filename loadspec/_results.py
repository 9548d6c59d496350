"""Turn Locust's statistics into plain, engine-free results: one row per step, failures, totals.

Reports (terminal table, JSON, HTML, JUnit) and threshold checks read `RunResults`; nothing here
prints or writes files. Percentiles come from Locust's histogram, so they carry its rounding
(exact below 100 ms, 10 ms steps below 1 s, 100 ms steps below 10 s, 1 s steps above).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PERCENTILE_PRECISION = (
    "percentiles come from Locust's histogram: exact below 100 ms, rounded to 10 ms below 1 s, "
    "to 100 ms below 10 s and to 1 s above"
)


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

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


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
        p99_ms=pct(0.99), rps=float(entry.total_rps or 0), percentile=pct,
    )


GROUP_METHOD = "GROUP"


def _requests_total(stats: Any) -> Any:
    """Locust's total, minus group entries (a group's time is already in its requests)."""
    if not any(entry.method == GROUP_METHOD for entry in stats.entries.values()):
        return stats.total
    total = type(stats.total)(stats, "Total", None, use_response_times_cache=False)
    for entry in stats.entries.values():
        if entry.method != GROUP_METHOD:
            total.extend(entry)
    return total


def collect(stats: Any, step_order: list[str], *, elapsed_s: float, run_log: Any = None) -> RunResults:
    """Read Locust's `RequestStats` into RunResults, steps in the order the spec lists them."""
    position = {name: index for index, name in enumerate(step_order)}
    entries = sorted(stats.entries.values(), key=lambda e: (position.get(e.name, len(position)), e.name))
    failures = sorted(
        (FailureRow(e.method or "", e.name, str(e.error), e.occurrences) for e in stats.errors.values()),
        key=lambda f: -f.count,
    )
    return RunResults(
        steps=[_row(entry) for entry in entries],
        total=_row(_requests_total(stats), "Total"),
        failures=failures,
        elapsed_s=elapsed_s,
        assertions_checked=getattr(run_log, "assertions_checked", 0),
        assertions_failed=getattr(run_log, "assertions_failed", 0),
        stop_reason=getattr(run_log, "stop_reason", None),
    )
