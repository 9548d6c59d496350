"""Compare runs: read `summary.json` files and judge a current run against a baseline, engine-free.

`load_summary` reads a report written by `loadspec run --json/--report-dir` (InputFileError, exit
code 2, for anything unreadable); `compare` lines up the steps of two runs and marks each metric
that regressed beyond the tolerance; `baseline_metric` and `resolve_baselines` give thresholds such
as `p95 < baseline + 10%` their value from a baseline run. Nothing here prints or runs load.

Regression rules (docs/reports.md#comparing-runs): a response-time percentile regressed when it
grew by more than the tolerance and by more than `ignore_under_ms` (Locust's histogram and a busy
machine move small times by a few ms); requests/s when it fell by more than the tolerance; the
error rate when it grew by more than the tolerance and by more than 0.1 percentage point.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputFileError, UsageError
from ..model import Threshold

#: What `compare` looks at, in table order: (name, summary field, worse when it goes "up"/"down").
COMPARED_METRICS: tuple[tuple[str, str, str], ...] = (
    ("p50", "p50", "up"), ("p95", "p95", "up"), ("p99", "p99", "up"),
    ("rps", "rps", "down"), ("error_rate", "error_rate", "up"),
)
DEFAULT_TOLERANCE = 0.10
DEFAULT_IGNORE_UNDER_MS = 5.0
ERROR_RATE_FLOOR = 0.001  # 0.1 percentage point
TOTAL = "Total"


@dataclass
class Summary:
    """One run's `summary.json`: its steps by name (and the totals as `Total`)."""

    path: str
    data: dict[str, Any]
    rows: dict[str, dict[str, Any]]

    @property
    def name(self) -> str:
        return str(self.data.get("name") or Path(self.path).stem)


def _fail(path: str | Path, why: str) -> InputFileError:
    return InputFileError(f"{path}: {why}")


def load_summary(path: str | Path) -> Summary:
    """Read a loadspec `summary.json`; InputFileError (exit code 2) when it is missing, not JSON or
    not a loadspec summary."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except IsADirectoryError:
        raise _fail(path, "is a directory; give the summary.json file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or \
            not isinstance(data.get("totals"), dict):
        raise _fail(path, "not a loadspec summary.json (no 'steps' and 'totals'); write one with "
                          "`loadspec run SPEC --json FILE`")
    rows: dict[str, dict[str, Any]] = {}
    for row in [*data["steps"], {**data["totals"], "name": TOTAL}]:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise _fail(path, "a step of 'steps' has no name")
        rows[row["name"]] = row
    return Summary(str(path), data, rows)


def _number(row: dict[str, Any] | None, key: str) -> float | None:
    """A metric of a summary row: `p95` from `percentiles_ms`, `rps`, `error_rate`, `avg_ms`, ..."""
    if row is None:
        return None
    if key.startswith("p") and key[1:].replace(".", "").isdigit():
        value = (row.get("percentiles_ms") or {}).get(key)
    else:
        value = row.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass
class MetricDelta:
    """One metric of one step in both runs."""

    metric: str
    baseline: float | None
    current: float | None
    regressed: bool = False

    @property
    def change(self) -> float | None:
        """Relative change (0.25 = +25%); None when either side is missing or the baseline is 0."""
        if self.baseline is None or self.current is None or self.baseline == 0:
            return None
        return self.current / self.baseline - 1.0


@dataclass
class StepComparison:
    """A step (or `Total`) of either run, its metrics side by side."""

    name: str
    method: str
    metrics: list[MetricDelta]
    status: str = "same"  # same | regressed | new | gone

    @property
    def regressed(self) -> bool:
        return self.status == "regressed"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "method": self.method, "status": self.status,
                "metrics": [{**dataclasses.asdict(m), "change": m.change} for m in self.metrics]}


@dataclass
class Comparison:
    """Two runs compared step by step; `regressed` lists the steps beyond the tolerance."""

    baseline: Summary
    current: Summary
    tolerance: float
    ignore_under_ms: float
    steps: list[StepComparison] = field(default_factory=list)

    @property
    def regressed(self) -> list[StepComparison]:
        return [step for step in self.steps if step.regressed]


def _is_regression(metric: str, worse: str, base: float | None, now: float | None, tolerance: float,
                   ignore_under_ms: float) -> bool:
    if base is None or now is None:
        return False
    if worse == "down":
        return now < base * (1.0 - tolerance)
    if metric == "error_rate":
        return now > base * (1.0 + tolerance) and now - base > ERROR_RATE_FLOOR
    return now > base * (1.0 + tolerance) and now - base > ignore_under_ms


def compare(baseline: Summary, current: Summary, *, tolerance: float = DEFAULT_TOLERANCE,
            ignore_under_ms: float = DEFAULT_IGNORE_UNDER_MS,
            metrics: tuple[str, ...] | None = None) -> Comparison:
    """Each step of either run (current order, then the baseline's steps that are gone) with every
    compared metric; a step regressed when any of `metrics` (default: all) did."""
    judged = set(metrics or (name for name, _, _ in COMPARED_METRICS))
    unknown = judged - {name for name, _, _ in COMPARED_METRICS}
    if unknown:
        raise UsageError(f"unknown metric(s) {', '.join(sorted(unknown))}; compare knows "
                         + ", ".join(name for name, _, _ in COMPARED_METRICS))
    result = Comparison(baseline, current, tolerance, ignore_under_ms)
    names = [n for n in current.rows if n != TOTAL] + [n for n in baseline.rows if n not in current.rows]
    for name in [*names, TOTAL]:
        base_row, now_row = baseline.rows.get(name), current.rows.get(name)
        deltas = []
        for metric, key, worse in COMPARED_METRICS:
            base, now = _number(base_row, key), _number(now_row, key)
            regressed = metric in judged and _is_regression(metric, worse, base, now, tolerance, ignore_under_ms)
            deltas.append(MetricDelta(metric, base, now, regressed))
        status = ("new" if base_row is None else "gone" if now_row is None
                  else "regressed" if any(d.regressed for d in deltas) else "same")
        method = str((now_row or base_row or {}).get("method") or "")
        result.steps.append(StepComparison(name, method, deltas, status))
    return result


# --- thresholds against a baseline: `p95 < baseline + 10%` --------------------------------------

_THRESHOLD_KEYS = {"avg": "avg_ms", "med": "median_ms", "min": "min_ms", "max": "max_ms",
                   "error_rate": "error_rate", "rps": "rps", "requests": "requests"}


def baseline_metric(summary: Summary, threshold: Threshold) -> float | None:
    """The baseline run's value of `threshold`'s metric (for its step, else all requests); None
    when the baseline does not have it (the step did not run there, or a percentile it does not list)."""
    if threshold.metric == "assert_pass_rate":
        if threshold.step is not None:
            return None
        value = (summary.data.get("assertions") or {}).get("pass_rate")
        return float(value) if isinstance(value, (int, float)) else None
    row = summary.rows.get(threshold.step or TOTAL)
    if threshold.percentile is not None:
        label = f"p{threshold.percentile:.4f}".rstrip("0").rstrip(".")
        return _number(row, label)
    return _number(row, _THRESHOLD_KEYS.get(threshold.metric, threshold.metric))


def resolve_baselines(thresholds: list[Threshold], summary: Summary | None) -> list[Threshold]:
    """The thresholds with every `baseline` one given its value: the baseline's metric times
    (1 + margin). UsageError when a threshold needs a baseline and there is none, or the baseline
    has no such value (nothing to compare with must not pass silently)."""
    wanted = [t for t in thresholds if t.baseline is not None]
    if not wanted:
        return thresholds
    if summary is None:
        texts = ", ".join(f"'{t.text}'" for t in wanted)
        raise UsageError(f"threshold {texts} compares with a baseline: pass --baseline FILE "
                         "(the summary.json of an earlier run)")
    resolved = []
    for threshold in thresholds:
        if threshold.baseline is not None:
            value = baseline_metric(summary, threshold)
            if value is None:
                scope = f" of step '{threshold.step}'" if threshold.step else ""
                raise UsageError(f"threshold '{threshold.text}': the baseline {summary.path} has no "
                                 f"{threshold.metric}{scope}")
            threshold = dataclasses.replace(threshold, value=value * (1.0 + threshold.baseline),
                                            baseline_value=value)
        resolved.append(threshold)
    return resolved


__all__ = ["COMPARED_METRICS", "Comparison", "DEFAULT_IGNORE_UNDER_MS", "DEFAULT_TOLERANCE", "MetricDelta",
           "StepComparison", "Summary", "baseline_metric", "compare", "load_summary", "resolve_baselines"]
