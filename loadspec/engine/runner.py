"""Run compiled user classes on Locust in this process (library mode) and return the results.

Headless (`run_local`) or behind Locust's web UI (`run_web_ui`), where the user steers the load.

It decides the load plan (users, spawn rate, duration, iterations, stages) from the spec and the
command line, drives a Locust `LocalRunner`, shows live progress, stops the run when it should
(duration reached, every user done with its iterations, a data pool's stop_test, an aborting
threshold) and hands back `RunResults`. It does not compile, print summaries or write reports.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import types
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import IO, Any

import gevent
import locust
from locust import LoadTestShape
from locust.env import Environment
from locust.runners import STATE_RUNNING, STATE_SPAWNING, STATE_STOPPED, STATE_STOPPING, MasterRunner, Runner
from locust.stats import stats_history

from ..errors import RunError
from ..model import Stage, iter_request_steps
from ..results.plan import LoadPlan
from ..results.stats import RunResults, collect
from .arrival import arm_local
from .compiler import CompiledTest
from .live import Progress, open_progress, progress_line
from .webui import install_tab


class StagesShape(LoadTestShape):
    """`load.stages` as a Locust load shape: each stage moves to its user count over its duration."""

    def __init__(self, stages: list[Stage]):
        super().__init__()
        self.stages = stages

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        previous = 0
        for stage in self.stages:
            if elapsed < stage.duration:
                rate = stage.spawn_rate or max(abs(stage.users - previous) / max(stage.duration, 0.001), 1.0)
                return stage.users, rate
            elapsed -= stage.duration
            previous = stage.users
        return None


Monitor = Callable[[Environment, float], str | None]


@dataclass
class RunOutcome:
    """A finished run: its Locust environment, results, and why it ended."""

    environment: Environment
    results: RunResults
    ended_by: str
    interrupted: str | None = None  # "Ctrl+C (SIGINT)" or "SIGTERM" when a signal ended the run


def step_order(test: CompiledTest) -> list[str]:
    names: list[str] = []
    spec = test.spec
    for steps in [spec.before, *(scenario.setup + scenario.steps for scenario in spec.scenarios), spec.after]:
        for step in iter_request_steps(steps):
            if step.name not in names:
                names.append(step.name)
    return names


def make_environment(test: CompiledTest, plan: LoadPlan | None = None) -> Environment:
    """Locust's environment for `test`. Its stop_timeout is the plan's grace period: when the run
    ends, users stop at their next step and requests in flight get that long to finish; the ones
    still running after it are counted failed by the step ("interrupted at the end of the run")."""
    shape = StagesShape(plan.stages) if plan and plan.stages else None
    return Environment(user_classes=test.user_classes, events=locust.events, host=test.host,
                       shape_class=shape, catch_exceptions=True,
                       stop_timeout=plan.grace if plan is not None else LoadPlan.grace)


class Interrupts:
    """Ctrl+C (SIGINT) and SIGTERM while a run is on: the first ends it the normal way (users
    stopped, requests in flight given the grace period, summary and reports written), noted in
    `reason`; a second Ctrl+C exits at once with code 130."""

    def __init__(self, say: IO[str] | Progress | None = sys.stderr, grace: float = LoadPlan.grace):
        self.reason: str | None = None
        self.say = say
        self.grace = grace
        self._handles: list[Any] = []

    def __enter__(self) -> Interrupts:
        self._handles = [gevent.signal_handler(signal.SIGINT, self._caught, "Ctrl+C (SIGINT)"),
                         gevent.signal_handler(signal.SIGTERM, self._caught, "SIGTERM")]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.cancel()

    def _caught(self, what: str) -> None:
        if self.reason is not None:
            if what.startswith("Ctrl+C"):
                sys.stderr.write("\ninterrupted again: exiting now, without summary or reports\n")
                sys.stderr.flush()
                os._exit(130)
            return
        self.reason = what
        if self.say is not None:
            self.say.write(f"\n{what}: stopping; requests in flight get up to {self.grace:g}s "
                           "(press Ctrl+C again to exit at once)\n")
            self.say.flush()


def run_local(
    test: CompiledTest,
    plan: LoadPlan,
    *,
    progress: IO[str] | None = sys.stderr,
    monitors: list[Monitor] | None = None,
    environment: Environment | None = None,
    progress_interval: float = 2.0,
) -> RunOutcome:
    """Run headless until the plan is done, a monitor asks to stop, or the test stops itself."""
    env = environment or make_environment(test, plan)
    runner = env.runner or env.create_local_runner()
    env.events.init.fire(environment=env, runner=runner, web_ui=env.web_ui)
    arm_local(runner, test, plan)
    started = time.monotonic()
    shown = open_progress(progress, step_order(test), interval=progress_interval)
    with Interrupts(shown or sys.stderr, plan.grace) as interrupts, shown or nullcontext():
        if plan.stages:
            runner.start_shape()
            total = sum(stage.duration for stage in plan.stages)
        else:
            runner.start(plan.users, plan.spawn_rate)
            total = plan.duration
        ended_by: str | None = "interrupted"
        try:
            while True:
                gevent.sleep(0.2)
                elapsed = time.monotonic() - started
                if interrupts.reason:
                    ended_by = f"interrupted by {interrupts.reason}"
                    break
                ended_by = end_reason(runner, test, plan, elapsed, monitors)
                if ended_by:
                    break
                if shown is not None:
                    shown.tick(env, elapsed, total, test.run_log)
        finally:
            elapsed = time.monotonic() - started  # the run's time; the grace period is not load
            runner.quit()  # waits up to plan.grace for requests in flight
        if shown is not None:
            shown.done(env, elapsed, total, test.run_log)  # the numbers of the summary table
    results = collect(env.stats, step_order(test), elapsed_s=elapsed, run_log=test.run_log)
    return RunOutcome(environment=env, results=results, ended_by=ended_by or "interrupted",
                      interrupted=interrupts.reason)


def end_reason(runner: Runner, test: CompiledTest, plan: LoadPlan | None, elapsed: float,
               monitors: list[Monitor] | None = None) -> str | None:
    """Why a headless run should end now, or None to go on; every headless loop (local, a loadspec
    master, a plain Locust run of a generated locustfile) asks this every tick. Every monitor is
    called each time (some record as they go). `plan` is None in a plain Locust run, which Locust's
    own -t or load shape ends; then only a stop_test pool and finished iterations end it here."""
    if test.run_log.stop_reason:
        return "stop_test"
    if plan is not None:
        if isinstance(runner, MasterRunner) and runner.worker_count == 0 and elapsed > 1.0:
            return "no workers left"
        if runner.state in (STATE_STOPPED, STATE_STOPPING) and elapsed > 0.5:
            return "stages" if plan.stages else "stopped"
        if plan.duration is not None and not plan.stages and elapsed >= plan.duration:
            return "duration"
    counted = (plan.iterations is not None if plan is not None
               else any(cls.iterations is not None for cls in test.user_classes))
    spawned = runner.spawning_completed if isinstance(runner, MasterRunner) else True  # workers all reported
    if counted and runner.state == STATE_RUNNING and spawned and runner.user_count == 0:
        return "iterations"
    if plan is not None and plan.users == 0 and not plan.stages and runner.state != STATE_SPAWNING:
        return "no users"
    return _ask_monitors(monitors, runner.environment, elapsed)


def _ask_monitors(monitors: list[Monitor] | None, env: Environment, elapsed: float) -> str | None:
    """Call every monitor once (they also record); the first reason to stop wins."""
    reason = None
    for monitor in monitors or []:
        answer = monitor(env, elapsed)
        reason = reason or answer
    return reason


def run_web_ui(
    test: CompiledTest,
    plan: LoadPlan,
    *,
    host: str = "127.0.0.1",
    port: int = 8089,
    progress: IO[str] | None = sys.stderr,
    monitors: list[Monitor] | None = None,
    out: IO[str] = sys.stdout,
) -> RunOutcome:
    """Serve Locust's web UI with the compiled users; the user starts, steers and stops tests there.

    The UI stays up after STOP: the results stay visible and a new test can start. It ends on
    Ctrl+C or SIGTERM (with the results of the test running then, interrupted, or else of the last
    test stopped in the UI), when a monitor asks to stop, or when a data pool stops the test. The
    plan only pre-fills the UI's form."""
    env = make_environment(test)
    env.parsed_options = types.SimpleNamespace(
        num_users=plan.users or 1, spawn_rate=plan.spawn_rate, run_time=None, host=test.host,
        stats_history_enabled=False,
    )
    env.stop_timeout = plan.grace
    runner = env.create_local_runner()
    # Locust's UI parses sys.argv with its own parser (for extra UI options) on every page load.
    saved_argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        return _serve_web_ui(test, env, runner, host, port, progress, monitors, out)
    finally:
        sys.argv = saved_argv


def _serve_web_ui(test: CompiledTest, env: Environment, runner: Any, host: str, port: int,
                  progress: IO[str] | None, monitors: list[Monitor] | None, out: IO[str]) -> RunOutcome:
    try:
        web_ui = env.create_web_ui(host, port)
    except OSError as exc:
        raise RunError(f"cannot serve the web UI on {host}:{port}: {exc.strerror or exc}") from None
    install_tab(web_ui, env, test, step_order(test))
    env.events.init.fire(environment=env, runner=runner, web_ui=web_ui)
    history = gevent.spawn(stats_history, runner)
    out.write(f"web UI: http://{host}:{port} — start a test there; stop it there, start another, "
              "and press Ctrl+C to write the last test's reports and exit\n")
    out.flush()
    started: float | None = None  # when the test now running started
    last: tuple[RunResults, float] | None = None  # the results of the last test stopped in the UI
    ended_by = "web UI closed"
    elapsed = 0.0
    shown = open_progress(progress, step_order(test))
    interrupts = Interrupts(shown or out, env.stop_timeout or 0.0)
    try:
        with interrupts, shown or nullcontext():
            while not interrupts.reason:
                gevent.sleep(0.2)
                if web_ui.greenlet.dead:
                    ended_by = "web UI ended"
                    break
                if test.run_log.stop_reason:
                    ended_by = "stop_test"
                    break
                if runner.state in (STATE_SPAWNING, STATE_RUNNING):
                    if started is None:  # a new test (Locust has cleared its statistics)
                        started = time.monotonic()
                        if shown is not None:
                            shown.restart()
                        if last is not None:
                            test.run_log.reset()
                    elapsed = time.monotonic() - started
                    stop = _ask_monitors(monitors, env, elapsed)
                    if stop:
                        ended_by = stop
                        break
                    if shown is not None:
                        shown.tick(env, elapsed, None)
                elif started is not None and runner.state == STATE_STOPPED:
                    elapsed = time.monotonic() - started
                    if shown is not None:
                        shown.done(env, elapsed, None)
                    last = collect(env.stats, step_order(test), elapsed_s=elapsed, run_log=test.run_log), elapsed
                    started = None
                    out.write(f"test stopped from the web UI after {elapsed:.1f}s: {last[0].total.requests} "
                              "requests; start another there, or press Ctrl+C to write its reports and exit\n")
                    out.flush()
            running = started is not None
            if interrupts.reason:
                ended_by = (f"interrupted by {interrupts.reason}" if running
                            else "stopped from the web UI" if last is not None else "web UI closed")
            if started is not None:
                elapsed = time.monotonic() - started
            runner.quit()  # a test still running gets the grace period
            if running and shown is not None:
                shown.done(env, elapsed, None)
    finally:
        history.kill(block=False)
        web_ui.stop()
    if not running and last is not None:
        results, elapsed = last
    else:
        results = collect(env.stats, step_order(test), elapsed_s=elapsed, run_log=test.run_log)
    return RunOutcome(environment=env, results=results, ended_by=ended_by,
                      interrupted=interrupts.reason if running else None)


__all__ = ["Monitor", "RunOutcome", "StagesShape", "end_reason", "make_environment", "progress_line", "run_local",
           "run_web_ui", "step_order"]
