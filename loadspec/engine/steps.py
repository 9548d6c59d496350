"""The per-request hot path: run compiled steps for one user, one iteration at a time.

Plain Python over objects the compiler prepared (`compiler.py`): render the few dynamic parts, send,
read, check, record. No YAML, no schema, no parsing here; a surprise in a check or in building or
sending a request fails the step, never the user. Every request is counted exactly once: by its
response, or here when it has none (it could not be built or sent, it ran out of time, or the run
ended with it in flight). The body is read by `transport.py` within the step's limit.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import gevent
import gevent.event
from gevent import GreenletExit
from locust.contrib.fasthttp import FastHttpSession
from locust.exception import StopTest, StopUser
from locust.user.users import LOCUST_STATE_STOPPING, LOCUST_STATE_WAITING

from ..lang.checks import ResponseView, response_cookies
from ..lang.templates import CompiledValue, RenderError
from ..results.runlog import GROUP_METHOD, FailureExample, RunLog
from .pools import PoolExhausted
from .transport import (
    MB,
    build_error,
    describe_error,
    limit_text,
    read_fast_body,
    read_requests_body,
    without_hidden_retries,
)
from .wire import PreparedRequest, WireClient, WireOptions, WireResponse

CONTINUE, STOP_ITERATION, STOP_USER = 0, 1, 2
ON_FAIL = {"continue": CONTINUE, "stop_iteration": STOP_ITERATION, "stop_user": STOP_USER}
DEFAULT_TIMEOUT = 60.0
DEFAULT_BODY_LIMIT = 10 * MB
INTERRUPTED = "interrupted at the end of the run"

Tracer = Callable[[str, dict[str, Any]], None]


class StepFailure(Exception):
    """A failed check or an unsendable request, as Locust records it: its repr is the bare message, so
    Locust's failure tables, CSV files and worker reports show `login: HTTP 500`, not
    `CatchResponseError('login: HTTP 500')`."""

    def __repr__(self) -> str:
        return str(self)


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
    client: str  # fast | requests
    total_timeout: float  # seconds for the whole exchange, body included
    body_limit: int  # bytes of the body kept for checks
    large_body_ok: bool  # on_large_body: discard (else a body over the limit fails the step)

    def request_kwargs(self, variables: dict[str, Any]) -> dict[str, Any]:
        kwargs = self.fixed_kwargs.copy()
        for key, render in self.dynamic_kwargs:
            kwargs[key] = query_params(render(variables)) if key == "params" else render(variables)
        return kwargs

    def held(self, user: LoadspecUser, variables: dict[str, Any]) -> int | None:
        """Why this request is not sent now (its `when:` is false, its probability said no, or the run
        is ending), as the outcome to return; None to send it."""
        if self.when is not None and not self.when(variables):
            return CONTINUE
        if self.probability is not None and random.random() >= self.probability:
            return CONTINUE
        if user._state == LOCUST_STATE_STOPPING:
            return STOP_USER  # the run is ending (or ramping down): no new request
        return None

    def run(self, user: LoadspecUser, variables: dict[str, Any]) -> int:
        held = self.held(user, variables)
        if held is not None:
            return held
        try:
            url = self.url_static if self.url_render is None else self.url_render(variables)
            kwargs = self.request_kwargs(variables)
        except RenderError as exc:
            return self.unsent(user, f"{self.name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a template function that raises fails the step, never the user
            return self.unsent(user, f"{self.name}: {build_error(exc)}")
        started = time.perf_counter()
        timer = gevent.Timeout(self.total_timeout)
        timer.start()
        try:
            ok = self.exchange(user, str(url), kwargs, variables, started)
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            ok = user.report_failure(self, f"{self.name}: timed out after {self.total_timeout:g}s", str(url), started)
        except GreenletExit:  # the user is killed with its request in flight: count it, then go
            user.report_failure(self, f"{self.name}: {INTERRUPTED}", str(url), started)
            raise
        except Exception as exc:  # noqa: BLE001 - the guard: a request that cannot be sent is a counted failure
            ok = user.report_failure(self, f"{self.name}: {build_error(exc)}", str(url), started)
        finally:
            timer.close()
        user.request_ms += (time.perf_counter() - started) * 1000
        if not ok:
            user.failures += 1
        if self.think is not None:
            low, high = self.think
            user.pause(low if low == high else random.uniform(low, high))
        return CONTINUE if ok else self.fail_outcome

    def unsent(self, user: LoadspecUser, message: str) -> int:
        """A request that could not even be built: counted as failed, never sent."""
        user.report_failure(self, message, "", None)
        user.failures += 1
        return self.fail_outcome

    def exchange(self, user: LoadspecUser, url: str, kwargs: dict[str, Any], variables: dict[str, Any],
                 started: float) -> bool:
        """Send, read the body within the limit, check; the response reports itself once, on leaving
        the `with` block (an exception inside it leaves it unreported, for `run` to count)."""
        session = user.session_for(self.session_key)
        response = session.request(self.method, url, **kwargs)
        try:
            return self.read_and_report(user, response, url, kwargs, variables, started)
        finally:
            # Locust's requests client turns the response itself into the context manager, whose
            # `request_meta` refers back to it: a cycle that only the garbage collector's rare full
            # passes free, keeping every kept body (up to the limit each) alive until then.
            response.request_meta["response"] = None

    def read_and_report(self, user: LoadspecUser, response: Any, url: str, kwargs: dict[str, Any],
                        variables: dict[str, Any], started: float) -> bool:
        """The body within the limit, the checks, the one report (see `exchange`)."""
        with response:
            view = None
            if not response.status_code:  # no response at all: refused, reset, closed, timed out, not HTTP
                message: str | None = f"{self.name}: {self.transport_message(response.error)}"
            else:
                read = (read_fast_body(response, self.body_limit) if self.client == "fast"
                        else read_requests_body(response, self.body_limit))
                meta = response.request_meta
                meta["response_time"] = (time.perf_counter() - started) * 1000  # the body is part of the time
                meta["response_length"] = read.received
                view = ResponseView(response, meta["response_time"])
                if read.problem is not None:
                    message = f"{self.name}: {read.problem}"
                elif read.over and not self.large_body_ok:
                    message = (f"{self.name}: body over {limit_text(self.body_limit)} "
                               f"({read.received / MB:.1f} MB received)")
                else:
                    try:
                        message = self.evaluate(view, variables, user.run_log)
                    except Exception as exc:  # noqa: BLE001 - a surprise in a check fails the step, never the user
                        message = f"{self.name}: could not check the response ({type(exc).__name__})"
            if message is None:
                response.success()
            else:
                response.failure(StepFailure(message))
                if user.run_log.keeps(message):  # the body is decoded for the examples kept, not for every failure
                    user.run_log.record(FailureExample(
                        self.name, self.method, url, view.status if view else 0, message, view.text if view else ""))
            if user.tracer:
                self.trace(user, view, url, kwargs, variables, message, response)
        return message is None

    def transport_message(self, error: BaseException | None) -> str:
        if error is None:
            return "no response"
        text = describe_error(error)
        return f"timed out after {self.total_timeout:g}s" if text == "timed out" else text

    def trace(self, user: LoadspecUser, view: ResponseView | None, url: str, kwargs: dict[str, Any],
              variables: dict[str, Any], message: str | None, response: Any) -> None:
        assert user.tracer is not None
        if view is None:
            user.tracer("error", {"step": self.name, "method": self.method, "url": url,
                                  "params": kwargs.get("params") or {}, "error": message or repr(response.error)})
            return
        user.tracer("response", {
            "step": self.name, "method": self.method, "url": url, "params": kwargs.get("params") or {},
            "status": view.status,
            "ms": view.duration_ms, "failure": message, "variables": dict(variables),
            "request_headers": kwargs.get("headers") or {},
            "request_body": kwargs.get("json", kwargs.get("data")),
            "checks": [(label, check(view, variables))
                       for label, check in zip(self.check_labels, self.checks, strict=True)],
            "body": view.text[:4000],
            "response_headers": _header_pairs(view), "response_text": view.text,
        })

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
        held = self.held(user, variables)
        if held is not None:
            return held
        try:
            target = None if self.render_target is None else self.render_target(variables)
            headers = b"" if self.render_headers is None else self.render_headers(variables)
            body = None if self.render_body is None else self.render_body(variables)
        except (RenderError, ValueError) as exc:  # a missing variable; a header with a newline (wire's own words)
            return self.unsent(user, f"{self.name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - anything else that breaks building the request: a failure
            return self.unsent(user, f"{self.name}: {build_error(exc)}")
        started = time.perf_counter()
        try:
            response = user.wire.send(self.prepared, target=target, headers=headers, body=body)
        except GreenletExit:  # the user is killed with its request in flight: count it, then go
            user.report_failure(self, f"{self.name}: {INTERRUPTED}", self.prepared.url, started)
            raise
        except Exception as exc:  # noqa: BLE001 - send() reports failures itself; this guards against surprises
            response = WireResponse(self.prepared.url, error=f"request failed: {type(exc).__name__}: {exc}")
        user.request_ms += (time.perf_counter() - started) * 1000
        if response.error is not None:
            message: str | None = f"{self.name}: {response.error}"
            user.run_log.record(FailureExample(self.name, self.method, response.url, 0, message, ""))
        else:
            view = ResponseView(response, response.elapsed_ms)
            try:
                message = (f"{self.name}: {response.over_limit_message()}"
                           if response.over_limit and not self.large_body_ok
                           else self.evaluate(view, variables, user.run_log))
            except Exception as exc:  # noqa: BLE001 - a surprise in a check fails the step, never the user
                message = f"{self.name}: could not check the response ({type(exc).__name__})"
            if message is not None and user.run_log.keeps(message):
                user.run_log.record(FailureExample(self.name, self.method, response.url, response.status, message,
                                                   view.text))
        user.fire_request(request_type=self.method, name=self.name, response_time=response.elapsed_ms,
                          response_length=response.size, context={}, url=response.url, response=response,
                          exception=None if message is None else StepFailure(message))
        if user.tracer:
            self.trace(user, variables, response, message, target, headers, body)
        if message is not None:
            user.failures += 1
        if self.think is not None:
            low, high = self.think
            user.pause(low if low == high else random.uniform(low, high))
        return CONTINUE if message is None else self.fail_outcome

    def trace(self, user: LoadspecUser, variables: dict[str, Any], response: Any, message: str | None,
              target: str | None, headers: bytes, body: bytes | None) -> None:
        """What `loadspec debug` prints for one request (not on the load path)."""
        url = response.url
        if response.error is not None:
            user.tracer("error", {"step": self.name, "method": self.method, "url": url,  # type: ignore[misc]
                                  "error": response.error})
            return
        view = ResponseView(response, response.elapsed_ms)
        sent = (self.prepared.head + headers).decode("latin-1").split("\r\n")[1:]
        sent_body = body if body is not None else self.prepared.body
        shown_body = sent_body.decode("utf-8", "replace") if sent_body else None
        if shown_body and any(line.lower().startswith("content-type: application/x-www-form-urlencoded")
                              for line in sent):
            shown_body = unquote_plus(shown_body)  # show the form as written, not percent-encoded
        user.tracer("response", {  # type: ignore[misc]
            "step": self.name, "method": self.method, "url": url, "status": view.status,
            "ms": view.duration_ms, "failure": message, "variables": dict(variables),
            "request_headers": dict(line.split(": ", 1) for line in sent if ": " in line),
            "request_body": shown_body,
            "checks": [(label, check(view, variables))
                       for label, check in zip(self.check_labels, self.checks, strict=True)],
            "body": view.text[:4000],
            "response_headers": _header_pairs(view), "response_text": view.text,
        })


def _header_pairs(view: ResponseView) -> list[tuple[str, str]]:
    """A traced response's headers as (name, value) pairs, each cookie it set as one `Set-Cookie`
    (the replay check reads them as it reads a recorded response)."""
    headers = view.response.headers
    pairs = [(str(k), str(v)) for k, v in headers.items() if str(k).lower() != "set-cookie"] if headers else []
    return pairs + [("Set-Cookie", f"{k}={v}") for k, v in response_cookies(view.response).items()]


def query_params(values: dict[str, Any]) -> dict[str, Any]:
    """Query parameters as text: booleans read true/false, as in a URL."""
    return {key: ("true" if value else "false") if isinstance(value, bool) else value
            for key, value in values.items()}


class CompiledGroup:
    """A group: its steps, timed together as one extra statistics entry (the sum of its requests'
    times, so think time and pauses are left out)."""

    def __init__(self, name: str, body: list[Runnable]):
        self.name = name
        self.body = body

    def run(self, user: LoadspecUser, variables: dict[str, Any]) -> int:
        failures_before = user.failures
        requests_before = user.request_ms
        outcome = run_steps(self.body, user, variables)
        elapsed = user.request_ms - requests_before  # its requests' time: think time is not the target's
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
        elif self.client_kind == "fast":
            without_hidden_retries(self.client)
        self.user_id = user_id
        self.iteration = 0
        self.failures = 0
        self.request_ms = 0.0
        self._wake = gevent.event.Event()
        self.stopped_because: str | None = None
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
                    # Locust logs any exception of on_start with a traceback: stop at the next
                    # iteration instead, and say why once in the summary.
                    self.stopped_because = str(exc)
                    stopped = self.test.run_log.users_stopped
                    stopped[str(exc)] = stopped.get(str(exc), 0) + 1
                    return

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
            without_hidden_retries(session)
            self.sessions[key] = session
        return session

    def report_failure(self, step: CompiledRequest, message: str, url: str, started: float | None) -> bool:
        """Count a request that got no response object to report itself: it could not be built or
        sent, it ran out of time, or the run ended with it in flight. Returns False (not ok)."""
        elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        self.environment.events.request.fire(
            request_type=step.method, name=step.name, response_time=elapsed, response_length=0,
            exception=StepFailure(message), context={}, url=url or None, response=None,
        )
        self.run_log.record(FailureExample(step.name, step.method, url, 0, message, ""))
        return False

    def pause(self, seconds: float) -> None:
        """Think time. A user asked to stop while it pauses wakes up at once and stops before its
        next request (see `stop`)."""
        if self._state != LOCUST_STATE_STOPPING:
            self._wake.wait(seconds)

    def stop(self, force: bool = False) -> bool:
        """Locust's graceful stop, without its race: Locust kills a user it finds "waiting" (in
        its wait time) from a callback that can land in the request the user has started by then,
        losing that request. Mark it "stopping" instead, like a running user, and wake it from its
        think time: it stops before its next request (a forced stop still kills at once)."""
        if not force and self._state == LOCUST_STATE_WAITING:
            self._state = LOCUST_STATE_STOPPING
            stopped = False
        else:
            stopped = bool(super().stop(force))  # type: ignore[misc]
        wake = getattr(self, "_wake", None)
        if wake is not None:
            wake.set()
        return stopped

    def run_iteration(self) -> None:
        if self.stopped_because is not None or (self.iterations is not None and self.iteration >= self.iterations):
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
        if self.stopped_because is not None:
            raise StopUser()
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


def scenario_task(scenario: str) -> Callable[[LoadspecUser], None]:
    """`iteration_task` under a readable name (`checkout: one iteration`), which Locust shows in its
    task ratios (`--show-task-ratio`, "Final ratio", the web UI) instead of a function name."""

    def task(user: LoadspecUser) -> None:
        user.run_iteration()

    task.__name__ = task.__qualname__ = f"{scenario}: one iteration"
    return task


__all__ = ["CONTINUE", "DEFAULT_BODY_LIMIT", "DEFAULT_TIMEOUT", "INTERRUPTED", "ON_FAIL", "STOP_ITERATION",
           "STOP_USER", "CompiledGroup", "CompiledLoop", "CompiledRequest", "LoadspecUser", "Runnable",
           "StepFailure", "Tracer", "WireRequest", "iteration_task", "query_params", "run_steps", "scenario_task"]
