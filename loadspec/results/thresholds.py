"""Judge a run against the spec's thresholds: during the run (aborts) and at the end (verdict).

A threshold `metric op value` is measured on `RunResults` (the aggregate, or one step with `step:`),
compared, and kept as a `ThresholdResult` with its actual value. `AbortWatch` is a runner monitor that
stops the run when an `abort_on_fail` threshold fails after its `delay_abort_eval`; `judge` turns the
results into the documented exit code. It reads only results (never Locust objects beyond
`env.stats`), so it works the same for local and distributed runs. It prints and writes nothing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import EXIT_ABORTED, EXIT_PASSED, EXIT_REQUESTS_FAILED, EXIT_THRESHOLDS_FAILED
from ..lang.units import TEST_METRICS
from ..model import Threshold
from .stats import RunResults, StepResult, bucket_width, collect, combined_row

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
_HISTOGRAM_METRICS = frozenset({"med", "pNN"})
_TIME_METRICS = frozenset({"avg", "med", "min", "max", "pNN"})
ALL_REQUESTS = "all requests"
WHOLE_TEST = "whole test"


def metric_kind(threshold: Threshold) -> str:
    """The metric family: `pNN` for any percentile, else the metric name."""
    return "pNN" if threshold.percentile is not None else threshold.metric


@dataclass
class ThresholdResult:
    """One threshold after measuring: the actual value (None = nothing to measure) and pass/fail."""

    threshold: Threshold
    actual: float | None
    passed: bool
    note: str = ""
    aborted_run: bool = False
    at_s: float | None = None  # when, during the run, an aborting threshold failed

    @property
    def scope(self) -> str:
        if self.threshold.metric in TEST_METRICS:
            return WHOLE_TEST
        if self.threshold.tags:
            return "tags " + ", ".join(f"{k}={v}" for k, v in self.threshold.tags.items())
        return self.threshold.step or ALL_REQUESTS

    @property
    def full_note(self) -> str:
        """The note, led by when the threshold aborted the run (if it did)."""
        if not self.aborted_run:
            return self.note
        return f"aborted the run after {self.at_s or 0:.1f}s" + (f"; {self.note}" if self.note else "")

    @property
    def actual_text(self) -> str:
        return "no data" if self.actual is None else format_value(self.threshold, self.actual)

    def as_dict(self) -> dict[str, Any]:
        t = self.threshold
        return {
            "threshold": t.text, "metric": t.metric, "op": t.op, "value": t.value, "step": t.step,
            "tags": dict(t.tags) or None,
            "actual": self.actual, "actual_text": self.actual_text, "passed": self.passed, "note": self.note,
            "abort_on_fail": t.abort_on_fail, "delay_abort_eval_s": t.delay_abort_eval,
            "aborted_run": self.aborted_run, "failed_at_s": self.at_s,
        }


def format_value(threshold: Threshold, value: float) -> str:
    """`412ms`, `1.2s`, `0.52%`, `41.3/s`, `1200` — in the units the threshold speaks."""
    kind = metric_kind(threshold)
    if kind in _TIME_METRICS:
        if value >= 10_000:
            return f"{value / 1000:.1f}s"
        return f"{value:.0f}ms" if value >= 100 or float(value).is_integer() else f"{value:.1f}ms"
    if kind in ("error_rate", "assert_pass_rate"):
        return f"{value * 100:.2f}%"
    if kind == "rps":
        return f"{value:.1f}/s"
    return f"{value:.0f}"


def _row_for(threshold: Threshold, results: RunResults) -> StepResult | None:
    if threshold.tags:
        rows = [row for row in (results.step(name) for name in threshold.tag_steps) if row is not None]
        return combined_row("tags", rows) if rows else None
    if threshold.step is None:
        return results.total
    return results.step(threshold.step)


def measure(threshold: Threshold, results: RunResults) -> tuple[float | None, str]:
    """The actual value of `threshold`'s metric in `results`, and a note (why there is none, caveats)."""
    kind = metric_kind(threshold)
    if kind == "iterations":
        if results.iterations_started is None:
            return None, "iterations are counted in the open model (load.rate) only"
        return float(results.iterations_started), ""
    if kind == "dropped_iterations":
        note = "" if results.iterations_started is not None else "the closed model drops no iteration"
        return float(results.dropped_iterations), note
    if kind == "assert_pass_rate":
        if threshold.step is not None and threshold.step in results.step_assertions:
            checked, failed = results.step_assertions[threshold.step]
            note = ""
        else:
            checked, failed = results.assertions_checked, results.assertions_failed
            note = "counted over all steps" if threshold.step is not None else ""
        if not checked:
            return None, "no assertion was checked"
        return 1.0 - failed / checked, note
    row = _row_for(threshold, results)
    requests = row.requests if row is not None else 0
    if kind == "requests":
        return float(requests), ""
    if kind == "rps":
        return (row.rps if row is not None else 0.0), ""
    if row is None or not requests:
        if threshold.tags:
            return None, "no step with these tags sent a request"
        return None, "no requests" if threshold.step is None else f"step '{threshold.step}' sent no requests"
    if kind == "error_rate":
        return row.error_rate, ""
    if kind == "pNN":
        return row.percentile(threshold.percentile / 100.0), ""
    value = {"avg": row.avg_ms, "med": row.median_ms, "min": row.min_ms, "max": row.max_ms}[kind]
    return value, ""


def check(threshold: Threshold, results: RunResults) -> ThresholdResult:
    """Measure and compare one threshold. No data counts as failed (a gate that measured nothing
    must not pass silently)."""
    actual, note = measure(threshold, results)
    if actual is None:
        return ThresholdResult(threshold, None, passed=False, note=note)
    passed = _COMPARE[threshold.op](actual, threshold.value)
    kind = metric_kind(threshold)
    if kind in _HISTOGRAM_METRICS and abs(actual - threshold.value) < bucket_width(threshold.value):
        rounding = "within Locust's rounding of the limit"
        note = f"{note}; {rounding}" if note else rounding
    return ThresholdResult(threshold, actual, passed=passed, note=note)


def evaluate(thresholds: list[Threshold], results: RunResults) -> list[ThresholdResult]:
    """Every threshold checked against the final results, in spec order."""
    return [check(threshold, results) for threshold in thresholds]


def final_checks(thresholds: list[Threshold], results: RunResults,
                 aborted: ThresholdResult | None = None) -> list[ThresholdResult]:
    """`evaluate` at the end of the run; the threshold that aborted the run stays failed, with when
    and at what value it aborted (its final value may have recovered since)."""
    checks = evaluate(thresholds, results)
    for check in checks:
        if aborted is not None and check.threshold is aborted.threshold:
            check.passed, check.aborted_run, check.at_s = False, True, aborted.at_s
            check.note = f"was {aborted.actual_text} when it aborted" + (f"; {check.note}" if check.note else "")
    return checks


def can_abort(threshold: Threshold) -> bool:
    """A `requests > N` threshold can only fail at the end (the count only grows), so it never aborts."""
    return threshold.abort_on_fail and not (threshold.metric == "requests" and threshold.op in (">", ">=", "=="))


class AbortWatch:
    """Runner monitor: about once a second, after each threshold's `delay_abort_eval`, check the
    `abort_on_fail` thresholds on the results so far; the first failure stops the run.

    `aborted` then holds the failing ThresholdResult (with `at_s`). Missing data never aborts."""

    def __init__(self, thresholds: list[Threshold], run_log: Any = None, step_order: list[str] | None = None,
                 interval: float = 1.0):
        self.thresholds = [t for t in thresholds if can_abort(t)]
        self.run_log = run_log
        self.step_order = step_order or []
        self.interval = interval
        self.aborted: ThresholdResult | None = None
        self._last = -interval

    def __call__(self, env: Any, elapsed: float) -> str | None:
        due = [t for t in self.thresholds if elapsed >= t.delay_abort_eval]
        if not due or elapsed - self._last < self.interval:
            return None
        self._last = elapsed
        results = collect(env.stats, self.step_order, elapsed_s=elapsed, run_log=self.run_log)
        for threshold in due:
            result = check(threshold, results)
            if result.actual is not None and not result.passed:
                result.aborted_run, result.at_s = True, elapsed
                self.aborted = result
                return f"abort_on_fail threshold '{threshold.text}'"
        return None


@dataclass
class Verdict:
    """How the run ended for the user and for CI: an exit code, a word and a sentence."""

    exit_code: int
    status: str  # passed | failed | thresholds_failed | aborted
    reason: str

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_PASSED


def judge(results: RunResults, checks: list[ThresholdResult], *, has_thresholds: bool,
          aborted: ThresholdResult | None = None, broke: str | None = None) -> Verdict:
    """The exit code. With thresholds, they alone decide (failed requests within them are fine);
    without thresholds any failed request or a data pool's stop_test fails the run."""
    if aborted is not None:
        scope = f" on {aborted.threshold.step}" if aborted.threshold.step else ""
        return Verdict(EXIT_ABORTED, "aborted",
                       f"aborted after {aborted.at_s or 0:.1f}s: threshold '{aborted.threshold.text}'{scope} "
                       f"failed ({aborted.actual_text})")
    if broke is not None:
        return Verdict(EXIT_THRESHOLDS_FAILED, "thresholds_failed", broke)
    if has_thresholds:
        failed = [c for c in checks if not c.passed]
        if failed:
            names = ", ".join(f"'{c.threshold.text}'" + (f" on {c.threshold.step}" if c.threshold.step else "")
                              for c in failed)
            return Verdict(EXIT_THRESHOLDS_FAILED, "thresholds_failed",
                           f"{len(failed)} of {len(checks)} thresholds failed: {names}")
        return Verdict(EXIT_PASSED, "passed", f"all {len(checks)} thresholds passed")
    if results.stop_reason:
        return Verdict(EXIT_REQUESTS_FAILED, "failed", f"stopped early: {results.stop_reason}")
    if results.total.failures:
        return Verdict(EXIT_REQUESTS_FAILED, "failed",
                       f"{results.total.failures} of {results.total.requests} requests failed")
    return Verdict(EXIT_PASSED, "passed", f"all {results.total.requests} requests succeeded")


__all__ = ["ALL_REQUESTS", "AbortWatch", "ThresholdResult", "Verdict", "can_abort", "check", "evaluate",
           "final_checks", "format_value", "judge", "measure", "metric_kind"]
