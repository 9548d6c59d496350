"""What compiled users record beside Locust's statistics: failure examples, assertion counts, stop reasons.

Engine-free: the engine writes a `RunLog` while a test runs; results, thresholds and reports read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..lang.credentials import Masker

#: The request type of a group's statistics entry (a group is timed as one extra entry).
GROUP_METHOD = "GROUP"
#: How much of a failed response's body an example keeps, and how much of it is read to mask credentials.
EXCERPT_CHARS = 300
MASKED_BODY_CHARS = 1 << 20
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
    users_stopped: dict[str, int] = field(default_factory=dict)  # why users stopped early -> how many

    def reset(self) -> None:
        """Forget everything recorded: a new test starts (in the web UI)."""
        self.examples.clear()
        self.stop_reason = None
        self.assertions_checked = self.assertions_failed = 0
        self.assertions_by_step.clear()
        self.users_stopped.clear()

    #: hides credentials in the examples kept (`lang.credentials.Masker`; set by the compiler from the
    #: spec's secret env variables and recorded credentials); None keeps them as sent
    masker: Masker | None = None

    def keeps(self, message: str) -> bool:
        """True while fewer than FAILURE_EXAMPLES examples of `message` are kept: the caller builds
        an example (and decodes its body) only then."""
        kept = self.examples.get(message)
        return kept is None or len(kept) < FAILURE_EXAMPLES

    def record(self, example: FailureExample) -> None:
        """Keep `example` if fewer than FAILURE_EXAMPLES of its message are kept: its URL and body
        masked (secret query parameters, userinfo, secret JSON and form fields, known secret values)
        and the body cut to an excerpt. Examples are given the whole body so that JSON is masked
        before it is cut."""
        kept = self.examples.setdefault(example.message, [])
        if len(kept) < FAILURE_EXAMPLES:
            url, body = example.url, example.body_excerpt
            if self.masker is not None:
                url, body = self.masker.url(url), self.masker.body_text(body[:MASKED_BODY_CHARS])
            kept.append(replace(example, url=url, body_excerpt=body[:EXCERPT_CHARS]))


def examples_for(message: str, examples: dict[str, list[FailureExample]]) -> list[FailureExample]:
    """The examples kept for a failure message as Locust reports it (it may prefix the exception
    name, e.g. `CatchResponseError('...')`), or none."""
    if message in examples:
        return examples[message]
    return next((found for kept, found in examples.items() if kept and kept in message and found), [])


__all__ = ["FAILURE_EXAMPLES", "GROUP_METHOD", "FailureExample", "RunLog", "examples_for"]
