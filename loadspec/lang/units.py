"""Parse the small value languages of a spec: durations, think times and threshold expressions.

Each parser takes the user's text and returns a normalised value (seconds, milliseconds, fractions)
or raises `ValueError` with a message fit to show the user. No I/O, no knowledge of YAML.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..model import Threshold

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

THRESHOLD_METRICS: tuple[str, ...] = (
    "avg", "med", "min", "max", "pNN", "error_rate", "rps", "requests", "assert_pass_rate",
    "iterations", "dropped_iterations",
)
#: Metrics of the whole test (iterations are not requests of a step).
TEST_METRICS = frozenset({"iterations", "dropped_iterations"})
TIME_METRICS = frozenset({"avg", "med", "min", "max"})
RATE_METRICS = frozenset({"error_rate", "assert_pass_rate"})
#: Names people use for a metric loadspec calls otherwise.
_METRIC_SYNONYMS = {
    "failure_rate": "error_rate", "fail_rate": "error_rate", "fail_ratio": "error_rate", "errors": "error_rate",
    "average": "avg", "mean": "avg", "median": "med", "latency": "p95", "response_time": "p95",
    "throughput": "rps", "count": "requests", "pass_rate": "assert_pass_rate", "checks": "assert_pass_rate",
}
_THRESHOLD = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op><=|>=|==|!=|<|>|=)?\s*"
    r"(?P<number>[0-9]+(?:\.[0-9]+)?)?\s*(?P<unit>[A-Za-z%]+)?\s*$"
)


def parse_duration(value: object) -> float:
    """Seconds from `30s`, `800ms`, `2m`, `1h`, `1.5s` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 30s or 800ms, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        raise ValueError(f"'{value}' is not a duration; write e.g. 800ms, 30s, 2m or 1h")
    raise ValueError(f"expected a duration like 30s or 800ms, got {type(value).__name__}")


def parse_duration_option(text: str | None, option: str) -> float | None:
    """A duration given on the command line (`30s`, `2m`; a bare number is seconds), or None.
    Raises UsageError naming the option."""
    if text is None:
        return None
    try:
        return parse_duration(float(text) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text.strip()) else text)
    except ValueError as exc:
        from ..errors import UsageError

        raise UsageError(f"{option}: {exc}") from None


_RATE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*(s|m|h)\s*$")


def parse_rate(value: object) -> float:
    """Iterations per second from `20/s`, `600/m`, `50/h` or a bare number (per second)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a rate like 20/s, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a rate cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _RATE.match(value)
        if match:
            return float(match.group(1)) / _UNIT_SECONDS[match.group(2)]
        raise ValueError(f"'{value}' is not a rate; write iterations per time unit, e.g. 20/s, 600/m or 50/h")
    raise ValueError(f"expected a rate like 20/s, got {type(value).__name__}")


def parse_milliseconds(value: object) -> float:
    """Milliseconds from a duration string; a bare number is already milliseconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return parse_duration(value) * 1000.0


def parse_think_time(value: object) -> tuple[float, float]:
    """(minimum, maximum) seconds from `2s` or the range `1s..3s`."""
    if isinstance(value, str) and ".." in value:
        low_text, _, high_text = value.partition("..")
        low, high = parse_duration(low_text), parse_duration(high_text)
        if high < low:
            raise ValueError(f"think time range '{value}' ends before it starts")
        return low, high
    seconds = parse_duration(value)
    return seconds, seconds


@dataclass(frozen=True)
class ParsedThreshold:
    """A threshold expression, normalised: ms for times, fractions for rates."""

    metric: str
    op: str
    value: float
    percentile: float | None


def parse_threshold(text: str) -> ParsedThreshold:
    """Parse `p95 < 500ms`, `error_rate < 1%`, `rps > 100`, `assert_pass_rate >= 99.5%`."""
    match = _THRESHOLD.match(text or "")
    if not match:
        raise ValueError(f"cannot read threshold '{text}'; write <metric> <op> <value>, e.g. p95 < 500ms")
    metric, op, number, unit = match.group("metric", "op", "number", "unit")
    percentile = None
    if re.fullmatch(r"p[0-9]+(\.[0-9]+)?", metric):
        percentile = float(metric[1:])
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile {metric} must be between p0 and p100")
    elif metric not in THRESHOLD_METRICS:
        close = [_METRIC_SYNONYMS[metric]] if metric in _METRIC_SYNONYMS else \
            difflib.get_close_matches(metric, THRESHOLD_METRICS + ("p95", "p99"), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown threshold metric '{metric}'{hint} (metrics: avg, med, min, max, "
                         "pNN, error_rate, rps, requests, assert_pass_rate, iterations, dropped_iterations)")
    if op is None or op == "=":
        raise ValueError(f"threshold '{text}' needs a comparison: one of < <= > >= == !=")
    if number is None:
        raise ValueError(f"threshold '{text}' needs a number after '{op}'")
    amount = float(number)
    if percentile is not None or metric in TIME_METRICS:
        if unit not in (None, "ms", "s"):
            raise ValueError(f"'{unit}' is not a time unit for {metric}; use ms or s")
        amount = amount * 1000.0 if unit == "s" else amount
    elif metric in RATE_METRICS:
        if unit == "%":
            if amount > 100:
                raise ValueError(f"{metric} {amount:g}% is above 100%")
            amount /= 100.0
        elif unit is not None:
            raise ValueError(f"'{unit}' is not a unit for {metric}; write a percentage like 1%")
        elif amount > 1:
            raise ValueError(f"{metric} {amount:g} is above 1; write a percentage like {amount:g}%")
    elif unit is not None:
        raise ValueError(f"{metric} takes a plain number, not '{unit}'")
    return ParsedThreshold(metric, op, amount, percentile)


def threshold_from_text(text: str, **options: Any) -> Threshold:
    """`p95 < 500ms` as a Threshold (any other field by keyword); ValueError when unreadable."""
    parsed = parse_threshold(text)
    return Threshold(metric=parsed.metric, op=parsed.op, value=parsed.value, text=text.strip(),
                     percentile=parsed.percentile, **options)


__all__ = ["ParsedThreshold", "RATE_METRICS", "TEST_METRICS", "THRESHOLD_METRICS", "TIME_METRICS", "parse_duration",
           "parse_duration_option", "parse_milliseconds", "parse_rate", "parse_think_time", "parse_threshold",
           "threshold_from_text"]
