"""The per-request hot path: run compiled steps for one user, one iteration at a time.

Plain Python over objects the compiler prepared (`compiler.py`): render the few dynamic parts, send,
read, check, record. No YAML, no schema, no parsing here; a surprise in a check or in building a
request fails the step, never the user.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import gevent
from locust.contrib.fasthttp import FastHttpSession, LocustBadStatusCode
from locust.exception import CatchResponseError, StopTest, StopUser

from ..lang.checks import ResponseView
from ..lang.templates import CompiledValue, RenderError
from ..results.runlog import GROUP_METHOD, FailureExample, RunLog
from .pools import PoolExhausted
from .wire import PreparedRequest, WireClient, WireOptions, WireResponse

CONTINUE, STOP_ITERATION, STOP_USER = 0, 1, 2
ON_FAIL = {"continue": CONTINUE, "stop_iteration": STOP_ITERATION, "stop_user": STOP_USER}
DEFAULT_TIMEOUT = 60.0

Tracer = Callable[[str, dict[str, Any]], None]


class CompiledRequest:
    """One request step, ready to run: `run(user, variables)` returns CONTINUE/STOP_*. Built by
    `compiler.compile_request`, which sets every attribute once."""

    name: str
    method: str
    url_static: Any
    url_render: Callable[[dict[str, Any]], Any] | None
    fixed_kwargs: dict[str, Any]
    dynamic_kwargs: list[tuple[str, Callable[[dict[str, Any]], Any]]]
    session_key: tuple[Any, ...]
    think: tuple[float, float] | None
    checks: list[Callable[[ResponseView, dict[str, Any]], str | None]]
    checks_status: bool
    check_labels: list[str]
    captures: list[Callable[[ResponseView, dict[str, Any]], str | None]]
    when: Callable[[dict[str, Any]], bool] | None
    probability: float | None
    fail_outcome: int

    def request_kwargs(self, variables: dict[str, Any]) -> dict[str, Any]:
        kwargs = self.fixed_kwargs.copy()
        for key, render in self.dynamic_kwargs:
            kwargs[key] = query_params(render(variables)) if key == "params" else render(variables)
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
            # FastHttpSession keeps the status of a response whose body then failed (cut short,
            # reset): its exception is the outcome, which `response.success()` would overwrite
            broken = user.client_kind == "fast" and not isinstance(
                response.request_meta.get("exception"), (type(None), LocustBadStatusCode))
            if not response.status_code or broken:
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


class WireRequest(CompiledRequest):
    """A request step on loadspec's own client (the default): bytes prepared by the compiler, the
    dynamic parts rendered here, one `request` event per request with the step's outcome."""

    prepared: PreparedRequest
    render_target: Callable[[dict[str, Any]], str] | None
    render_headers: Callable[[dict[str, Any]], bytes] | None
    render_body: Callable[[dict[str, Any]], bytes] | None

    def run(self, user: LoadspecUser, variables: dict[str, Any]) -> int:
        if self.when is not None and not self.when(variables):
            return CONTINUE
        if self.probability is not None and random.random() >= self.probability:
            return CONTINUE
        try:
            target = None if self.render_target is None else self.render_target(variables)
            headers = b"" if self.render_headers is None else self.render_headers(variables)
            body = None if self.render_body is None else self.render_body(variables)
        except Exception as exc:  # noqa: BLE001 - a missing variable, a header with a newline: a failure
            user.report_unsent(self, f"{self.name}: {exc}")
            user.failures += 1
            return self.fail_outcome
        try:
            response = user.wire.send(self.prepared, target=target, headers=headers, body=body)
        except Exception as exc:  # noqa: BLE001 - send() reports failures itself; this guards against surprises
            response = WireResponse(self.prepared.url, error=f"request failed: {type(exc).__name__}: {exc}")
        if response.error is not None:
            message: str | None = f"{self.name}: {response.error}"
        else:
            view = ResponseView(response, response.elapsed_ms)
            try:
                message = (f"{self.name}: {response.over_limit_message()}" if response.over_limit
                           else self.evaluate(view, variables, user.run_log))
            except Exception as exc:  # noqa: BLE001 - a surprise in a check fails the step, never the user
                message = f"{self.name}: could not check the response ({type(exc).__name__})"
            if message is not None:
                user.run_log.record(FailureExample(self.name, self.method, response.url, response.status, message,
                                                   view.text[:300]))
        user.fire_request(request_type=self.method, name=self.name, response_time=response.elapsed_ms,
                          response_length=response.size, context={}, url=response.url, response=response,
                          exception=None if message is None else CatchResponseError(message))
        if user.tracer:
            self.trace(user, variables, response, message, target, headers, body)
        if message is not None:
            user.failures += 1
        if self.think is not None:
            low, high = self.think
            gevent.sleep(low if low == high else random.uniform(low, high))
        return CONTINUE if message is None else self.fail_outcome

    def trace(self, user: LoadspecUser, variables: dict[str, Any], response: Any, message: str | None,
              target: str | None, headers: bytes, body: bytes | None) -> None:
        """What `loadspec debug` prints for one request (not on the load path)."""
        url = response.url
        if response.error is not None:
            user.tracer("error", {"step": self.name, "url": url, "error": response.error})  # type: ignore[misc]
            return
        view = ResponseView(response, response.elapsed_ms)
        sent = (self.prepared.head + headers).decode("latin-1").split("\r\n")[1:]
        sent_body = body if body is not None else self.prepared.body
        user.tracer("response", {  # type: ignore[misc]
            "step": self.name, "method": self.method, "url": url, "status": view.status,
            "ms": view.duration_ms, "failure": message, "variables": dict(variables),
            "request_headers": dict(line.split(": ", 1) for line in sent if ": " in line),
            "request_body": sent_body.decode("utf-8", "replace") if sent_body else None,
            "checks": [(label, check(view, variables))
                       for label, check in zip(self.check_labels, self.checks, strict=True)],
            "body": view.text[:500],
        })


def query_params(values: dict[str, Any]) -> dict[str, Any]:
    """Query parameters as text: booleans read true/false, as in a URL."""
    return {key: ("true" if value else "false") if isinstance(value, bool) else value
            for key, value in values.items()}


class CompiledGroup:
    """A group: its steps, timed together as one extra statistics entry."""

    def __init__(self, name: str, body: list[Runnable]):
        self.name = name
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

    def __init__(self, body: list[Runnable], *, count: int | None, over: CompiledValue | None, as_name: str):
        self.body = body
        self.count = count
        self.over = over
        self.as_name = as_name

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


class LoadspecUser:
    """Behaviour shared by every compiled user class (mixed into User, FastHttpUser or HttpUser)."""

    test: Any  # the CompiledTest this user class belongs to
    scenario_setup: list[Runnable] = []
    scenario_steps: list[Runnable] = []
    iterations: int | None = None
    fresh_cookies: bool = False  # the scenario's `cookies: iteration`
    setup_cookies: list[Any] = []  # the cookies the setup left, each iteration starts with them
    tracer: Tracer | None = None
    gate: Any = None  # the open model's RateGate (arrival.py): one token per iteration
    environment: Any
    client: Any
    client_kind: str
    host: str
    wire_options: WireOptions | None = None  # the defaults of the wire client (client: wire)
    wire: WireClient

    def on_start(self) -> None:
        self.begin(next(self.test.user_ids))
        self.take_rows("user")

    def begin(self, user_id: int) -> None:
        """Everything a user holds for its life: its client, counters and variables (no data rows:
        `on_start` takes those; the test hooks run without)."""
        self.fire_request = self.environment.events.request.fire
        if self.client_kind == "wire":
            self.wire = WireClient(self.host, options=self.wire_options)
        self.user_id = user_id
        self.iteration = 0
        self.failures = 0
        self.setup_done = not self.scenario_setup
        self.run_log = self.test.run_log
        self.sessions: dict[Any, Any] = {}
        variables: dict[str, Any] = {"user_id": self.user_id, "iteration": 0}
        for name, value in self.test.variables:
            variables[name] = value.get(variables)
        self.variables = variables

    def on_stop(self) -> None:
        wire = getattr(self, "wire", None)
        if wire is not None:
            wire.close()

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
                self.setup_cookies = list(_cookie_jar(self))
        if self.fresh_cookies:
            _reset_cookies(self, self.setup_cookies)
        if self.gate is not None:
            self.gate.take()
        self.take_rows("iteration")
        if run_steps(self.scenario_steps, self, variables) == STOP_USER:
            raise StopUser()




def _cookie_jar(user: LoadspecUser) -> Any:
    """The user's cookie jar: the wire client's, a FastHttpSession's (`cookiejar`) or a requests
    session's (`cookies`)."""
    wire = getattr(user, "wire", None)
    if wire is not None:
        return wire.jar
    jar = getattr(user.client, "cookiejar", None)
    return jar if jar is not None else user.client.cookies


def _reset_cookies(user: LoadspecUser, keep: list[Any]) -> None:
    """Empty the user's cookie jar, then put back the cookies in `keep` (what the setup left)."""
    wire = getattr(user, "wire", None)
    if wire is not None:
        wire.reset_cookies(keep)
        return
    jar = _cookie_jar(user)
    jar.clear()
    for cookie in keep:
        jar.set_cookie(cookie)


def iteration_task(user: LoadspecUser) -> None:
    """The one task of every compiled user class: one iteration of its scenario."""
    user.run_iteration()


__all__ = ["CONTINUE", "DEFAULT_TIMEOUT", "ON_FAIL", "STOP_ITERATION", "STOP_USER", "CompiledGroup", "CompiledLoop",
           "CompiledRequest", "LoadspecUser", "Runnable", "Tracer", "WireRequest", "iteration_task", "query_params",
           "run_steps"]
