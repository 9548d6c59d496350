"""`RunReport`: everything the report files say about one finished run, in one value.

Every reporter reads a `RunReport` (the run's outcome — Locust environment and results —, the compiled
test's run log, the threshold results and the verdict), so reports look the same for local and
distributed runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..results.plan import LoadPlan
from ..results.stats import RunResults
from ..results.thresholds import ThresholdResult, Verdict

if TYPE_CHECKING:  # the engine's types, named without importing Locust
    from ..engine.compiler import CompiledTest
    from ..engine.runner import RunOutcome
    from ..engine.sampler import StatsSampler


@dataclass
class RunReport:
    """Everything the report files say about one run."""

    test: CompiledTest
    plan: LoadPlan
    outcome: RunOutcome
    checks: list[ThresholdResult]
    verdict: Verdict
    started_at: float
    sampler: StatsSampler | None = None
    stress: Any = None  # a _profiles.StressWatch for --profile stress
    notes: list[str] = field(default_factory=list)

    @property
    def results(self) -> RunResults:
        return self.outcome.results


__all__ = ["RunReport"]
