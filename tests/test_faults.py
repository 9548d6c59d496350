"""Verdicts you can trust: loadspec against a misbehaving target, judged by the target's own count.

Each fault of `tests/faultserver.py` is run with each client (`wire`, the default, `fast` and
`requests`), once with `--iterations` and once with `-t`. A cell holds when the run ends by itself, prints no traceback,
reports exactly the requests the server received (each once, with its outcome), keeps its peak
memory bounded, never passes a run in which no request succeeded, keeps every percentile at or
below the max, and exits with the documented code. Around the matrix: exceptions while a request
is built, a data pool running out, Ctrl+C and SIGTERM, the live progress line, group timing and
the web UI after STOP. Every load is a few seconds against 127.0.0.1.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer

REPO = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 45.0  # seconds a run may take before the test kills it: "never ends"
RSS_LIMIT_MB = 200  # a loadspec run itself peaks near 90 MB; 10 MB bodies must not add much
ADDRESS_SPACE_LIMIT = 4 << 30  # a runaway child fails instead of eating the shared machine
EXIT_PASSED, EXIT_REQUESTS_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 130, 143


# --- running loadspec as a child we can measure ---------------------------------------------------


@dataclass
class Run:
    """A finished `loadspec run`: exit code (None when its watchdog ended it), output, JSON summary."""

    code: int | None
    out: str
    err: str
    summary: dict[str, Any] | None
    peak_rss_mb: float

    @property
    def text(self) -> str:
        return self.out + self.err

    def step(self, name: str) -> dict[str, Any]:
        for row in (self.summary or {}).get("steps", []):
            if row["name"] == name:
                return row
        return {"name": name, "requests": 0, "failures": 0, "max_ms": 0.0, "percentiles_ms": {}}


def _limited(timeout: float) -> Callable[[], None]:
    """What the child does before it becomes loadspec: cap its address space, and ask the kernel to
    end it with SIGALRM after `timeout` seconds (an alarm outlives exec). The watchdog lives in the
    child, so it fires even while this process blocks in `os.wait4`, gevent-patched or not."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
        signal.alarm(math.ceil(timeout))

    return limit


class Child:
    """`python -m loadspec ARGS --json FILE` started now and ended by force `timeout` seconds later;
    `finish()` waits for it and measures it."""

    def __init__(self, args: list[str], workdir: Path, *, json_report: bool = True, timeout: float = RUN_TIMEOUT):
        self.json_path = workdir / "summary.json"
        self.timeout = timeout
        self._out = tempfile.TemporaryFile(mode="w+")
        self._err = tempfile.TemporaryFile(mode="w+")
        command = [sys.executable, "-m", "loadspec", *args]
        if json_report:
            command += ["--json", str(self.json_path)]
        self.process = subprocess.Popen(command, stdout=self._out, stderr=self._err, cwd=REPO,
                                        preexec_fn=_limited(timeout), text=True)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.returncode is None:  # a test failed half-way: do not leave the run behind
            self.process.kill()
            try:
                os.waitpid(self.process.pid, 0)
            except ChildProcessError:
                pass
            self.process.returncode = -signal.SIGKILL

    def send(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def alive(self) -> bool:
        waited, status = os.waitpid(self.process.pid, os.WNOHANG)
        if waited:
            self.process.returncode = os.waitstatus_to_exitcode(status)
            raise AssertionError(f"loadspec ended early (exit {self.process.returncode}): " + self._read()[-1500:])
        return True

    def _read(self) -> str:
        self._out.seek(0)
        self._err.seek(0)
        return self._out.read() + self._err.read()

    def finish(self) -> Run:
        """Wait for the child (blocking: a gevent-patched process would otherwise reap it first and
        lose its resource usage) and read its exit code, output, summary and peak memory."""
        _, status, usage = os.wait4(self.process.pid, 0)  # usage: this child's own peak memory
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self._out.seek(0)
        self._err.seek(0)
        summary = None
        if self.json_path.exists():
            try:
                summary = json.loads(self.json_path.read_text())
            except ValueError:
                summary = None
        killed = self.process.returncode == -signal.SIGALRM  # the watchdog ended it: it never ended by itself
        return Run(None if killed else self.process.returncode, self._out.read(), self._err.read(),
                   summary, usage.ru_maxrss / 1024)


def run_loadspec(args: list[str], workdir: Path, timeout: float = RUN_TIMEOUT) -> Run:
    return Child(args, workdir, timeout=timeout).finish()


def wait_for(condition: Callable[[], bool], child: Child, what: str, seconds: float = 30) -> None:
    """Poll until `condition()` holds while the child still runs (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        child.alive()
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


# --- the fault matrix -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One way the target misbehaves, and what an honest report of it says."""

    name: str
    path: str  # what the step requests
    succeeds: bool = False  # the requests themselves succeed (exit 0 when nothing else fails)
    words: tuple[str, ...] = ()  # one of these is in the failure message (lower case)
    users: int = 2
    iterations: int = 3
    checks: str = ""  # extra YAML under the step
    refused: bool = False  # aimed at a closed port: the server sees nothing

    @property
    def counted_path(self) -> str:
        return urllib.parse.urlsplit(self.path).path


#: Every HTTP client a spec can choose: the default (`wire`) and the two Locust clients.
CLIENTS = ["wire", "fast", "requests"]

FAULTS = [
    Fault("ok", "/ok", succeeds=True),
    Fault("refuse", "/ok", words=("refused",), refused=True),
    Fault("reset", "/reset", words=("reset", "cut short", "incomplete", "truncated")),
    Fault("stall", "/stall", words=("timed out", "timeout", "time limit", "interrupted"), iterations=1),
    Fault("slow", "/slow?ms=1260", succeeds=True, iterations=2),
    Fault("5xx", "/error", words=("503",)),
    Fault("garbage json", "/garbage", words=("json",),
          checks="        assert: [{json: length(items), gt: 0}]\n"),
    Fault("huge body", "/huge?mb=200", words=("body over 10 mb",), users=1, iterations=2),
    Fault("endless body", "/endless", words=("body over 10 mb", "timed out", "timeout", "time limit"), iterations=1),
    Fault("close", "/close", words=("closed", "without response", "without a response")),
    Fault("malformed", "/malformed", words=("malformed", "not http", "invalid", "parse", "badstatusline")),
]

FAULT_SPEC = """\
version: 1
name: fault-{slug}
host: {host}
defaults:
  timeout: 2s
scenarios:
  - name: hit
    steps:
      - name: {name}
        get: "{path}"
{checks}"""

MODES = {
    "iterations": lambda fault: ["--iterations", str(fault.iterations), "-u", str(fault.users)],
    "duration": lambda fault: ["-t", "2s", "-u", str(fault.users), "--pacing", "100ms"],
}


def problems_of(run: Run, fault: Fault, mode: str, server: FaultServer) -> list[str]:
    """Every way this run's report or behaviour is wrong, judged by the server's own count."""
    found: list[str] = []
    if run.code is None:
        return [f"did not end by itself within {RUN_TIMEOUT:.0f}s (peak RSS {run.peak_rss_mb:.0f} MB)"]
    if "Traceback" in run.text:
        found.append("a traceback in the output: " + run.text[run.text.index("Traceback"):][:300])
    if run.peak_rss_mb > RSS_LIMIT_MB:
        found.append(f"peak RSS {run.peak_rss_mb:.0f} MB > {RSS_LIMIT_MB} MB")
    if run.summary is None:
        return [*found, f"no JSON summary (exit {run.code}): {run.text[-400:]}"]
    row = run.step(fault.name)
    reported, failed = row["requests"], row["failures"]
    served = server.count(fault.counted_path)
    if fault.refused:
        if mode == "iterations" and reported != fault.users * fault.iterations:
            found.append(f"reported {reported} requests, {fault.users * fault.iterations} were attempted")
        if mode == "duration" and reported == 0:
            found.append("no request reported")
    elif reported != served:
        found.append(f"server received {served} requests, report says {reported}")
    elif mode == "iterations" and served != fault.users * fault.iterations:
        found.append(f"server received {served} requests for {fault.users * fault.iterations} iterations")
    expected_failed = 0 if fault.succeeds else reported
    if failed != expected_failed:
        found.append(f"{failed} of {reported} reported failed, expected {expected_failed}")
    messages = " | ".join(f["message"] for f in run.summary.get("failures", []))
    if fault.words and failed and not any(word in messages.lower() for word in fault.words):
        found.append(f"failure message not clear ({' / '.join(fault.words)} expected): {messages[:200]}")
    succeeded = run.summary["totals"]["requests"] - run.summary["totals"]["failures"]
    if succeeded == 0 and run.code == EXIT_PASSED:
        found.append("passed although no request succeeded")
    expected_code = EXIT_PASSED if fault.succeeds else EXIT_REQUESTS_FAILED
    if run.code != expected_code:
        found.append(f"exit code {run.code}, expected {expected_code} ({run.summary.get('reason')})")
    for entry in [*run.summary["steps"], run.summary["totals"]]:
        over = {k: v for k, v in entry.get("percentiles_ms", {}).items() if v > entry["max_ms"] + 1e-9}
        if over:
            found.append(f"{entry['name']}: percentiles above the max {entry['max_ms']}ms: {over}")
    return found


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name.replace(" ", "_") for f in FAULTS])
def test_fault_matrix(fault: Fault, client: str, mode: str, tmp_path: Path) -> None:
    with FaultServer() as server:
        spec = tmp_path / "fault.yaml"
        spec.write_text(FAULT_SPEC.format(slug=fault.name.replace(" ", "-"), name=fault.name, path=fault.path,
                                          host=server.refused_url if fault.refused else server.url,
                                          checks=fault.checks))
        run = run_loadspec(["run", str(spec), "--client", client, "-q", *MODES[mode](fault)], tmp_path)
        problems = problems_of(run, fault, mode, server)
    assert not problems, f"{fault.name} / {client} / {mode}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_step_that_allows_a_large_body_reads_and_drops_it(client: str, tmp_path: Path) -> None:
    with FaultServer() as server:
        spec = tmp_path / "download.yaml"
        spec.write_text(f"""\
version: 1
name: download
host: {server.url}
defaults: {{timeout: 20s, max_body: 1MB}}
scenarios:
  - name: hit
    steps:
      - name: download
        get: /huge?mb=50
        on_large_body: discard
        assert: [{{body: {{starts_with: xxxx}}}}]
      - name: capped
        get: /huge?mb=2
""")
        run = run_loadspec(["run", str(spec), "--client", client, "-q", "-u", "1", "--iterations", "2"], tmp_path)
        assert run.code is not None and "Traceback" not in run.text, run.text
        assert run.summary is not None, run.text
        assert server.count("/huge") == 4
        assert run.step("download")["requests"] == 2 and run.step("download")["failures"] == 0, run.summary
        assert run.step("capped")["requests"] == 2 and run.step("capped")["failures"] == 2
        assert any("capped: body over 1 MB" in f["message"] for f in run.summary["failures"]), run.summary
        assert run.peak_rss_mb < RSS_LIMIT_MB, run.peak_rss_mb
        assert run.code == EXIT_REQUESTS_FAILED


# --- a request that cannot even be built ------------------------------------------------------------

BUILD_SPEC = """\
version: 1
name: build-errors
host: {host}
variables: {{port: "8000", note: fine}}
scenarios:
  - name: hit
    steps:
      - name: fine
        get: /ok
        capture: {{code: {{status: true}}}}
      - name: broken
{broken}"""

BROKEN_STEPS = {
    "port out of range": ('        get: "http://127.0.0.1:{{ port }}/ok"\n', ["--var", "port=99999"]),
    "newline in a header": ('        get: /ok\n        headers: {X-Note: "{{ note }}"}\n',
                            ["--var", "note=first line\nsecond line"]),
    # a literal of these is refused when the spec is loaded; from a variable or a capture, only the run sees it
    "non-latin-1 header": ('        get: /ok\n        headers: {X-Note: "{{ note }}"}\n', ["--var", "note=tea ☕"]),
    "random_int(200, 1)": ('        get: /ok\n        params: {n: "{{ random_int(code, 1) }}"}\n', []),
}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("case", list(BROKEN_STEPS))
def test_a_request_that_cannot_be_built_is_a_counted_failure(case: str, client: str, tmp_path: Path) -> None:
    step, extra = BROKEN_STEPS[case]
    with FaultServer() as server:
        spec = tmp_path / "build.yaml"
        spec.write_text(BUILD_SPEC.format(host=server.url, broken=step), encoding="utf-8")
        run = run_loadspec(["run", str(spec), "--client", client, "-q", "--iterations", "3", *extra], tmp_path)
        assert run.code is not None, "the run never ended"
        assert "Traceback" not in run.text, run.text
        assert run.summary is not None, run.text
        # Only the well-formed step reached the server, once per iteration; the user went on.
        assert server.count("/ok") == 3, server.counts
        assert run.step("fine")["requests"] == 3 and run.step("fine")["failures"] == 0
        assert run.step("broken")["requests"] == 3, run.summary["steps"]
        assert run.step("broken")["failures"] == 3
        assert any(f["message"].startswith("broken:") for f in run.summary["failures"]), run.summary["failures"]
        assert run.code == EXIT_REQUESTS_FAILED


# --- a data pool that runs out ---------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["user", "iteration"])
def test_a_pool_running_out_stops_its_user_and_says_so(scope: str, tmp_path: Path) -> None:
    rows = tmp_path / "accounts.csv"
    with rows.open("w", newline="") as handle:
        csv.writer(handle).writerows([["name"], ["ann"], ["bob"]])
    with FaultServer() as server:
        spec = tmp_path / "pool.yaml"
        spec.write_text(f"""\
version: 1
name: pool
host: {server.url}
data:
  accounts: {{csv: accounts.csv, order: unique, scope: {scope}, on_exhausted: stop_user}}
scenarios:
  - name: hit
    steps:
      - name: login
        get: /ok?who={{{{ accounts.name }}}}
""")
        # scope user: three users for two rows, the third stops; scope iteration: one user, two rows.
        users, iterations, sent = ("3", "2", 4) if scope == "user" else ("1", "5", 2)
        run = run_loadspec(["run", str(spec), "-q", "-u", users, "-r", "10", "--iterations", iterations], tmp_path)
        assert run.code is not None
        assert "StopUser" not in run.text and "Traceback" not in run.text, run.text
        assert "data pool 'accounts' ran out" in run.out, run.out
        assert server.count("/ok") == sent == run.step("login")["requests"]
        assert run.code == EXIT_PASSED, run.text


# --- the end of a run: in-flight requests, Ctrl+C, SIGTERM -------------------------------------------

SIGNAL_SPEC = """\
version: 1
name: signalled
host: {host}
defaults:
  timeout: {timeout}
scenarios:
  - name: hit
    steps:
      - name: hit
        get: {path}
"""


@pytest.mark.parametrize("where", ["--grace", "load.graceful_stop"])
def test_requests_still_in_flight_after_the_grace_period_are_counted_failed(where: str, tmp_path: Path) -> None:
    with FaultServer() as server:
        spec = tmp_path / "stall.yaml"
        text = SIGNAL_SPEC.format(host=server.url, timeout="30s", path="/stall")
        grace = ["--grace", "1s"]
        if where != "--grace":
            text = text.replace("scenarios:", "load: {graceful_stop: 1s}\nscenarios:")
            grace = []
        spec.write_text(text)
        run = run_loadspec(["run", str(spec), "-q", "-u", "2", "-t", "1s", *grace], tmp_path, timeout=25)
        assert run.code is not None, "the run never ended"
        assert run.summary is not None, run.text
        assert server.count("/stall") == 2 == run.step("hit")["requests"] == run.step("hit")["failures"]
        assert any("interrupted at the end of the run" in f["message"] for f in run.summary["failures"])
        assert run.summary["plan"]["grace_s"] == 1.0
        assert run.code == EXIT_REQUESTS_FAILED


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, EXIT_INTERRUPTED), (signal.SIGTERM, EXIT_TERMINATED)],
                         ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("processes", [False, True], ids=["local", "processes"])
def test_a_signal_ends_the_run_with_a_summary_and_reports(signum: int, code: int, processes: bool,
                                                          tmp_path: Path) -> None:
    with FaultServer() as server:
        spec = tmp_path / "long.yaml"
        spec.write_text(SIGNAL_SPEC.format(host=server.url, timeout="5s", path="/slow?ms=300"))
        html, junit = tmp_path / "report.html", tmp_path / "junit.xml"
        scale = ["--processes", "1"] if processes else []
        with Child(["run", str(spec), "-q", "-u", "2", "-t", "60s", "--html", str(html), "--junit", str(junit),
                    *scale], tmp_path, timeout=60) as child:
            wait_for(lambda: server.count("/slow") >= 4, child, "requests reached the server")
            child.send(signum)
            run = child.finish()
        served = server.count("/slow")
    assert run.code == code, run.text
    assert "Traceback" not in run.text and "KeyboardInterrupt" not in run.text, run.text
    assert "Total" in run.out and "interrupted" in run.out.lower(), run.out
    assert run.summary is not None and run.summary["interrupted"] is True, run.summary
    assert run.summary["exit_code"] == code
    assert run.step("hit")["requests"] == served, (served, run.summary["steps"])
    assert "interrupted" in html.read_text().lower()
    assert "interrupted" in junit.read_text().lower()


def test_a_second_ctrl_c_exits_at_once(tmp_path: Path) -> None:
    with FaultServer() as server:
        spec = tmp_path / "stall.yaml"
        spec.write_text(SIGNAL_SPEC.format(host=server.url, timeout="60s", path="/stall"))
        # ended by force at 30 s: far below the grace period and the request timeout (60 s)
        with Child(["run", str(spec), "-q", "-u", "2", "-t", "60s", "--grace", "60s"], tmp_path, timeout=30) as child:
            wait_for(lambda: server.count("/stall") >= 2, child, "both users waiting on the stalled target")
            child.send(signal.SIGINT)
            time.sleep(0.5)  # the first Ctrl+C now waits for the stalled requests (60 s of grace)
            child.send(signal.SIGINT)
            run = child.finish()
    assert run.code == EXIT_INTERRUPTED, run.text
    assert "Traceback" not in run.text, run.text


# --- honest numbers ---------------------------------------------------------------------------------


def test_the_live_line_counts_requests_not_groups(tmp_path: Path) -> None:
    with FaultServer() as server:
        spec = tmp_path / "groups.yaml"
        groups = "".join(f"""\
      - group: g{n}
        steps:
          - name: quick {n}
            get: /ok
""" for n in range(3))
        spec.write_text(f"""\
version: 1
name: live
host: {server.url}
scenarios:
  - name: hit
    steps:
{groups}      - name: slow
        get: /slow?ms=3500
""")
        run = run_loadspec(["run", str(spec), "-u", "1", "--iterations", "1"], tmp_path)
        quick = server.count("/ok")
    assert run.code == EXIT_PASSED, run.text
    live = re.findall(r"requests (\d+) \|", run.err)
    assert live, run.err  # a progress line came while the slow request was in flight
    assert int(live[0]) == quick == 3, (live, quick)
    assert run.summary is not None and run.summary["totals"]["requests"] == 4


def test_a_group_is_timed_by_its_requests_not_its_think_time(tmp_path: Path) -> None:
    with FaultServer() as server:
        spec = tmp_path / "think.yaml"
        spec.write_text(f"""\
version: 1
name: think
host: {server.url}
scenarios:
  - name: hit
    steps:
      - group: flow
        steps:
          - name: first
            get: /ok
            think_time: 1s
          - name: second
            get: /ok
            think_time: 1s
""")
        run = run_loadspec(["run", str(spec), "-q", "-u", "1", "--iterations", "1"], tmp_path)
        assert server.count("/ok") == 2
    assert run.code == EXIT_PASSED and run.summary is not None, run.text
    group, first, second = run.step("flow"), run.step("first"), run.step("second")
    assert group["requests"] == 1
    # Two pauses of 1 s sit inside the group; its time must be that of its two requests only.
    assert group["max_ms"] < 1000, (group["max_ms"], first["max_ms"], second["max_ms"])


# --- the web UI after STOP --------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _call(url: str, data: dict[str, object] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=5) as response:
        return json.loads(response.read())


def test_the_web_ui_stays_up_after_stop_and_runs_a_second_test(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with FaultServer() as server:
        spec = tmp_path / "ui.yaml"
        spec.write_text(SIGNAL_SPEC.format(host=server.url, timeout="5s", path="/slow?ms=50"))
        with Child(["run", str(spec), "--ui", "--ui-port", str(port), "-q"], tmp_path, timeout=90) as child:

            def serving() -> bool:
                try:
                    return _call(base + "/stats/requests") is not None
                except (urllib.error.URLError, ConnectionError):
                    return False

            def state() -> str:
                return str(_call(base + "/stats/requests")["state"])

            wait_for(serving, child, "the web UI answers")
            assert _call(base + "/swarm", {"user_count": 1, "spawn_rate": 10, "host": server.url})["success"]
            wait_for(lambda: server.count("/slow") >= 5, child, "the first test sends requests")
            assert _call(base + "/stop", {})["success"]
            wait_for(lambda: state() == "stopped", child, "the first test stopped")
            time.sleep(1.0)  # the old code ends the whole process once the runner stopped
            child.alive()
            before_second = server.count("/slow")
            assert _call(base + "/swarm", {"user_count": 1, "spawn_rate": 10, "host": server.url})["success"]
            wait_for(lambda: server.count("/slow") >= before_second + 5, child, "the second test sends requests")
            assert _call(base + "/stop", {})["success"]
            wait_for(lambda: state() == "stopped", child, "the second test stopped")
            second = server.count("/slow") - before_second
            child.send(signal.SIGINT)
            run = child.finish()
    assert run.code is not None and "Traceback" not in run.text, run.text
    assert run.summary is not None, run.text  # the last test's reports, written on Ctrl+C
    assert run.summary["totals"]["requests"] == second, (run.summary["totals"], second)
    assert run.summary["exit_code"] == run.code
