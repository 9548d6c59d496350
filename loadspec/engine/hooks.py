"""Run a test's `before:` and `after:` steps, once per test, in the process that leads the run.

`run_before` runs before the first user starts (before a distributed run's workers get their
locustfile, so what it captures travels with it), `run_after` after the last user stopped. Each
hook is one user of the hook's own compiled class, outside Locust's runner (so it never takes a
data pool row and never counts as a user), in a private Locust environment whose statistics are
added to the run's afterwards: hook requests show in the reports like any step. What `before:`
captures becomes a variable of every user (`CompiledTest.variables`) and of `after:`.
"""

from __future__ import annotations

import logging
from typing import Any

from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner

from ..errors import RunError
from ..lang.templates import CompiledValue
from ..results.runlog import GROUP_METHOD
from ..results.stats import collect
from ..sources.features import captured_names
from .compiler import CompiledTest
from .runner import step_order
from .steps import CONTINUE, run_steps


def _hook_user(test: CompiledTest, name: str, env: Environment) -> Any:
    user = test.hooks[name](env)
    user.begin(0)
    user.setup_done = True
    return user


def _run_hook(test: CompiledTest, name: str, env: Environment) -> tuple[dict[str, Any], str | None]:
    """Run one hook; (its variables afterwards, why it failed or None)."""
    user = _hook_user(test, name, env)
    try:
        outcome = run_steps(user.scenario_steps, user, user.variables)
    except Exception as exc:  # noqa: BLE001 - StopUser/StopTest from a pool or on_fail: the hook failed
        return user.variables, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        for session in getattr(user, "sessions", {}).values():
            close = getattr(session, "close", None)
            if close is not None:
                close()
        user.on_stop()
    if user.failures or outcome != CONTINUE:
        error = next(iter(env.stats.errors.values()), None)
        return user.variables, str(error.error) if error is not None else "a step failed"
    return user.variables, None


def run_before(test: CompiledTest) -> Environment | None:
    """Run `before:` (if any); its captures become variables of every user. Raises RunError when a
    before step fails: the test does not start. Returns the hooks' environment for `run_after`."""
    if not test.hooks:
        return None
    env = Environment(user_classes=[], host=test.host, catch_exceptions=True)
    stats = env.stats

    def record(request_type: str, name: str, response_time: float, response_length: int, exception: Any = None,
               **_: Any) -> None:  # what a Locust runner does for its users' requests
        stats.log_request(request_type, name, response_time, response_length)
        if exception:
            stats.log_error(request_type, name, exception)

    env.events.request.add_listener(record)
    if "before" not in test.hooks:
        return env
    variables, problem = _run_hook(test, "before", env)
    if problem is not None:
        raise RunError(f"before: failed, so the test did not start: {problem}")
    share_before_values(test, {name: variables[name] for name in captured_names(test.spec.before)
                               if name in variables})
    return env


def share_before_values(test: CompiledTest, values: dict[str, Any]) -> None:
    """Make what `before:` captured (here or on the master) a variable of every user of `test`."""
    for name, value in values.items():
        test.shared[name] = value
        test.variables.append((name, CompiledValue(True, value)))


def run_after(test: CompiledTest, outcome: Any, env: Environment | None) -> Any:
    """Run `after:` (if any), add the hooks' requests to the run's statistics and collect the
    results again. Returns `outcome` (a RunOutcome), updated. A failing after step is counted like
    any failed request."""
    if env is None:
        return outcome
    if "after" in test.hooks:
        _run_hook(test, "after", env)
    merge_stats(outcome.environment.stats, env.stats)
    outcome.results = collect(outcome.environment.stats, step_order(test), elapsed_s=outcome.results.elapsed_s,
                              run_log=test.run_log)
    return outcome


SHARED_MESSAGE = "loadspec_before_values"
logger = logging.getLogger("loadspec")


def attach_hooks(runner: Runner, test: CompiledTest) -> None:
    """For a plain Locust run of a generated locustfile: the local or master process runs `before:`
    at test start (before Locust starts users) and sends what it captured to the workers; it runs
    `after:` at test stop. A failing before step stops the run."""
    if isinstance(runner, WorkerRunner):
        runner.register_message(SHARED_MESSAGE, lambda environment, msg, **_: share_before_values(test, msg.data))
        return
    if not test.hooks:
        return
    state: dict[str, Any] = {}
    env = runner.environment

    def on_start(environment: Environment, **_: Any) -> None:
        if environment is not env:
            return
        for cls in test.hooks.values():  # Locust's --host reaches the users only as it starts them
            cls.host = env.host or cls.host
        try:
            state["hooks"] = run_before(test)
        except RunError as exc:
            logger.error("loadspec: %s", exc)
            test.run_log.stop_reason = str(exc)
            return
        if isinstance(runner, MasterRunner):
            for worker in runner.clients.ready + runner.clients.running + runner.clients.spawning:
                runner.send_message(SHARED_MESSAGE, test.shared, client_id=worker.id)
        merge_stats(env.stats, state["hooks"].stats)
        state["hooks"].stats.clear_all()

    def on_stop(environment: Environment, **_: Any) -> None:
        hooks = state.pop("hooks", None)
        if environment is env and hooks is not None and "after" in test.hooks:
            _run_hook(test, "after", hooks)
            merge_stats(env.stats, hooks.stats)

    env.events.test_start.add_listener(on_start)
    env.events.test_stop.add_listener(on_stop)


def merge_stats(into: Any, extra: Any) -> None:
    """Add the entries and errors of one Locust `RequestStats` to another."""
    for entry in extra.entries.values():
        into.get(entry.name, entry.method).extend(entry)
        if entry.method != GROUP_METHOD:
            into.total.extend(entry)
    for key, error in extra.errors.items():
        if key in into.errors:
            into.errors[key].occurrences += error.occurrences
        else:
            into.errors[key] = error


__all__ = ["SHARED_MESSAGE", "attach_hooks", "merge_stats", "run_after", "run_before", "share_before_values"]
