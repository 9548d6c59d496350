"""Compile a Spec into Locust user classes: one `FastHttpUser` (or `HttpUser`) subclass per scenario.

Everything a request needs is prepared here, once: templates become render functions, JMESPath and
regexes are compiled, headers merged with defaults, upload files read, CSV cursors built, the
on_fail outcome and think time resolved. The per-request path only renders, sends, reads and
compares. This module and the runner are the only places that import Locust; the Spec stays
engine-free.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, HttpUser, constant, constant_pacing
from locust.contrib.fasthttp import FastHttpSession
from locust.exception import StopTest, StopUser

from ._errors import CompileError, TemplateError
from ._pools import PoolCursor, PoolExhausted
from ._queries import (
    ResponseView,
    compile_capture,
    compile_check,
    compile_condition,
    describe_predicate,
    describe_query,
)
from ._results import GROUP_METHOD
from ._templates import CompiledValue, EnvLookup, RenderError, compile_value
from .model import (
    Body,
    GroupStep,
    LoopStep,
    RequestStep,
    Scenario,
    Spec,
    Step,
    ThinkTime,
    UploadFile,
)

CONTINUE, STOP_ITERATION, STOP_USER = 0, 1, 2
_ON_FAIL = {"continue": CONTINUE, "stop_iteration": STOP_ITERATION, "stop_user": STOP_USER}
DEFAULT_TIMEOUT = 60.0
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

    def record(self, example: FailureExample) -> None:
        kept = self.examples.setdefault(example.message, [])
        if len(kept) < FAILURE_EXAMPLES:
            kept.append(example)


Tracer = Callable[[str, dict[str, Any]], None]


class CompiledRequest:
    """One request step, ready to run: `run(user, variables)` returns CONTINUE/STOP_*."""

    def __init__(self, step: RequestStep, spec: Spec, env: EnvLookup, client: str, base_dir: Path):
        defaults = spec.defaults
        self.name = step.name
        self.method = step.method.upper()
        self.url = compile_value(step.url, env)
        headers = dict(defaults.headers)
        for key, value in step.headers.items():
            for existing in [k for k in headers if k.lower() == key.lower()]:
                del headers[existing]
            headers[key] = value
        self.headers = compile_value(headers, env) if headers else None
        self.params = compile_value(step.params, env) if step.params else None
        self.body_kind, self.body, self.files = _compile_body(step.body, env, base_dir)
        self.timeout = step.timeout if step.timeout is not None else defaults.timeout
        verify = step.verify_tls if step.verify_tls is not None else defaults.verify_tls
        self.verify = True if verify is None else verify
        redirects = step.allow_redirects if step.allow_redirects is not None else defaults.allow_redirects
        self.allow_redirects = True if redirects is None else redirects
        think: ThinkTime | None = step.think_time or defaults.think_time
        self.think = (think.minimum, think.maximum) if think and think.maximum > 0 else None
        self.checks = [compile_check(a, self.name, env) for a in step.assertions]
        self.checks_status = any(a.query.kind == "status" for a in step.assertions)
        self.check_labels = [
            f"assert #{a.index} {describe_query(a.query)} "
            + " ".join(describe_predicate(p, a.query.kind) for p in a.predicates)
            for a in step.assertions
        ]
        self.captures = [compile_capture(c, self.name) for c in step.captures]
        self.when = compile_condition(step.when, env) if step.when else None
        self.probability = step.probability
        self.fail_outcome = _ON_FAIL[step.on_fail]
        self.client = client
        # FastHttpSession has no per-request timeout or TLS switch: steps that differ from the
        # user's defaults get a session of their own (sharing the cookie jar), keyed here.
        self.session_key = (self.timeout, self.verify)
        self.url_static = self.url.value if self.url.static else None
        self.url_render = self.url.render
        self._prepare_kwargs()

    def _prepare_kwargs(self) -> None:
        """Split the request's keyword arguments into a fixed part and the parts to render."""
        fixed: dict[str, Any] = {"name": self.name, "catch_response": True, "allow_redirects": self.allow_redirects}
        dynamic: list[tuple[str, Any]] = []
        for key, value in (("headers", self.headers), ("params", self.params), (self.body_kind, self.body)):
            if value is None:
                continue
            if value.static:
                fixed[key] = _params(value.value) if key == "params" else value.value
            else:
                dynamic.append((key, value.render))
        if self.files is not None:
            fixed["files"] = self.files
        if self.client == "requests":
            fixed["timeout"] = self.timeout or DEFAULT_TIMEOUT
            fixed["verify"] = self.verify
        self.fixed_kwargs = fixed
        self.dynamic_kwargs = dynamic

    def request_kwargs(self, variables: dict[str, Any]) -> dict[str, Any]:
        kwargs = self.fixed_kwargs.copy()
        for key, render in self.dynamic_kwargs:
            kwargs[key] = _params(render(variables)) if key == "params" else render(variables)
        return kwargs

    def run(self, user: LoadspecUser, variables: dict[str, Any]) -> int:
        if self.when is not None and not self.when(variables):
            return CONTINUE
        if self.probability is not None and random.random() >= self.probability:
            return CONTINUE
        try:
            url = self.url_static if self.url_render is None else self.url_render(variables)
            kwargs = self.request_kwargs(variables)
        except RenderError as exc:
            user.report_unsent(self, f"{self.name}: {exc}")
            user.failures += 1
            return self.fail_outcome
        session = user.session_for(self.session_key)
        with session.request(self.method, str(url), **kwargs) as response:
            if not response.status_code:
                ok = False  # transport error: Locust reports the connection error itself
                if user.tracer:
                    user.tracer("error", {"step": self.name, "url": url, "error": repr(response.error)})
            else:
                view = ResponseView(response, response.request_meta["response_time"])
                try:
                    message = self.evaluate(view, variables, user.run_log)
                except Exception as exc:  # noqa: BLE001 - a surprise in a check fails the step, never the user
                    message = f"{self.name}: could not check the response ({type(exc).__name__})"
                ok = message is None
                if ok:
                    response.success()
                else:
                    response.failure(message)
                    user.run_log.record(FailureExample(
                        self.name, self.method, str(url), view.status, message,  # type: ignore[arg-type]
                        view.text[:300]))
                if user.tracer:
                    user.tracer("response", {
                        "step": self.name, "method": self.method, "url": url, "status": view.status,
                        "ms": view.duration_ms, "failure": message, "variables": dict(variables),
                        "request_headers": kwargs.get("headers") or {},
                        "request_body": kwargs.get("json", kwargs.get("data")),
                        "checks": [(label, check(view, variables))
                                   for label, check in zip(self.check_labels, self.checks, strict=True)],
                        "body": view.text[:500],
                    })
        if not ok:
            user.failures += 1
        if self.think is not None:
            low, high = self.think
            gevent.sleep(low if low == high else random.uniform(low, high))
        return CONTINUE if ok else self.fail_outcome

    def evaluate(self, view: ResponseView, variables: dict[str, Any], log: RunLog) -> str | None:
        """Captures first (assertions may test them), then assertions; the first assertion failure
        is the step's message, else the first capture failure."""
        if not self.checks_status and view.status >= 400:
            return f"{self.name}: HTTP {view.status}"
        capture_problem = None
        for store in self.captures:
            problem = store(view, variables)
            if problem is not None and capture_problem is None:
                capture_problem = problem
        if self.checks:
            counts = log.assertions_by_step.get(self.name)
            if counts is None:
                counts = log.assertions_by_step[self.name] = [0, 0]
            for check in self.checks:
                log.assertions_checked += 1
                counts[0] += 1
                message = check(view, variables)
                if message is not None:
                    log.assertions_failed += 1
                    counts[1] += 1
                    return message
        return capture_problem


def _params(values: dict[str, Any]) -> dict[str, Any]:
    """Query parameters as text: booleans read true/false, as in a URL."""
    return {key: ("true" if value else "false") if isinstance(value, bool) else value
            for key, value in values.items()}


def _compile_body(body: Body | None, env: EnvLookup, base_dir: Path) -> tuple[str, CompiledValue | None, Any]:
    if body is None:
        return "data", None, None
    if body.kind == "json":
        return "json", compile_value(body.value, env), None
    if body.kind in ("form", "raw"):
        value = body.value if body.kind == "form" else str(body.value)
        return "data", compile_value(value, env), None
    files: dict[str, tuple[str, bytes, str]] = {}
    fields: dict[str, Any] = {}
    for name, part in body.value.items():
        if isinstance(part, UploadFile):
            path = base_dir / part.path
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise CompileError(f"cannot read upload file {path}: {exc.strerror}") from None
            files[name] = (part.filename or path.name, content, part.content_type or "application/octet-stream")
        else:
            fields[name] = part
    return "data", compile_value(fields, env) if fields else None, files


class CompiledGroup:
    """A group: its steps, timed together as one extra statistics entry."""

    def __init__(self, step: GroupStep, body: list[Runnable]):
        self.name = step.name
        self.body = body

    def run(self, user: LoadspecUser, variables: dict[str, Any]) -> int:
        failures_before = user.failures
        start = time.perf_counter()
        outcome = run_steps(self.body, user, variables)
        elapsed = (time.perf_counter() - start) * 1000.0
        failed = user.failures > failures_before or outcome != CONTINUE
        user.environment.events.request.fire(
            request_type=GROUP_METHOD, name=self.name, response_time=elapsed, response_length=0,
            exception=GroupFailed(f"{self.name}: a step of the group failed") if failed else None,
            context={}, url=None, response=None,
        )
        return outcome


class GroupFailed(Exception):
    """Marks a group's statistics entry failed when one of its steps failed."""


class CompiledLoop:
    """A loop: `count` times, or once per item of a list rendered from a template."""

    def __init__(self, step: LoopStep, body: list[Runnable], env: EnvLookup):
        self.body = body
        self.count = step.count
        self.over = compile_value(step.over, env) if step.over is not None else None
        self.as_name = step.as_name

    def run(self, user: LoadspecUser, variables: dict[str, Any]) -> int:
        if self.over is None:
            for _ in range(self.count or 0):
                outcome = run_steps(self.body, user, variables)
                if outcome != CONTINUE:
                    return outcome
            return CONTINUE
        try:
            items = self.over.get(variables)
        except RenderError:
            items = None
        for item in items if isinstance(items, list) else ([] if items is None else [items]):
            variables[self.as_name] = item
            outcome = run_steps(self.body, user, variables)
            if outcome != CONTINUE:
                return outcome
        return CONTINUE


Runnable = CompiledRequest | CompiledGroup | CompiledLoop


def run_steps(steps: list[Runnable], user: LoadspecUser, variables: dict[str, Any]) -> int:
    """Run steps in order; stop at the first that asks to stop."""
    for step in steps:
        outcome = step.run(user, variables)
        if outcome != CONTINUE:
            return outcome
    return CONTINUE


class _Compiler:
    def __init__(self, spec: Spec, env: EnvLookup, client: str):
        self.spec, self.env, self.client = spec, env, client
        self.base_dir = spec.source.resolve().parent if spec.source else Path.cwd()

    def steps(self, steps: list[Step]) -> list[Runnable]:
        compiled: list[Runnable] = []
        for step in steps:
            if isinstance(step, RequestStep):
                compiled.append(CompiledRequest(step, self.spec, self.env, self.client, self.base_dir))
            elif isinstance(step, GroupStep):
                compiled.append(CompiledGroup(step, self.steps(step.steps)))
            else:
                compiled.append(CompiledLoop(step, self.steps(step.steps), self.env))
        return compiled


class LoadspecUser:
    """Behaviour shared by every compiled user class (mixed into FastHttpUser or HttpUser)."""

    test: CompiledTest
    scenario_setup: list[Runnable] = []
    scenario_steps: list[Runnable] = []
    iterations: int | None = None
    fresh_cookies: bool = False  # the scenario's `cookies: iteration`
    setup_cookies: list[Any] = []  # the cookies the setup left, each iteration starts with them
    tracer: Tracer | None = None
    environment: Any
    client: Any

    def on_start(self) -> None:
        self.user_id = next(self.test.user_ids)
        self.iteration = 0
        self.failures = 0
        self.setup_done = not self.scenario_setup
        self.run_log = self.test.run_log
        self.sessions: dict[Any, Any] = {}
        variables: dict[str, Any] = {"user_id": self.user_id, "iteration": 0}
        for name, value in self.test.variables:
            variables[name] = value.get(variables)
        self.variables = variables
        self.take_rows("user")

    def take_rows(self, scope: str) -> None:
        for cursor in self.test.cursors:
            if cursor.pool.scope == scope:
                try:
                    self.variables[cursor.pool.name] = cursor.next_row()
                except PoolExhausted as exc:
                    if exc.pool.on_exhausted == "stop_test":
                        self.test.run_log.stop_reason = str(exc)
                        raise StopTest(str(exc)) from None
                    raise StopUser() from None

    def session_for(self, key: tuple[Any, ...]) -> Any:
        if self.client_kind == "requests" or key == self.default_session_key:
            return self.client
        session = self.sessions.get(key)
        if session is None:
            timeout, verify = key
            session = FastHttpSession(
                base_url=self.host, request_event=self.environment.events.request, user=self,
                insecure=not verify, network_timeout=timeout or DEFAULT_TIMEOUT,
                connection_timeout=timeout or DEFAULT_TIMEOUT, max_retries=0,
            )
            session.cookiejar = self.client.cookiejar
            session.client.cookiejar = self.client.cookiejar
            self.sessions[key] = session
        return session

    def report_unsent(self, step: CompiledRequest, message: str) -> None:
        """A request that could not even be built (a variable missing): count it as failed."""
        self.environment.events.request.fire(
            request_type=step.method, name=step.name, response_time=0.0, response_length=0,
            exception=RenderError(message), context={}, url=None, response=None,
        )
        self.run_log.record(FailureExample(step.name, step.method, "", 0, message, ""))

    def run_iteration(self) -> None:
        if self.iterations is not None and self.iteration >= self.iterations:
            raise StopUser()
        self.iteration += 1
        variables = self.variables
        variables["iteration"] = self.iteration
        if not self.setup_done:
            outcome = run_steps(self.scenario_setup, self, variables)
            if outcome == STOP_USER:
                raise StopUser()
            if outcome != CONTINUE:
                return  # setup failed: try it again next iteration
            self.setup_done = True
            if self.fresh_cookies:
                self.setup_cookies = list(_cookie_jar(self.client))
        if self.fresh_cookies:
            _reset_cookies(self.client, self.setup_cookies)
        self.take_rows("iteration")
        if run_steps(self.scenario_steps, self, variables) == STOP_USER:
            raise StopUser()


def _cookie_jar(client: Any) -> Any:
    """The cookie jar of a FastHttpSession (`cookiejar`) or a requests session (`cookies`)."""
    jar = getattr(client, "cookiejar", None)
    return jar if jar is not None else client.cookies


def _reset_cookies(client: Any, keep: list[Any]) -> None:
    """Empty the user's cookie jar, then put back the cookies in `keep` (what the setup left)."""
    jar = _cookie_jar(client)
    jar.clear()
    for cookie in keep:
        jar.set_cookie(cookie)


def _iteration_task(user: LoadspecUser) -> None:
    user.run_iteration()


@dataclass
class CompiledTest:
    """The compiled form of a Spec: user classes plus the shared run-time state."""

    spec: Spec
    user_classes: list[type]
    host: str
    cursors: list[PoolCursor]
    variables: list[tuple[str, CompiledValue]]
    run_log: RunLog = field(default_factory=RunLog)
    user_ids: Any = field(default_factory=lambda: itertools.count(1))


def _class_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W+", "_", name).strip("_") or "Scenario"
    if base[0].isdigit():
        base = f"S_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def compile_spec(
    spec: Spec,
    *,
    env: Mapping[str, str],
    host: str | None = None,
    client: str | None = None,
    iterations: int | None = None,
    pacing: float | None = None,
) -> CompiledTest:
    """Turn `spec` into Locust user classes. Raises CompileError (e.g. env variables missing)."""
    lookup = EnvLookup(env)
    kind = client or spec.client
    try:
        resolved_host = compile_value(host or spec.host or "", lookup)
        compiler = _Compiler(spec, lookup, kind)
        variables = [(name, compile_value(value, lookup)) for name, value in spec.variables.items()]
        compiled_scenarios = [
            (scenario, compiler.steps(scenario.setup), compiler.steps(scenario.steps))
            for scenario in spec.scenarios
        ]
    except TemplateError as exc:
        raise CompileError(f"template error: {exc}") from None
    if lookup.missing:
        names = ", ".join(lookup.missing)
        raise CompileError(
            f"environment variable{'s' if len(lookup.missing) > 1 else ''} not set: {names} — "
            "export them, or pass --env-file FILE (dotenv format)"
        )
    if not resolved_host.static or not str(resolved_host.value):
        raise CompileError("no host: set host: in the spec or pass --host http://127.0.0.1:8000")
    base_host = str(resolved_host.value).rstrip("/")
    cursors = [PoolCursor(pool) for pool in spec.data.values()]
    test = CompiledTest(spec=spec, user_classes=[], host=base_host, cursors=cursors, variables=variables)
    taken: set[str] = set()
    for scenario, setup, steps in compiled_scenarios:
        name = _class_name(scenario.name, taken)
        test.user_classes.append(_make_user_class(test, name, scenario, setup, steps, kind, iterations, pacing))
    return test


def _make_user_class(
    test: CompiledTest, name: str, scenario: Scenario, setup: list[Runnable], steps: list[Runnable],
    kind: str, iterations: int | None, pacing: float | None,
) -> type:
    spec = test.spec
    base: type = FastHttpUser if kind == "fast" else HttpUser
    timeout = spec.defaults.timeout or DEFAULT_TIMEOUT
    verify = True if spec.defaults.verify_tls is None else spec.defaults.verify_tls
    pace = pacing if pacing is not None else spec.load.pacing
    attributes: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"loadspec scenario '{scenario.name}'",
        "host": test.host,
        "weight": scenario.weight,
        "tasks": [_iteration_task],
        "wait_time": constant_pacing(pace) if pace else constant(0),
        "test": test,
        "scenario_name": scenario.name,
        "scenario_setup": setup,
        "scenario_steps": steps,
        "iterations": iterations if iterations is not None else spec.load.iterations,
        "client_kind": kind,
        "default_session_key": (spec.defaults.timeout, verify),
        "fresh_cookies": scenario.cookies == "iteration",
        "setup_cookies": [],
    }
    if kind == "fast":
        attributes.update(network_timeout=timeout, connection_timeout=timeout, insecure=not verify,
                          max_retries=0)
    return type(base)(name, (LoadspecUser, base), attributes)
