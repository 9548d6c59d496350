"""The replay check's judgement: what one live iteration says about a converted recording.

`loadspec convert x.har --check URL` (and `loadspec run x.har`, before the load) replays each
scenario once, with one user, against the live target; the engine hands what it saw here as
`Observed` steps. This module compares them with the recording (`RecordedStep`: the recorded
response, and where each capture reads from): per step, whether the status is the recorded one;
per variable, whether it is dynamic (its live value differs from the recorded one), kept (the same
value, but read from a structural source: a JSON field, a header, a cookie, a hidden input), or a
false correlation (the same value, read by a fragile text regex, and not a number that could repeat
by chance): those recorded values are handed back as `constants`, for the importer to leave as
recorded. And the other way round: every structural place of a recorded response (a JSON leaf, a
header, a cookie, a hidden input, a meta tag) is read again in the live response of the same step;
a recorded value that came back different there is `dynamic`, for the importer to correlate
whatever its shape (a 2-digit id, a 4-letter nonce) when a later request sends it back. It renders
the report (the variables kept, dropped and added; a second iteration's statuses after a repair),
credentials masked. Pure: no I/O, never imports the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...lang.credentials import Masker
from ...lang.text import plural
from ...model import Capture, Query, RequestStep, Spec
from .drafts import RecordedResponse, RecordedStep
from .entries import HarImport
from .evidence import looks_dynamic, places, read_capture

#: Where a capture reads its value by a regex over the response text rather than by structure.
FRAGILE_SOURCES = ("response text", "HTML attribute ", "URL path ")


@dataclass
class Observed:
    """One request of the check iteration as the engine saw it."""

    step: str
    method: str
    url: str  # as sent, with its query
    status: int | None  # None: never sent (a variable was missing) or no response (refused, timed out)
    error: str | None = None  # why there is no status
    failure: str | None = None  # the step's failure message (an assertion, a capture), None when it passed
    body: Any = None  # the request body as sent
    variables: dict[str, Any] = field(default_factory=dict)  # every variable after the step's captures
    response: str = ""  # the first part of the response body
    headers: list[tuple[str, str]] = field(default_factory=list)  # the response's, each cookie set as a Set-Cookie
    text: str | None = None  # the whole response body (None: not kept)


@dataclass
class StepResult:
    """One step of the converted spec and what the check iteration made of it."""

    scenario: str
    name: str
    expected: list[int]  # the recorded status (a list for a step that accepts several)
    observed: Observed | None  # None: not reached (an earlier step stopped the iteration)

    @property
    def matched(self) -> bool:
        """The live status is the recorded one."""
        return self.observed is not None and self.observed.status in self.expected


@dataclass
class VariableResult:
    """One correlated variable: its recorded and live values and the check's verdict."""

    scenario: str
    name: str
    recorded: list[str | None]  # what each of its captures read from the recording
    live: list[Any]  # what each read live (None: not observed)
    sources: list[str]
    verdict: str  # dynamic | kept | constant | unchecked

    @property
    def dropped(self) -> bool:
        return self.verdict == "constant"


@dataclass
class CheckResult:
    """The whole check: every step and every variable of every scenario."""

    host: str
    steps: list[StepResult]
    variables: list[VariableResult]
    changed: tuple[str, ...] = ()  # recorded values that came back different at the same place

    @property
    def differing(self) -> list[StepResult]:
        """Steps whose status was not the recorded one (not reached included)."""
        return [step for step in self.steps if not step.matched]

    @property
    def constants(self) -> tuple[str, ...]:
        """The recorded values of the false correlations, to be replayed as recorded."""
        return tuple(sorted({value for v in self.variables if v.dropped for value in v.recorded if value}))

    @property
    def dynamic(self) -> tuple[str, ...]:
        """The recorded values proved dynamic (changed live) that the importer's shape rules refuse
        (short ids, words; URL paths, which a later path may continue), for it to correlate all the
        same; false correlations are never among them."""
        constants = set(self.constants)  # values of a generated look are the importer's already, but for a
        return tuple(value for value in self.changed  # URL path (a Location that a later path continues)
                     if value not in constants and (not looks_dynamic(value) or value.startswith("/")))

    @property
    def passed(self) -> bool:
        return not self.differing


@dataclass
class Added:
    """A variable the repaired import has and the first import had not: a value proved dynamic."""

    name: str
    source: str  # where, of which step: `JSON number of POST /api/notes`
    uses: int  # how many requests send it back


def added_variables(before: HarImport, after: HarImport) -> list[Added]:
    """The correlations of `after` (the import repaired by the check) that `before` lacked."""
    known = {(name, source) for report in before.report.files for name, source, _ in report.correlations}
    found = []
    for report in after.report.files:
        for name, source, uses in report.correlations:
            if (name, source) not in known:
                found.append(Added(name, source, len({use.rsplit(" of ", 1)[-1] for use in uses})))
    return found


def changed_values(recorded: RecordedResponse, live: Observed) -> list[str]:
    """The values of the recorded response's structural places that the live response of the same
    step holds different at the same place (a value the live one lacks there proves nothing)."""
    if live.status is None or live.text is None:
        return []
    now = RecordedResponse(live.status, live.headers, live.text, url=live.url)
    found: dict[str, None] = {}  # in order, once each
    for value, offer in places(recorded):
        if value in found:
            continue
        seen = read_capture(Capture("live", Query(offer.kind, offer.selector)), now)
        if seen is not None and seen != value:
            found[value] = None
    return list(found)


def expected_status(step: RequestStep) -> list[int]:
    """The status the step asserts (the recorded one): `eq 302` → [302], `in [200, 304]` → both."""
    for assertion in step.assertions:
        if assertion.query.kind != "status":
            continue
        for predicate in assertion.predicates:
            if predicate.op == "eq" and isinstance(predicate.value, int):
                return [predicate.value]
            if predicate.op == "in" and isinstance(predicate.value, list):
                return [v for v in predicate.value if isinstance(v, int)]
    return list(range(200, 400))  # no status assertion: anything below 400 passes the step


def _may_repeat(value: str) -> bool:
    """A value with a run of digits of its own (an id, a count, a time): a fresh target can give the
    same one again by chance, so an unchanged value there is no evidence of a constant."""
    return any(part.isdigit() for part in re.split(r"[^0-9A-Za-z]+", value))


def _fragile(source: str) -> bool:
    return source.startswith(FRAGILE_SOURCES)


def _match(steps: list[RequestStep], observed: list[Observed]) -> list[Observed | None]:
    """Each step's observation, in order (a step the iteration did not reach has None)."""
    found: list[Observed | None] = [None] * len(steps)
    position = 0
    for seen in observed:
        for index in range(position, len(steps)):
            if steps[index].name == seen.step:
                found[index] = seen
                position = index + 1
                break
    return found


def judge(spec: Spec, recorded: dict[str, list[RecordedStep]], observed: dict[str, list[Observed]],
          host: str) -> CheckResult:
    """Compare the check iteration with the recording, scenario by scenario."""
    results: list[StepResult] = []
    variables: list[VariableResult] = []
    changed: dict[str, None] = {}  # in order, once each
    for scenario in spec.scenarios:
        steps = [s for s in scenario.steps if isinstance(s, RequestStep)]
        matched = _match(steps, observed.get(scenario.name, []))
        history = recorded.get(scenario.name, [])
        found: dict[str, VariableResult] = {}
        for index, (step, seen) in enumerate(zip(steps, matched, strict=True)):
            results.append(StepResult(scenario.name, step.name, expected_status(step), seen))
            if index >= len(history):
                continue
            if seen is not None and results[-1].matched:
                changed.update(dict.fromkeys(changed_values(history[index].response, seen)))
            for capture in step.captures:
                entry = found.setdefault(capture.name, VariableResult(scenario.name, capture.name, [], [], [], ""))
                entry.recorded.append(read_capture(capture, history[index].response))
                ok = seen is not None and seen.failure is None and capture.name in seen.variables
                entry.live.append(seen.variables[capture.name] if ok and seen is not None else None)
                entry.sources.append(history[index].sources.get(capture.name, ""))
        for entry in found.values():
            entry.verdict = _verdict(entry)
            variables.append(entry)
    return CheckResult(host, results, variables, tuple(changed))


def _verdict(entry: VariableResult) -> str:
    pairs = list(zip(entry.recorded, entry.live, strict=True))
    if any(live is None or recorded is None for recorded, live in pairs):
        return "unchecked"
    if any(str(live) != recorded for recorded, live in pairs):
        return "dynamic"
    if all(_fragile(source) for source in entry.sources) and not any(_may_repeat(str(r)) for r, _ in pairs):
        return "constant"
    return "kept"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


_HEAD = re.compile(r"<head\b.*?</head>|<script\b.*?</script>|<style\b.*?</style>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _readable(answer: str) -> str:
    """A response body as a person reads it: an HTML page's text without its head, scripts and tags."""
    if answer.lstrip()[:1] != "<":
        return answer
    return _TAG.sub(" ", _HEAD.sub(" ", answer))


def render(result: CheckResult, masker: Masker, *, added: list[Added] | None = None,
           final: CheckResult | None = None) -> str:
    """The report: a line per step that did not answer as recorded (with what it sent, credentials
    masked), the variables kept, dropped and `added`; after a repair, the `final` iteration's steps
    that still differ; and a final line on the iteration that describes what will run."""
    checks = [result] if final is None else [result, final]
    for check in checks:  # captured credentials (a token named access_token) are masked wherever they appear
        for step in check.steps:
            for name, value in (step.observed.variables if step.observed else {}).items():
                masker.variable(name, value)
    out = [f"replay check against {masker.url(result.host)}: one user, one iteration of each scenario"]
    out.extend(_step_lines(result, masker))
    out.append("  " + _variables_line(result.variables))
    for variable in added or []:
        out.append(f"  added: {variable.name} from {variable.source}, used by {plural(variable.uses, 'request')}")
    last = result
    if final is not None:
        dropped = sum(v.dropped for v in result.variables)
        out.append(f"replayed once more with the repaired spec ({len(added or [])} added, {dropped} dropped): "
                   "one user, one iteration")
        out.extend(_step_lines(final, masker))
        last = final
    total, differing = len(last.steps), len(last.differing)
    after = " after the repair" if final is not None else ""
    if not differing:
        out.append(f"replay check: all {plural(total, 'step')} answered as recorded{after}")
    else:
        out.append(f"replay check: {differing} of {plural(total, 'step')} did not answer as recorded{after}")
    return "\n".join(out)


def _step_lines(result: CheckResult, masker: Masker) -> list[str]:
    """A line per step whose status was not the recorded one, with what it sent and the answer;
    then how many steps a failure left unreached."""
    out = []
    several = len({step.scenario for step in result.steps}) > 1
    unreached = 0
    for step in result.steps:
        label = f"{step.scenario}: {step.name}" if several else step.name
        recorded = " or ".join(str(s) for s in step.expected[:3]) + (" …" if len(step.expected) > 3 else "")
        seen = step.observed
        if seen is None:
            unreached += 1
            continue
        if step.matched:
            continue
        got = f"got {seen.status}" if seen.status is not None else (
            f"not sent: {seen.error}" if not seen.url else f"got no response: {seen.error}")
        out.append(f"  ✗ {label}: recorded {recorded}, {masker.text(got)}")
        if seen.url:
            out.append(f"      sent: {seen.method} {masker.url(seen.url)}")
        if seen.body not in (None, "", b""):
            body = seen.body if isinstance(seen.body, str) else str(masker.data(seen.body))
            out.append(f"      body: {_short(masker.body_text(body), 300)}")
        if seen.response:
            out.append(f"      answer: {_short(masker.body_text(_readable(seen.response)), 160)}")
    if unreached:
        out.append(f"  {plural(unreached, 'step')} not reached: an earlier step failed and ended the iteration")
    return out


def _variables_line(variables: list[VariableResult]) -> str:
    if not variables:
        return "variables: none correlated"
    counts = {verdict: [v.name for v in variables if v.verdict == verdict]
              for verdict in ("dynamic", "kept", "unchecked", "constant")}
    kept = len(variables) - len(counts["constant"])
    parts = [f"{len(counts['dynamic'])} changed live"]
    if counts["kept"]:
        parts.append(f"{len(counts['kept'])} unchanged but read from the page's structure")
    if counts["unchecked"]:
        parts.append(f"{len(counts['unchecked'])} not checked (their step failed or was not reached)")
    line = f"variables: {kept} kept ({', '.join(parts)}), {len(counts['constant'])} dropped"
    if counts["constant"]:
        line += (" (the same value live as recorded, read by a text regex: replayed as recorded): "
                 + ", ".join(counts["constant"]))
    return line


__all__ = ["FRAGILE_SOURCES", "Added", "CheckResult", "Observed", "StepResult", "VariableResult", "added_variables",
           "changed_values", "expected_status", "judge", "render"]
