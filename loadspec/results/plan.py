"""The load plan: how much load to apply, once the command line has overridden the spec's `load:`.

Engine-free: the runners read a `LoadPlan`; profiles build one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from ..errors import UsageError
from ..lang.text import plural
from ..model import Load, Stage


@dataclass
class LoadPlan:
    """How much load to apply, after the command line has overridden the spec."""

    users: int = 1
    spawn_rate: float = 1.0
    duration: float | None = None
    iterations: int | None = None
    stages: list[Stage] = field(default_factory=list)
    pacing: float | None = None  # --pacing in seconds (None: the spec's load.pacing, if any)
    profile: str | None = None  # smoke | load | spike | soak | stress, when --profile chose the plan
    summary: str | None = None  # how the profile built this plan, for the run header
    #: The open model: iterations started per second (the start rate of `rate_stages`), by at most
    #: `max_users` users, `users` of them started up front. Empty for the closed model.
    rate: float | None = None
    rate_stages: list[Stage] = field(default_factory=list)
    max_users: int | None = None

    @property
    def is_open(self) -> bool:
        return self.rate is not None or bool(self.rate_stages)

    def schedule(self) -> ArrivalSchedule:
        """When each iteration of the open model is due."""
        return arrival_schedule(self.rate, self.rate_stages, self.duration)

    def describe(self) -> str:
        if self.summary:
            return self.summary
        if self.is_open:
            shape = (f"{len(self.rate_stages)} rate stages" if self.rate_stages
                     else f"{format_rate(self.rate or 0.0)}")
            return (f"open model: {shape} for {self.duration or 0:g}s ({self.schedule().total} iterations), "
                    f"up to {plural(self.max_users or 0, 'user')} ({self.users} started up front)")
        if self.stages:
            return f"{len(self.stages)} stages, {sum(s.duration for s in self.stages):g}s"
        parts = [plural(self.users, "user"), f"spawn rate {self.spawn_rate:g}/s"]
        if self.iterations:
            parts.append(f"{plural(self.iterations, 'iteration')} each")
        if self.duration:
            parts.append(f"for {self.duration:g}s")
        return ", ".join(parts)


def plan_load(load: Load, *, users: int | None = None, spawn_rate: float | None = None,
              duration: float | None = None, iterations: int | None = None) -> LoadPlan:
    """Merge command-line overrides over the spec's `load:`. No duration and no iterations = 1 iteration."""
    if load.is_open:
        return plan_open(load, users=users, spawn_rate=spawn_rate, duration=duration, iterations=iterations)
    stages = [] if (users is not None or duration is not None) else list(load.stages)
    plan = LoadPlan(
        users=users if users is not None else (load.users if load.users is not None else 1),
        duration=duration if duration is not None else load.duration,
        iterations=iterations if iterations is not None else load.iterations,
        stages=stages,
    )
    plan.spawn_rate = spawn_rate or load.spawn_rate or float(max(plan.users, 1))
    if plan.users < 0:
        raise UsageError("--users must be 0 or more")
    if not plan.stages and plan.duration is None and plan.iterations is None:
        plan.iterations = 1
    return plan


def plan_open(load: Load, *, users: int | None = None, spawn_rate: float | None = None,
              duration: float | None = None, iterations: int | None = None) -> LoadPlan:
    """The open model's plan: a rate (or rate stages) for a duration, `users` started up front (by
    default enough for one second at the start rate), growing up to `max_users`. `-t` replaces the
    duration; `-u` the users started up front."""
    if iterations is not None:
        raise UsageError("--iterations applies to the closed model; this spec sets an arrival rate (load.rate)")
    if spawn_rate is not None:
        raise UsageError("--spawn-rate applies to the closed model; this spec sets an arrival rate (load.rate)")
    stages = [stage for stage in load.stages if stage.rate is not None]
    total = duration if duration is not None else (sum(s.duration for s in stages) if stages else load.duration)
    max_users = load.max_users or 1
    start = load.rate if load.rate is not None else 0.0
    first = start or next((s.rate for s in stages if s.rate), 0.0) or 1.0
    up_front = users if users is not None else (load.users if load.users is not None
                                                  else min(max_users, max(1, math.ceil(first))))
    if up_front < 1:
        raise UsageError("the open model starts at least 1 user up front (-u 1 or more)")
    return LoadPlan(users=up_front, spawn_rate=float(max(up_front, 1)), duration=total, rate=start if not stages
                    else load.rate, rate_stages=stages, max_users=max(max_users, up_front))


def format_rate(per_second: float) -> str:
    """`20/s`, `30/m`, `2/h`: the largest unit with a round number."""
    for unit, seconds in (("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        amount = per_second * seconds
        if amount >= 1 and abs(amount - round(amount)) < 1e-9:
            return f"{round(amount)}/{unit}"
    return f"{per_second:g}/s"


@dataclass(frozen=True)
class ArrivalSchedule:
    """When the iterations of the open model start: a piecewise-linear rate over time. Iteration k
    (from 0) is due when the number of iterations the rate has accrued reaches k, so a constant
    20/s starts one every 50 ms from t = 0; `total` iterations start within the run."""

    #: (start s, length s, rate at start, rate at end, iterations accrued before), in time order
    segments: tuple[tuple[float, float, float, float, float], ...]
    total: int

    def time_of(self, k: int) -> float | None:
        """Seconds from the start at which iteration `k` is due (None: after the run)."""
        if k >= self.total:
            return None
        for start, length, r0, r1, before in self.segments:
            count = (r0 + r1) / 2.0 * length
            if k < before + count or (start, length, r0, r1, before) == self.segments[-1]:
                need = k - before
                slope = (r1 - r0) / length if length else 0.0
                if abs(slope) < 1e-12:
                    return start + (need / r0 if r0 else 0.0)
                # need = r0 x + slope x^2 / 2
                root = r0 * r0 + 2.0 * slope * need
                return start + (-r0 + math.sqrt(max(root, 0.0))) / slope
        return None


def arrival_schedule(rate: float | None, stages: list[Stage], duration: float | None) -> ArrivalSchedule:
    """The schedule of a constant `rate` for `duration`, or of rate `stages` starting from `rate` (or
    0), cut at `duration` when that is shorter."""
    pieces: list[tuple[float, float, float]] = []  # (length, from, to)
    if stages:
        previous = rate or 0.0
        for stage in stages:
            pieces.append((stage.duration, previous, stage.rate or 0.0))
            previous = stage.rate or 0.0
    else:
        pieces.append((duration or 0.0, rate or 0.0, rate or 0.0))
    limit = duration if duration is not None else sum(p[0] for p in pieces)
    segments: list[tuple[float, float, float, float, float]] = []
    start = accrued = 0.0
    for length, r0, r1 in pieces:
        if start >= limit:
            break
        if start + length > limit:  # cut the last segment at the run's end
            r1 = r0 + (r1 - r0) * (limit - start) / length if length else r0
            length = limit - start
        segments.append((start, length, r0, r1, accrued))
        accrued += (r0 + r1) / 2.0 * length
        start += length
    return ArrivalSchedule(tuple(segments), max(0, math.ceil(accrued - 1e-9)))


#: `--processes` may ask for at most this many worker processes per core.
PROCESSES_PER_CORE = 4


def process_cap() -> int:
    """The most worker processes `--processes` may start on this machine."""
    return PROCESSES_PER_CORE * (os.cpu_count() or 1)


def check_process_count(count: int) -> int:
    """`count` when it is within 1 and `process_cap()`; UsageError naming the cap otherwise."""
    cap = process_cap()
    if count < 1:
        raise UsageError(f"--processes must be 1 or more (or auto), got {count}")
    if count > cap:
        raise UsageError(f"--processes {count} is more than this machine can run: at most {cap} "
                         f"({PROCESSES_PER_CORE} per core × {cap // PROCESSES_PER_CORE} cores); "
                         "for more, run `loadspec worker` on more machines")
    return count


__all__ = ["PROCESSES_PER_CORE", "ArrivalSchedule", "LoadPlan", "arrival_schedule", "check_process_count",
           "format_rate", "plan_load", "plan_open", "process_cap"]
