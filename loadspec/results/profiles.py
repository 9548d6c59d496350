"""Named load profiles (`--profile smoke|load|spike|soak|stress`): turn a spec's own load into a plan.

Each profile derives its users and times from the file's `load:` (or `-u`/`-t`): N = the nominal
user count (`-u`, `load.users`, the largest stage, else 10) and D = the nominal duration (`-t`,
`load.duration`, the stages' total, else 60 s). `StressWatch` is the monitor that judges each stress
step on that step's own requests and stops at the first step that breaks a threshold. This module
only plans and judges; it does not run Locust or print, and importing it does not import Locust
(the command line reads PROFILES).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..lang.text import format_seconds, plural
from ..lang.units import threshold_from_text
from ..model import Load, Stage, Threshold
from .plan import LoadPlan
from .stats import RunResults, snapshot, window
from .thresholds import ThresholdResult, evaluate, format_value

PROFILES: tuple[str, ...] = ("smoke", "load", "spike", "soak", "stress")
DEFAULT_USERS = 10
DEFAULT_DURATION = 60.0
SMOKE_ITERATIONS = 3
SMOKE_TIME_LIMIT = 60.0
SOAK_DURATION = 3600.0
SPIKE_FACTOR = 3
STRESS_STEPS = 20
STRESS_FALLBACK = "error_rate < 1%"


def nominal_load(load: Load, users: int | None = None, duration: float | None = None) -> tuple[int, float]:
    """(N users, D seconds) a profile scales from: command line, then the file, then 10 users / 60 s."""
    n = users if users is not None else (load.users or max((s.users for s in load.stages), default=0))
    d = duration if duration is not None else (load.duration or sum(s.duration for s in load.stages))
    return max(int(n or DEFAULT_USERS), 1), float(d or DEFAULT_DURATION)


def ramp_time(seconds: float) -> float:
    """A tenth of the run, between 1 s and 5 min."""
    return min(max(seconds / 10.0, 1.0), 300.0)


_s = format_seconds


def _users(n: int) -> str:
    return plural(n, "user")


def profile_plan(name: str, load: Load, *, users: int | None = None, duration: float | None = None,
                 spawn_rate: float | None = None, iterations: int | None = None) -> LoadPlan:
    """The plan of profile `name` for a file whose load is `load` (with -u/-t/-r/--iterations)."""

    if name not in PROFILES:
        raise UsageError(f"unknown profile '{name}'; profiles: {', '.join(PROFILES)}")
    if load.is_open and name != "smoke":
        raise UsageError(f"--profile {name} plans users (the closed model); this spec sets an arrival rate "
                         "(load.rate): change the rate, or use --profile smoke")
    n, d = nominal_load(load, users, duration)
    if name == "smoke":
        count = iterations or SMOKE_ITERATIONS
        limit = duration or SMOKE_TIME_LIMIT
        return LoadPlan(users=1, spawn_rate=1.0, iterations=count, duration=limit, profile=name,
                        summary=f"profile smoke: 1 user, {count} iteration{'s' if count != 1 else ''} "
                                f"(at most {_s(limit)})")
    if iterations is not None:
        raise UsageError(f"--iterations does not combine with --profile {name} (only with smoke)")
    if name == "load":
        if load.stages and users is None and duration is None:
            stages = list(load.stages)
            summary = f"profile load: the file's {len(stages)} stages, {_s(sum(s.duration for s in stages))}"
        else:
            r = ramp_time(d)
            stages = [Stage(r, n), Stage(d, n), Stage(r, 0)]
            summary = f"profile load: ramp to {_users(n)} over {_s(r)}, hold {_s(d)}, ramp down over {_s(r)}"
    elif name == "spike":
        r, surge, part = ramp_time(d), min(max(d / 30.0, 1.0), 10.0), d / 4.0
        peak = n * SPIKE_FACTOR
        stages = [Stage(r, n), Stage(part, n), Stage(surge, peak), Stage(part, peak),
                  Stage(surge, n), Stage(part, n)]
        summary = (f"profile spike: {_users(n)} for {_s(part)}, surge to {peak} within {_s(surge)}, "
                   f"hold {_s(part)}, back to {n} and watch recovery for {_s(part)}")
    elif name == "soak":
        hold = duration if duration is not None else SOAK_DURATION
        r = min(max(hold / 20.0, 1.0), 300.0)
        stages = [Stage(r, n), Stage(hold, n), Stage(r, 0)]
        summary = f"profile soak: {_users(n)} held for {_s(hold)} (ramps of {_s(r)})"
    else:
        step = max(1, math.ceil(n / 5))
        hold = min(max(d / 10.0, 2.0), 120.0)
        rate = spawn_rate or step / min(1.0, hold / 4.0)
        stages = [Stage(hold, k * step, rate) for k in range(1, STRESS_STEPS + 1)]
        summary = (f"profile stress: +{step} user{'s' if step != 1 else ''} every {_s(hold)} up to "
                   f"{STRESS_STEPS * step} users, until a threshold breaks")
    return LoadPlan(users=max(s.users for s in stages), spawn_rate=spawn_rate or float(n), stages=stages,
                    profile=name, summary=summary)


def stress_thresholds(thresholds: list[Threshold]) -> tuple[list[Threshold], str | None]:
    """The thresholds a stress run climbs against: the spec's, else `error_rate < 1%` (with a note)."""
    if thresholds:
        return thresholds, None
    note = f"the spec has no thresholds: stress climbs until {STRESS_FALLBACK} breaks"
    return [threshold_from_text(STRESS_FALLBACK)], note


@dataclass
class StressStep:
    """One stress step, judged on its own requests (after its users were started)."""

    users: int
    results: RunResults
    checks: list[ThresholdResult]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks if c.actual is not None)

    @property
    def broken(self) -> list[ThresholdResult]:
        return [c for c in self.checks if c.actual is not None and not c.passed]

    def as_dict(self) -> dict[str, Any]:
        total = self.results.total
        return {
            "users": self.users, "requests": total.requests, "failures": total.failures, "rps": total.rps,
            "error_rate": total.error_rate, "p95_ms": total.p95_ms, "window_s": self.results.elapsed_s,
            "passed": self.passed, "thresholds": [c.as_dict() for c in self.checks],
        }


@dataclass
class StressWatch:
    """Runner monitor for `--profile stress`: for each stage, diff Locust's counters from `settle`
    seconds after the stage started (its users are up) to just before it ends, check the thresholds
    on that window, and stop the run at the first step that breaks one."""

    stages: list[Stage]
    thresholds: list[Threshold]
    run_log: Any = None
    note: str | None = None
    steps: list[StressStep] = field(default_factory=list)
    _index: int = 0
    _before: Any = None

    @property
    def broke_at(self) -> StressStep | None:
        return self.steps[-1] if self.steps and not self.steps[-1].passed else None

    @property
    def held(self) -> int:
        """The most users of a step that passed (0 when the first step already broke)."""
        return max((s.users for s in self.steps if s.passed), default=0)

    def _bounds(self, index: int) -> tuple[float, float, float]:
        start = sum(s.duration for s in self.stages[:index])
        stage = self.stages[index]
        previous = self.stages[index - 1].users if index else 0
        ramp = abs(stage.users - previous) / stage.spawn_rate if stage.spawn_rate else stage.duration / 2
        settle = min(stage.duration / 2, ramp + 0.5)
        return start, start + settle, start + stage.duration

    def __call__(self, env: Any, elapsed: float) -> str | None:
        if self._index >= len(self.stages):
            return None
        _, window_start, end = self._bounds(self._index)
        if self._before is None:
            if elapsed >= window_start:
                self._before = snapshot(env.stats, elapsed, self.run_log)
            return None
        if elapsed < end - 0.25:
            return None
        results = window(self._before, snapshot(env.stats, elapsed, self.run_log))
        step = StressStep(self.stages[self._index].users, results, evaluate(self.thresholds, results))
        self.steps.append(step)
        self._index += 1
        self._before = None
        if not step.passed:
            return f"stress: broke at {_users(step.users)}"
        return None

    def verdict(self) -> str | None:
        """`held 2 users; broke at 3 users: 'rps < 12' was 14.9/s`, or None when nothing broke."""
        step = self.broke_at
        if step is None:
            return None
        why = "; ".join(f"'{c.threshold.text}'" + (f" on {c.threshold.step}" if c.threshold.step else "")
                        + f" was {format_value(c.threshold, c.actual)}" for c in step.broken if c.actual is not None)
        return f"stress: held {_users(self.held)}, broke at {_users(step.users)}: {why}"

    def summary(self) -> str:
        """The result line printed after the run."""
        if not self.steps:
            return "stress: no step completed"
        found = self.verdict()
        if found:
            return found
        return f"stress: held {_users(self.held)} (the highest step run) without breaking a threshold"

    def as_dict(self) -> dict[str, Any]:
        broke = self.broke_at
        return {"held_users": self.held, "broke_at_users": broke.users if broke else None,
                "note": self.note, "steps": [s.as_dict() for s in self.steps]}


__all__ = ["DEFAULT_DURATION", "DEFAULT_USERS", "PROFILES", "SMOKE_ITERATIONS", "SMOKE_TIME_LIMIT", "SOAK_DURATION",
           "SPIKE_FACTOR", "STRESS_FALLBACK", "STRESS_STEPS", "StressStep", "StressWatch", "nominal_load",
           "profile_plan", "ramp_time", "stress_thresholds"]
