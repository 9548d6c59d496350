"""The load plan: how much load to apply, once the command line has overridden the spec's `load:`.

Engine-free: the runners read a `LoadPlan`; profiles build one.
"""

from __future__ import annotations

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

    def describe(self) -> str:
        if self.summary:
            return self.summary
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


__all__ = ["PROCESSES_PER_CORE", "LoadPlan", "check_process_count", "plan_load", "process_cap"]
