"""What compiled users record beside Locust's statistics: failure examples, assertion counts, stop reasons.

Engine-free: the engine writes a `RunLog` while a test runs; results, thresholds and reports read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The request type of a group's statistics entry (a group is timed as one extra entry).
GROUP_METHOD = "GROUP"
#: How many full failure examples are kept per distinct failure message.
FAILURE_EXAMPLES = 3


@dataclass
class FailureExample:
    """Full details of one failed request, kept for the end report."""

    step: str
    method: str
    url: str
    status: int
    message: str
    body_excerpt: str


@dataclass
class RunLog:
    """What the compiled users record beside Locust's stats: failure details, stop reasons."""

    examples: dict[str, list[FailureExample]] = field(default_factory=dict)
    stop_reason: str | None = None
    assertions_checked: int = 0
    assertions_failed: int = 0
    assertions_by_step: dict[str, list[int]] = field(default_factory=dict)  # step -> [checked, failed]
    #: the open model (load.rate): iterations started, and those due while every user was busy
    iterations_started: int | None = None
    dropped_iterations: int = 0

    def record(self, example: FailureExample) -> None:
        kept = self.examples.setdefault(example.message, [])
        if len(kept) < FAILURE_EXAMPLES:
            kept.append(example)


def examples_for(message: str, examples: dict[str, list[FailureExample]]) -> list[FailureExample]:
    """The examples kept for a failure message as Locust reports it (it may prefix the exception
    name, e.g. `CatchResponseError('...')`), or none."""
    if message in examples:
        return examples[message]
    return next((found for kept, found in examples.items() if kept and kept in message and found), [])


__all__ = ["FAILURE_EXAMPLES", "GROUP_METHOD", "FailureExample", "RunLog", "examples_for"]
