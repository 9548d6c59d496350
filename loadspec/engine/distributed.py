"""Scale a run out on Locust's own master/worker engine: `run --processes/--master` and `worker`.

The loadspec process hosts a library-mode Locust `MasterRunner`; workers are ordinary Locust worker
processes (`loadspec worker` is `locust -f - --worker` with a private temporary folder) that
download a generated, self-contained locustfile from the master, so the scenario and its CSV data
travel with it. `--processes N` starts them on 127.0.0.1 with Locust's own `--processes` forking.
Beside Locust's stats, two things cross the wire as custom messages: row indexes of sequential and
unique pools, which only the master deals out (unique stays unique across workers, and a stop_test
pool that runs dry stops the whole run), and each worker's assertion counts and failure examples,
piggy-backed on its stats reports. Progress, monitors (threshold aborts) and results all read the
master's aggregate. This module does not compile specs, print summaries or decide exit codes.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

import gevent
from gevent.event import AsyncResult
from locust.env import Environment
from locust.exception import StopTest
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from ..errors import RunError, UsageError
from ..results.plan import LoadPlan, check_process_count
from ..results.runlog import FailureExample, RunLog
from ..results.stats import collect
from ..sources.dispatch import is_converted
from ..writers.locustfile import bundle_spec, file_stem, render_locustfile
from .arrival import serve_arrivals
from .compiler import CompiledTest
from .live import Progress, open_progress
from .pools import BatchedIndexSource, IndexDealer, PoolExhausted
from .runner import Interrupts, Monitor, RunOutcome, end_reason, make_environment, step_order

logger = logging.getLogger("loadspec")

ROWS_REQUEST = "loadspec_rows"
ROWS_REPLY = "loadspec_rows_reply"
REPORT_KEY = "loadspec"
ROW_TIMEOUT = 60.0  # a worker waits this long for rows before it gives up on the master
LOCAL_CONNECT_TIMEOUT = 60.0  # --processes workers must connect within this
LOCAL_MASTER_TIMEOUT = 10.0  # --processes workers exit when their master is silent this long (it died)
FINAL_REPORT_WAIT = 5.0  # after "quit", wait this long for each worker's last stats report
DEFAULT_MASTER_PORT = 5557


# --- rows and run logs across the wire (used by loadspec masters and by generated locustfiles) ---


class _RowClient:
    """A worker's line to the master's dealers: one request per batch, answered by request id."""

    def __init__(self, runner: WorkerRunner, log: RunLog):
        self.runner = runner
        self.log = log
        self.waiting: dict[int, AsyncResult] = {}
        self.ids = itertools.count(1)
        runner.register_message(ROWS_REPLY, self._on_reply)

    def fetch(self, pool: str, count: int) -> list[int]:
        """The next row indexes of `pool` for this worker (none: the pool has no row for it). A master
        that does not answer in time stops the test: no row is not the same as no rows left."""
        request_id = next(self.ids)
        result: AsyncResult = AsyncResult()
        self.waiting[request_id] = result
        try:
            self.runner.send_message(ROWS_REQUEST, {"id": request_id, "pool": pool, "count": count})
            reply = result.get(timeout=ROW_TIMEOUT)
        except gevent.Timeout:
            reason = f"no rows of pool '{pool}' from the master within {ROW_TIMEOUT:g}s"
            logger.error("loadspec: %s", reason)
            self.log.stop_reason = self.log.stop_reason or reason
            raise StopTest(reason) from None
        finally:
            self.waiting.pop(request_id, None)
        return list(reply["indexes"])

    def _on_reply(self, environment: Environment, msg: Any, **_: Any) -> None:
        result = self.waiting.get(msg.data["id"])
        if result is not None:
            result.set(msg.data)


class _LogReporter:
    """Adds what the worker's RunLog gained since the last report to its stats report."""

    def __init__(self, log: RunLog):
        self.log = log
        self.checked = self.failed = 0
        self.sent: dict[str, int] = {}
        self.by_step: dict[str, tuple[int, int]] = {}

    def __call__(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        log = self.log
        examples = []
        for message, kept in log.examples.items():
            examples += [asdict(example) for example in kept[self.sent.get(message, 0):]]
            self.sent[message] = len(kept)
        by_step = {}
        for step, (checked, failed) in log.assertions_by_step.items():
            before = self.by_step.get(step, (0, 0))
            if (checked, failed) != before:
                by_step[step] = (checked - before[0], failed - before[1])
                self.by_step[step] = (checked, failed)
        data[REPORT_KEY] = {"checked": log.assertions_checked - self.checked,
                            "failed": log.assertions_failed - self.failed,
                            "examples": examples, "stop_reason": log.stop_reason, "by_step": by_step}
        self.checked, self.failed = log.assertions_checked, log.assertions_failed


def attach_worker(runner: WorkerRunner, test: CompiledTest) -> None:
    """Make a worker take its sequential/unique rows from the master and report its RunLog."""
    if ROWS_REPLY in runner.custom_messages:
        logger.warning("loadspec: a second spec in this worker keeps its data pools local")
    else:
        client = _RowClient(runner, test.run_log)
        for cursor in test.cursors:
            if cursor.pool.order != "random":  # random picks need no coordination
                cursor.source = BatchedIndexSource(partial(client.fetch, cursor.pool.name))
    runner.environment.events.report_to_master.add_listener(_LogReporter(test.run_log))


def serve_rows(runner: MasterRunner, test: CompiledTest) -> None:
    """Make a master deal out the rows of sequential/unique pools to its workers and merge the
    workers' RunLog reports into `test.run_log`. A refused stop_test row sets `stop_reason`."""
    dealers = {pool.name: IndexDealer(pool) for pool in test.spec.data.values() if pool.order != "random"}
    log = test.run_log

    def on_rows(environment: Environment, msg: Any, **_: Any) -> None:
        request = msg.data
        dealer = dealers.get(request["pool"])
        indexes = dealer.deal(int(request["count"]), max(1, runner.worker_count)) if dealer else []
        if not indexes and dealer is not None and dealer.pool.on_exhausted == "stop_test" and not log.stop_reason:
            log.stop_reason = str(PoolExhausted(dealer.pool))
        runner.send_message(ROWS_REPLY, {"id": request["id"], "indexes": indexes}, client_id=msg.node_id)

    def on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
        part = data.get(REPORT_KEY)
        if not part:
            return
        log.assertions_checked += part["checked"]
        log.assertions_failed += part["failed"]
        for example in part["examples"]:
            try:
                log.record(FailureExample(**example))
            except TypeError:
                pass  # a worker running another loadspec version
        if part.get("stop_reason") and not log.stop_reason:
            log.stop_reason = part["stop_reason"]
        for step, (checked, failed) in part.get("by_step", {}).items():
            counts = log.assertions_by_step.setdefault(step, [0, 0])
            counts[0] += checked
            counts[1] += failed

    runner.register_message(ROWS_REQUEST, on_rows)
    runner.environment.events.worker_report.add_listener(on_report)


# --- loadspec run --processes N | --master --------------------------------------------------------


def process_count(value: int | str | None) -> int:
    """`--processes N|auto` as a number of worker processes (0: none)."""
    if value in (None, 0):
        return 0
    if value == "auto":
        return os.cpu_count() or 1
    return check_process_count(int(value))


@dataclass
class DistributedOptions:
    """How to spread a run over Locust's master/worker engine (`--processes`, `--master`, ...)."""

    processes: int | str | None = None  # N or "auto": local worker processes
    master: bool = False  # wait for remote `loadspec worker` processes
    bind_host: str | None = None
    bind_port: int | None = None
    expect_workers: int | None = None


@dataclass
class WorkerOptions:
    """`loadspec worker`: which master to join, and how many processes to run for it."""

    master_host: str = "127.0.0.1"
    master_port: int = DEFAULT_MASTER_PORT
    processes: int | str | None = None
    connect_timeout: float | None = None  # seconds
    master_timeout: float | None = None  # seconds without a heartbeat from the master before exiting
    loglevel: str = "INFO"


def run_distributed(
    test: CompiledTest,
    plan: LoadPlan,
    options: DistributedOptions,
    *,
    source: str | Path,
    worker_options: Mapping[str, Any],
    environ: Mapping[str, str],
    monitors: list[Monitor] | None = None,
    progress: IO[str] | None = sys.stderr,
    progress_interval: float = 2.0,
) -> RunOutcome:
    """Run `test` on a Locust master in this process and workers elsewhere, until the plan is done,
    a monitor or a stop_test pool stops it, or no worker is left. Local worker processes are
    started for `--processes` and always stopped again. The workers rebuild the test from `source`
    with `worker_options` (the keyword arguments of `runtime.locust_users`: --var, host, client, ...)
    and `environ` (the environment with --env-file), the ones `test` was compiled with."""
    processes = process_count(options.processes)
    remote = options.master
    bind_host = options.bind_host or ("*" if remote else "127.0.0.1")
    port = options.bind_port or (DEFAULT_MASTER_PORT if remote else _free_port())
    expected = options.expect_workers or processes or 1
    connect_host = "127.0.0.1" if bind_host in ("*", "0.0.0.0", "") else bind_host
    folder = Path(tempfile.mkdtemp(prefix="loadspec-master-"))
    local: subprocess.Popen[bytes] | None = None
    env: Environment | None = None
    spawner: gevent.Greenlet | None = None
    shown = open_progress(progress, step_order(test), interval=progress_interval)
    interrupts = Interrupts(shown or sys.stderr, plan.grace)
    workers_quit = False
    try:
        locustfile = _write_locustfile(test, source, worker_options, environ, folder)
        env = make_environment(test, plan)
        env.parsed_locustfiles = [str(locustfile)]
        runner = _create_master(env, bind_host, port)
        serve_rows(runner, test)
        serve_arrivals(runner, test, plan)
        env.events.init.fire(environment=env, runner=runner, web_ui=None)
        _say(shown, f"master listening for workers on {bind_host}:{port}"
             + (f"; start them with: loadspec worker --master-host HOST --master-port {port}" if remote else ""))
        if processes:
            local = _start_local_workers(processes, connect_host, port, folder)
        _wait_for_workers(runner, expected, local, folder, shown, None if remote else LOCAL_CONNECT_TIMEOUT)
        started = time.monotonic()
        if plan.stages:
            runner.start_shape()
            total: float | None = sum(stage.duration for stage in plan.stages)
        else:
            spawner = gevent.spawn(runner.start, plan.users, plan.spawn_rate)
            total = plan.duration
        with interrupts, shown or nullcontext():
            ended_by = _watch_run(runner, env, test, plan, monitors or [], shown, started, total, interrupts)
            elapsed = time.monotonic() - started
            _quit_workers(runner, plan.grace)  # inside: a second Ctrl+C while workers finish exits at once
            workers_quit = True
            if shown is not None:
                shown.done(env, elapsed, total, test.run_log, workers=runner.worker_count)
    finally:
        if spawner is not None:
            spawner.kill(block=False)
        if env is not None and isinstance(env.runner, MasterRunner) and not workers_quit:
            _quit_workers(env.runner, 0.0)
        if local is not None:
            _stop_process(local)
        shutil.rmtree(folder, ignore_errors=True)
    results = collect(env.stats, step_order(test), elapsed_s=elapsed, run_log=test.run_log)
    return RunOutcome(environment=env, results=results, ended_by=ended_by, interrupted=interrupts.reason)


def _write_locustfile(test: CompiledTest, source: str | Path, options: Mapping[str, Any], environ: Mapping[str, str],
                      folder: Path) -> Path:
    """The generated locustfile the workers download: spec, data, this run's options and the
    values of the env.NAME variables the spec uses (a worker's own environment wins over them)."""
    spec = test.spec
    converted = is_converted(source)  # an import (a URL among them) travels as its converted YAML
    if not converted and not Path(source).is_file():
        raise UsageError("a distributed run needs the spec as a file, to send it to the workers")
    if test.shared:  # what before: captured, for every worker's users
        options = {**options, "shared": test.shared}
    bundle = bundle_spec(spec, source, options=options, env=environ, converted=converted)
    path = folder / f"loadspec_{file_stem(source)}.py"
    path.write_text(render_locustfile(bundle, spec, path.name), encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _create_master(env: Environment, host: str, port: int) -> MasterRunner:
    try:
        return env.create_master_runner(host, port)
    except SystemExit:  # Locust logs "port busy" and exits; say it our way instead
        raise RunError(f"cannot listen for workers on {host}:{port}: the port is in use "
                       "(choose another with --master-bind-port)") from None
    except Exception as exc:  # noqa: BLE001  (zmq errors have no common base worth naming)
        raise RunError(f"cannot listen for workers on {host}:{port}: {exc}") from None


def _start_local_workers(count: int, host: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    """One `loadspec worker` process that forks `count` Locust workers (Locust's --processes)."""
    command = [sys.executable, "-m", "loadspec", "worker", "--master-host", host, "--master-port", str(port),
               "--master-timeout", f"{LOCAL_MASTER_TIMEOUT:g}s", "--loglevel", "WARNING"]
    if count > 1:
        command += ["--processes", str(count)]
    private_tmp = folder / "tmp"  # whatever the workers leave in $TMPDIR goes with the master's folder
    private_tmp.mkdir()
    with (folder / "workers.log").open("wb") as log:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                cwd=folder, env={**os.environ, "TMPDIR": str(private_tmp)}, start_new_session=True)


def _wait_for_workers(runner: MasterRunner, expected: int, local: subprocess.Popen[bytes] | None, folder: Path,
                      progress: Progress | None, limit: float | None) -> None:
    started = time.monotonic()
    said = -10.0
    while runner.worker_count < expected:
        waited = time.monotonic() - started
        if local is not None and local.poll() is not None:
            raise RunError(f"the local worker processes exited (code {local.returncode}) before connecting:\n"
                           + _tail(folder / "workers.log"))
        if limit is not None and waited > limit:
            raise RunError(f"only {runner.worker_count} of {expected} local workers connected within {limit:g}s:\n"
                           + _tail(folder / "workers.log"))
        if waited - said >= 5.0:
            said = waited
            _say(progress, f"waiting for workers: {runner.worker_count}/{expected} connected")
        gevent.sleep(0.1)
    _say(progress, f"{runner.worker_count} worker{'s' if runner.worker_count != 1 else ''} connected, starting")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no worker log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(the workers printed nothing)"


def _watch_run(runner: MasterRunner, env: Environment, test: CompiledTest, plan: LoadPlan,
               monitors: list[Monitor], progress: Progress | None, started: float,
               total: float | None, interrupts: Interrupts) -> str:
    """Poll until the run should end; returns why it ended."""
    lost: set[str] = set()
    while True:
        gevent.sleep(0.2)
        elapsed = time.monotonic() - started
        missing = {client.id for client in runner.clients.all if client.state == STATE_MISSING}
        for client_id in sorted(missing - lost):
            _say(progress, f"worker {runner.get_worker_index(client_id) + 1} lost (no heartbeat); "
                           f"{runner.worker_count} still running")
        lost |= missing
        if interrupts.reason:
            return f"interrupted by {interrupts.reason}"
        reason = end_reason(runner, test, plan, elapsed, monitors)
        if reason:
            return reason
        if progress is not None:
            progress.tick(env, elapsed, total, test.run_log, workers=runner.worker_count)


def _quit_workers(runner: MasterRunner, grace: float) -> None:
    """Locust's MasterRunner.quit(), but waiting for each worker's last stats report (a worker sends
    it, then "quit", when told to quit: after its users had `grace` seconds to finish their
    requests in flight) instead of a fixed half second."""
    alive = {client.id for client in runner.clients.all if client.state != STATE_MISSING}
    runner.stop(send_stop_to_client=False)
    for client_id in alive:
        runner.send_message("quit", None, client_id=client_id)
    deadline = time.monotonic() + grace + FINAL_REPORT_WAIT
    while time.monotonic() < deadline and any(client_id in runner.clients for client_id in alive):
        gevent.sleep(0.05)
    gevent.sleep(0.1)  # a worker killed by a signal sends no "quit": its last report may still be in flight
    runner.greenlet.kill(block=True)
    runner.server.close(linger=0)


def _stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Wait for the local workers to exit after "quit"; then SIGTERM, then SIGKILL their group."""
    for sig, wait in ((None, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        if sig is not None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
        try:
            process.wait(timeout=wait)  # Locust's forking parent exits only after its children
            return
        except subprocess.TimeoutExpired:
            continue


def _say(stream: Progress | None, line: str) -> None:
    if stream is not None:
        stream.write(line + "\n")
        stream.flush()


# --- loadspec worker ------------------------------------------------------------------------------


def worker_command(options: WorkerOptions) -> int:
    """`loadspec worker --master-host HOST`: Locust's own worker (`locust -f - --worker`), which
    downloads the generated locustfile from the master into a private temporary folder."""
    import locust.main
    import locust.runners

    host, port = options.master_host, options.master_port
    _say(sys.stderr, f"connecting to master {host}:{port}")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # idna refuses some malformed names with UnicodeError
        raise RunError(f"cannot find the master host '{host}': {getattr(exc, 'strerror', None) or exc}") from None
    timeout = options.connect_timeout
    if timeout is not None:  # Locust waits CONNECT_TIMEOUT per try, CONNECT_RETRY_COUNT tries
        locust.runners.CONNECT_RETRY_COUNT = max(1, math.ceil(timeout / locust.runners.CONNECT_TIMEOUT))
    if options.master_timeout is not None:  # set before Locust forks: every worker process quits in time
        locust.runners.MASTER_HEARTBEAT_TIMEOUT = max(options.master_timeout, 2 * locust.runners.HEARTBEAT_INTERVAL)
    folder = tempfile.mkdtemp(prefix="loadspec-worker-")
    tempfile.tempdir = folder  # Locust saves the master's locustfile in gettempdir()
    atexit.register(shutil.rmtree, folder, True)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # until Locust installs its own: exit through atexit
    saved, sys.argv = sys.argv, worker_argv(options)
    try:
        locust.main.main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return 0


def worker_argv(options: WorkerOptions) -> list[str]:
    """Locust's command line for `loadspec worker`; Locust forks only for 2 or more processes."""
    argv = ["locust", "-f", "-", "--worker", "--master-host", options.master_host,
            "--master-port", str(options.master_port), "--loglevel", options.loglevel]
    count = process_count(options.processes)
    if count > 1:
        argv += ["--processes", str(count)]
    return argv


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


__all__ = ["DEFAULT_MASTER_PORT", "DistributedOptions", "FINAL_REPORT_WAIT", "LOCAL_CONNECT_TIMEOUT",
           "LOCAL_MASTER_TIMEOUT", "REPORT_KEY", "ROWS_REPLY", "ROWS_REQUEST", "ROW_TIMEOUT", "WorkerOptions",
           "attach_worker", "process_count", "run_distributed", "serve_rows", "worker_argv", "worker_command"]
