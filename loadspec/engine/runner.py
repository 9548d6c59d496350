"""Run compiled user classes on Locust in this process (library mode) and return the results.

Headless (`run_local`) or behind Locust's web UI (`run_web_ui`), where the user steers the load.

It decides the load plan (users, spawn rate, duration, iterations, stages) from the spec and the
command line, drives a Locust `LocalRunner`, shows live progress, stops the run when it should
(duration reached, every user done with its iterations, a data pool's stop_test, an aborting
threshold) and hands back `RunResults`. It does not compile, print summaries or write reports.
"""

from __future__ import annotations

import signal
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import gevent
import gevent.event
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


def step_order(test: CompiledTest) -> list[str]:
    names: list[str] = []
    spec = test.spec
    for steps in [spec.before, *(scenario.setup + scenario.steps for scenario in spec.scenarios), spec.after]:
        for step in iter_request_steps(steps):
            if step.name not in names:
                names.append(step.name)
    return names


def make_environment(test: CompiledTest, plan: LoadPlan | None = None) -> Environment:
    shape = StagesShape(plan.stages) if plan and plan.stages else None
    return Environment(user_classes=test.user_classes, events=locust.events, host=test.host,
                       shape_class=shape, catch_exceptions=True)


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
    if plan.stages:
        runner.start_shape()
        total = sum(stage.duration for stage in plan.stages)
    else:
        runner.start(plan.users, plan.spawn_rate)
        total = plan.duration
    last_progress = 0.0
    try:
        while True:
            gevent.sleep(0.2)
            elapsed = time.monotonic() - started
            ended_by = end_reason(runner, test, plan, elapsed, monitors)
            if ended_by:
                break
            if progress is not None and elapsed - last_progress >= progress_interval:
                last_progress = elapsed
                progress.write(progress_line(env, elapsed, total, test.run_log) + "\n")
                progress.flush()
    finally:
        runner.quit()
    elapsed = time.monotonic() - started
    results = collect(env.stats, step_order(test), elapsed_s=elapsed, run_log=test.run_log)
    return RunOutcome(environment=env, results=results, ended_by=ended_by)


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
    """Serve Locust's web UI with the compiled users; the user starts, steers and stops the test.

    Ends when the test is stopped from the UI (after it ran), on Ctrl+C or SIGTERM, when a monitor
    asks to stop, or when a data pool stops the test. The plan only pre-fills the UI's form."""
    env = make_environment(test)
    env.parsed_options = types.SimpleNamespace(
        num_users=plan.users or 1, spawn_rate=plan.spawn_rate, run_time=None, host=test.host,
        stats_history_enabled=False,
    )
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
    terminate = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, terminate.set)
    out.write(f"web UI: http://{host}:{port} — start the test there; stop it there or press Ctrl+C to end\n")
    out.flush()
    started: float | None = None
    ended_by = "interrupted"
    last_progress = 0.0
    try:
        while not terminate.wait(0.2):
            if web_ui.greenlet.dead:
                ended_by = "web UI ended"
                break
            if test.run_log.stop_reason:
                ended_by = "stop_test"
                break
            if runner.state in (STATE_SPAWNING, STATE_RUNNING):
                if started is None:
                    started = time.monotonic()
                elapsed = time.monotonic() - started
                stop = _ask_monitors(monitors, env, elapsed)
                if stop:
                    ended_by = stop
                    break
                if progress is not None and elapsed - last_progress >= 2.0:
                    last_progress = elapsed
                    progress.write(progress_line(env, elapsed, None) + "\n")
                    progress.flush()
            elif started is not None and runner.state == STATE_STOPPED:
                ended_by = "stopped from the web UI"
                break
        else:
            ended_by = "terminated"
    except KeyboardInterrupt:
        ended_by = "interrupted (Ctrl+C)"
    finally:
        runner.quit()
        history.kill(block=False)
        web_ui.stop()
    elapsed = time.monotonic() - started if started is not None else 0.0
    results = collect(env.stats, step_order(test), elapsed_s=elapsed, run_log=test.run_log)
    return RunOutcome(environment=env, results=results, ended_by=ended_by)


def progress_line(env: Environment, elapsed: float, total: float | None, log: Any = None) -> str:
    """`[  12s / 30s, 18s left] users 10 | 412.3 req/s | requests 4950 | failures 0 (0.00%) | p95 23ms`,
    and `| iterations 240, dropped 3` in the open model (`log`, the RunLog, counts them)."""
    stats = env.stats.total
    rps = stats.current_rps or (stats.num_requests / elapsed if elapsed > 0 else 0.0)  # window not filled yet
    p95 = stats.get_current_response_time_percentile(0.95) if stats.num_requests else None
    rate = stats.fail_ratio * 100
    clock = (f"{elapsed:4.0f}s / {total:.0f}s, {max(total - elapsed, 0):.0f}s left" if total
             else f"{elapsed:4.0f}s")
    users = env.runner.user_count if env.runner else 0
    p95_text = f"{p95:.0f}ms" if p95 is not None else "-"
    line = (f"[{clock}] users {users} | {rps:7.1f} req/s | requests {stats.num_requests} | "
            f"failures {stats.num_failures} ({rate:.2f}%) | p95 {p95_text}")
    if log is not None and log.iterations_started is not None:
        line += f" | iterations {log.iterations_started}, dropped {log.dropped_iterations}"
    return line


__all__ = ["Monitor", "RunOutcome", "StagesShape", "end_reason", "make_environment", "progress_line", "run_local",
           "run_web_ui", "step_order"]
