"""The open model on Locust: a rate gate that hands out one token per due iteration.

Locust runs users in a loop (a closed model). With `load.rate`, every compiled user takes a token
from its process's `RateGate` before each iteration (wait_time stays 0), and the gate releases
tokens on the plan's `ArrivalSchedule` (results/plan.py), whatever the response times. When an
iteration is due and no user is waiting for a token, the gate starts one more user with Locust's
own `spawn_users`, up to `max_users`; when all `max_users` are busy the iteration is dropped and
counted (`RunLog.dropped_iterations`). Distributed, the master gives each worker its share at test
start (worker i of n takes iterations i, i+n, i+2n, ... and 1/n of max_users), and each worker
reports its started and dropped iterations with its stats.
"""

from __future__ import annotations

import random
import time
from typing import Any

import gevent
from gevent.queue import Queue
from locust.env import Environment
from locust.runners import STATE_RUNNING, MasterRunner, Runner, WorkerRunner

from ..errors import UsageError
from ..model import Stage
from ..results.plan import ArrivalSchedule, LoadPlan, arrival_schedule, plan_load
from ..results.runlog import RunLog
from .compiler import CompiledTest

SHARE_MESSAGE = "loadspec_arrivals"
REPORT_KEY = "loadspec_arrivals"


class RateGate:
    """Tokens on a schedule for the users of one process (a share `index` of `count` of the run)."""

    def __init__(self, schedule: ArrivalSchedule, runner: Runner, log: RunLog, *, max_users: int,
                 index: int = 0, count: int = 1, lazy: bool = True):
        self.schedule, self.runner, self.log = schedule, runner, log
        self.max_users, self.index, self.count = max_users, index, count
        self.lazy = lazy  # start the clock at the first take() (else: when start() is called)
        self.tokens: Queue = Queue()
        self.idle = 0  # users waiting in take()
        self.pending = 0  # users started for a token already queued, not yet waiting
        self.dispatcher: gevent.Greenlet | None = None
        if log.iterations_started is None:
            log.iterations_started = 0

    def take(self) -> None:
        """Block the calling user until its next iteration is due."""
        if self.dispatcher is None and self.lazy:
            self.start()
        if self.pending:
            self.pending -= 1
        self.idle += 1
        try:
            self.tokens.get()
        finally:
            self.idle -= 1
        self.log.iterations_started += 1  # type: ignore[operator]

    def start(self) -> None:
        """Start the clock (at the first take(), or when a worker gets its share)."""
        if self.dispatcher is None:
            self.dispatcher = self.runner.greenlet.spawn(self._dispatch)

    def stop(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.kill(block=False)

    def _dispatch(self) -> None:
        started = time.monotonic()
        k = self.index
        while True:
            at = self.schedule.time_of(k)
            if at is None:
                return
            wait = started + at - time.monotonic()
            if wait > 0:
                gevent.sleep(wait)
            self._release()
            k += self.count

    def _release(self) -> None:
        if self.idle + self.pending - self.tokens.qsize() > 0:
            self.tokens.put(None)
        elif self.runner.state == STATE_RUNNING and self.runner.user_count < self.max_users:
            self.pending += 1
            self.tokens.put(None)  # for the user about to start
            self._grow()
        else:
            self.log.dropped_iterations += 1

    def _grow(self) -> None:
        classes = [cls for cls in self.runner.user_classes if not getattr(cls, "abstract", False)]
        chosen = random.choices(classes, weights=[getattr(cls, "weight", 1) for cls in classes])[0]
        self.runner.spawn_users({chosen.__name__: 1})


def _install(test: CompiledTest, gate: RateGate | None) -> None:
    for cls in test.user_classes:
        cls.gate = gate


def arm_local(runner: Runner, test: CompiledTest, plan: LoadPlan) -> RateGate | None:
    """Before a one-process run starts: give the users a gate when the plan is the open model."""
    if not plan.is_open:
        return None
    if plan.pacing is not None:
        raise UsageError("--pacing applies to the closed model; this spec sets an arrival rate (load.rate)")
    gate = RateGate(plan.schedule(), runner, test.run_log, max_users=plan.max_users or 1)
    _install(test, gate)
    return gate


def _share(total: int, index: int, count: int) -> int:
    return total // count + (1 if index < total % count else 0)


def arm_process(runner: Runner, test: CompiledTest) -> None:
    """In a process Locust runs (a generated locustfile): a worker waits for its share from the
    master and reports its iteration counts; a local run plans from the spec's own load."""
    if isinstance(runner, MasterRunner) or not test.spec.load.is_open:
        return
    if not isinstance(runner, WorkerRunner):
        arm_local(runner, test, plan_load(test.spec.load))
        return

    # users wait at this gate from the start; the master's share message sets its schedule and starts it
    gate = RateGate(ArrivalSchedule((), 0), runner, test.run_log, max_users=0, lazy=False)
    _install(test, gate)

    def on_share(environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data
        stages = [Stage(duration, 0, None, rate) for duration, rate in data["stages"]]
        gate.stop()
        gate.dispatcher = None
        gate.schedule = arrival_schedule(data["rate"], stages, data["duration"])
        gate.index, gate.count = data["index"], data["count"]
        gate.max_users = max(1, _share(data["max_users"], data["index"], data["count"]))
        gate.lazy = True  # the clock starts with this worker's first user (or when it has none, below)

    def on_spawned(user_count: int, **_: Any) -> None:
        if gate.lazy:
            gate.start()

    sent = {"started": 0, "dropped": 0}

    def on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
        log = test.run_log
        started = log.iterations_started or 0
        data[REPORT_KEY] = {"started": started - sent["started"], "dropped": log.dropped_iterations - sent["dropped"]}
        sent.update(started=started, dropped=log.dropped_iterations)

    runner.register_message(SHARE_MESSAGE, on_share)
    runner.environment.events.spawning_complete.add_listener(on_spawned)
    runner.environment.events.report_to_master.add_listener(on_report)


def serve_arrivals(runner: MasterRunner, test: CompiledTest, plan: LoadPlan | None = None) -> None:
    """On a master: at test start, send every connected worker its share of the open model's plan
    (`plan`, else the spec's own load), and add up the iterations the workers report."""
    plan = plan if plan is not None else plan_load(test.spec.load)
    if not plan.is_open:
        return
    test.run_log.iterations_started = 0
    env = runner.environment

    def on_test_start(environment: Environment, **_: Any) -> None:
        if environment is not env:
            return
        workers = sorted(runner.clients.ready + runner.clients.running + runner.clients.spawning,
                         key=lambda worker: runner.get_worker_index(worker.id))
        share = {"count": len(workers), "rate": plan.rate, "duration": plan.duration,
                 "stages": [[stage.duration, stage.rate] for stage in plan.rate_stages],
                 "max_users": plan.max_users or 1}
        for index, worker in enumerate(workers):
            runner.send_message(SHARE_MESSAGE, {**share, "index": index}, client_id=worker.id)

    def on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
        part = data.get(REPORT_KEY)
        if part:
            test.run_log.iterations_started = (test.run_log.iterations_started or 0) + part["started"]
            test.run_log.dropped_iterations += part["dropped"]

    env.events.test_start.add_listener(on_test_start)
    env.events.worker_report.add_listener(on_report)


__all__ = ["REPORT_KEY", "RateGate", "SHARE_MESSAGE", "arm_local", "arm_process", "serve_arrivals"]
