"""The Spec model: plain typed dataclasses describing one load test.

This is the single meeting point of the pipeline. The YAML loader and the HAR importer produce a
`Spec`; the compiler and the YAML writer only read it. It holds already-checked, already-normalised
values (durations in seconds, response-time limits in milliseconds, rates as fractions) and the
source location of every element so later stages can point back at the file. It must stay
engine-free and import nothing else of loadspec: no Locust, no I/O, no parsing (a threshold's text is
read by `lang.units.threshold_from_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

HTTP_METHODS: tuple[str, ...] = ("get", "post", "put", "patch", "delete", "head", "options")

#: Queries that read a response (or a variable). The first group takes its predicates inline.
INLINE_QUERIES: tuple[str, ...] = ("status", "duration", "size", "url", "body")
SELECTOR_QUERIES: tuple[str, ...] = ("json", "header", "cookie", "regex", "var")
QUERY_KINDS: tuple[str, ...] = INLINE_QUERIES + SELECTOR_QUERIES

PREDICATES: tuple[str, ...] = (
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "not_contains",
    "starts_with", "ends_with", "matches", "not_matches", "exists", "empty", "length", "type",
    "subset", "schema",
)

OnFail = Literal["stop_iteration", "continue", "stop_user"]
PoolOrder = Literal["sequential", "random", "unique"]
PoolScope = Literal["user", "iteration"]
OnExhausted = Literal["recycle", "stop_user", "stop_test"]
CookieScope = Literal["user", "iteration"]
Pick = Literal["first", "last", "random", "all"]
ClientKind = Literal["wire", "fast", "requests"]
OnLargeBody = Literal["fail", "discard"]


@dataclass(frozen=True)
class Location:
    """Where an element was written: file, 1-based line and column (line 0 = unknown)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file


NOWHERE = Location("<generated>")


@dataclass(frozen=True)
class ThinkTime:
    """A pause after a step: fixed (minimum == maximum) or uniformly random, in seconds."""

    minimum: float
    maximum: float


@dataclass
class Query:
    """What to read: `kind` is one of QUERY_KINDS; `selector` is the JMESPath, header name,
    cookie name, regex or variable name (None for the inline kinds)."""

    kind: str
    selector: str | None = None
    where: Location = NOWHERE


@dataclass
class Predicate:
    """One comparison. Durations are in milliseconds; `length` holds a nested predicate list."""

    op: str
    value: Any
    where: Location = NOWHERE


@dataclass
class Assertion:
    """A query and predicates, all of which must hold. `index` is 1-based within its step."""

    query: Query
    predicates: list[Predicate]
    index: int = 1
    where: Location = NOWHERE


@dataclass
class Capture:
    """Store what a query finds in the variable `name`."""

    name: str
    query: Query
    pick: Pick = "first"
    has_default: bool = False
    default: Any = None
    comment: str | None = None
    where: Location = NOWHERE


@dataclass
class UploadFile:
    """One multipart file part: a path (relative paths are resolved against the spec's folder)."""

    path: str
    content_type: str | None = None
    filename: str | None = None


@dataclass
class Body:
    """A request body. `kind` json: any value; form: mapping; raw: string;
    files: mapping of field to UploadFile (file parts) or str (plain form fields)."""

    kind: Literal["json", "form", "raw", "files"]
    value: Any


@dataclass
class RequestStep:
    """One HTTP request with everything that applies to it. Unset options inherit `Defaults`."""

    name: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    body: Body | None = None
    timeout: float | None = None
    verify_tls: bool | None = None
    allow_redirects: bool | None = None
    think_time: ThinkTime | None = None
    captures: list[Capture] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)
    when: Assertion | None = None
    probability: float | None = None
    max_body: int | None = None
    on_large_body: OnLargeBody | None = None
    on_fail: OnFail = "stop_iteration"
    tags: dict[str, str] = field(default_factory=dict)  # its own and those of its enclosing groups
    comment: str | None = None  # notes written above the step by the YAML writer
    section: str | None = None  # a heading above the first of consecutive steps sharing it (a browser page)
    where: Location = NOWHERE


@dataclass
class LoopStep:
    """Repeat `steps` `count` times, or once per item of the list template `over` (bound to `as_name`)."""

    steps: list[Step]
    count: int | None = None
    over: str | None = None
    as_name: str = "item"
    where: Location = NOWHERE


@dataclass
class GroupStep:
    """Run `steps` in order and time them together as one extra statistics entry `name`."""

    name: str
    steps: list[Step]
    tags: dict[str, str] = field(default_factory=dict)
    where: Location = NOWHERE


Step = RequestStep | LoopStep | GroupStep


@dataclass
class Scenario:
    """A user journey: `setup` once per user, then `steps` once per iteration, repeated.

    `cookies` is the life of the user's cookie jar: "user" (kept for all its iterations) or
    "iteration" (each iteration starts with the cookies the setup left, as a fresh browser would)."""

    name: str
    steps: list[Step]
    setup: list[Step] = field(default_factory=list)
    weight: int = 1
    cookies: CookieScope = "user"
    where: Location = NOWHERE


@dataclass
class DataPool:
    """A CSV data pool, already read: `rows` are tuples in `columns` order."""

    name: str
    path: Path
    columns: list[str]
    rows: list[tuple[str, ...]]
    order: PoolOrder = "sequential"
    scope: PoolScope = "user"
    on_exhausted: OnExhausted = "recycle"
    where: Location = NOWHERE


@dataclass
class Defaults:
    """Options that apply to every request step unless the step sets its own."""

    headers: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None
    verify_tls: bool | None = None
    allow_redirects: bool | None = None
    think_time: ThinkTime | None = None
    max_body: int | None = None  # bytes of a response body kept (None: 10 MB)
    on_large_body: OnLargeBody | None = None  # what a body over max_body does (None: fail)


@dataclass
class Stage:
    """One step of a load profile: move to `users` over `duration` seconds, or (open model) move
    the arrival rate linearly to `rate` iterations per second over `duration` seconds."""

    duration: float
    users: int
    spawn_rate: float | None = None
    rate: float | None = None


@dataclass
class Load:
    """How much load: fixed users for a duration, stages, and/or iterations per user."""

    users: int | None = None
    spawn_rate: float | None = None
    duration: float | None = None
    stages: list[Stage] = field(default_factory=list)
    iterations: int | None = None
    pacing: float | None = None
    graceful_stop: float | None = None  # seconds requests in flight get when the run ends (None: 5 s)
    #: The open model: iterations started per second (the start rate when stages carry `rate:`),
    #: run by at most `max_users` concurrent users, `users` of them started up front.
    rate: float | None = None
    max_users: int | None = None

    @property
    def is_open(self) -> bool:
        return self.rate is not None or any(stage.rate is not None for stage in self.stages)


@dataclass
class Threshold:
    """A pass/fail rule `metric op value`. Response-time values are in ms, rates are fractions
    (0.01 = 1%), `percentile` is set for pNN metrics."""

    metric: str
    op: str
    value: float
    text: str
    percentile: float | None = None
    step: str | None = None
    abort_on_fail: bool = False
    delay_abort_eval: float = 0.0
    #: Judge only the requests of steps carrying all these tags; `tag_steps` are their names
    #: (resolved by the loader).
    tags: dict[str, str] = field(default_factory=dict)
    tag_steps: tuple[str, ...] = ()
    where: Location = NOWHERE
    #: `p95 < baseline + 10%`: the relative margin (0.10) over the same metric in a baseline run;
    #: `value` is then set from `--baseline FILE` before the run (`results.compare.resolve_baselines`)
    baseline: float | None = None
    baseline_value: float | None = None  # the baseline run's value of the metric, once resolved


@dataclass
class Extension:
    """A Python file of `extensions:`: every public function in it is a template function.
    `functions` maps a name to (callable, min args, max args); `path` is as the spec wrote it."""

    path: str
    file: Path
    functions: dict[str, tuple[Any, int, int]] = field(default_factory=dict)
    where: Location = NOWHERE


@dataclass
class Spec:
    """One complete, validated load test."""

    name: str
    scenarios: list[Scenario]
    host: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    data: dict[str, DataPool] = field(default_factory=dict)
    load: Load = field(default_factory=Load)
    thresholds: list[Threshold] = field(default_factory=list)
    client: ClientKind = "wire"
    #: Test hooks: steps run once per test, before the first user starts and after the last stops.
    before: list[Step] = field(default_factory=list)
    after: list[Step] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    version: int = 1
    source: Path | None = None
    environment: str | None = None
    #: Credentials a HAR recording sent that no response produced, by the env name the steps read
    #: them as (`{{ env.NAME }}`). Kept in memory for `loadspec run rec.har`, under the real
    #: environment; the YAML writer and the exporter never write them.
    recorded_secrets: dict[str, str] = field(default_factory=dict)


def iter_steps(steps: list[Step]) -> list[Step]:
    """Every step of a step list, groups and loops included, depth first, in execution order."""
    found: list[Step] = []
    for step in steps:
        found.append(step)
        if not isinstance(step, RequestStep):
            found.extend(iter_steps(step.steps))
    return found


def iter_request_steps(steps: list[Step]) -> list[RequestStep]:
    """All request steps of a step list, depth first, in execution order."""
    found: list[RequestStep] = []
    for step in steps:
        if isinstance(step, RequestStep):
            found.append(step)
        else:
            found.extend(iter_request_steps(step.steps))
    return found


__all__ = ["Assertion", "Body", "Capture", "ClientKind", "DataPool", "Defaults", "Extension", "GroupStep",
           "HTTP_METHODS",
           "INLINE_QUERIES", "Load", "Location", "LoopStep", "NOWHERE", "OnExhausted", "OnFail", "PREDICATES",
           "Pick", "PoolOrder", "PoolScope", "Predicate", "QUERY_KINDS", "Query", "RequestStep", "SELECTOR_QUERIES",
           "Scenario", "Spec", "Stage", "Step", "ThinkTime", "Threshold", "UploadFile", "iter_request_steps",
           "iter_steps"]
