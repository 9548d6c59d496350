"""Distributed runs, as a user starts them: a master and workers from the CLI, `--processes`, and the
exported locustfile under plain Locust, all against a counting HTTP server on 127.0.0.1.

The server runs in its own process (`python tests/test_distributed.py --serve`): it counts requests
per path and records every CSV row value it is sent with the worker tag of the sender, so the
assertions come from the server's own records. Every process is bounded in time and killed in
teardown.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
LOADSPEC = [sys.executable, "-m", "loadspec"]
LOCUST = str(VENV_BIN / "locust")


# --- the counting server ----------------------------------------------------------------------


def _serve(port_file: str) -> None:
    """A threaded HTTP/1.1 server: GET /row/VALUE records (VALUE, X-Worker); GET /_stats reports."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lock = threading.Lock()
    counts: Counter[str] = Counter()
    rows: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/_stats":
                with lock:
                    body = json.dumps({"counts": dict(counts), "rows": rows}).encode()
            else:
                with lock:
                    counts[self.path.split("/")[1]] += 1
                    if self.path.startswith("/row/"):
                        rows.append((self.path[5:], self.headers.get("X-Worker", "")))
                body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # workers killed mid-request reset connections
    Path(port_file + ".part").write_text(str(server.server_address[1]))
    os.replace(port_file + ".part", port_file)
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()  # parent gone: exit
    server.serve_forever()


class CountingServer:
    def __init__(self, folder: Path):
        port_file = folder / "port"
        port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)], stdin=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not port_file.exists():
            assert time.monotonic() < deadline, "test server did not start"
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text()}"

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "/_stats", timeout=5) as response:
            return json.load(response)

    def total(self) -> int:
        return sum(self.stats()["counts"].values())

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)


@pytest.fixture
def server(tmp_path):
    srv = CountingServer(tmp_path)
    yield srv
    srv.stop()


class Processes:
    """Every process a test starts, killed (by its own pid) at teardown."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.PIPE if name == "master" else log,
                                stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(self.folder), **(env or {})},
                                cwd=cwd or self.folder, start_new_session=True)
        proc.name = name
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def finish(self, proc: subprocess.Popen, timeout: float) -> tuple[int, str, str]:
        _, err = proc.communicate(timeout=timeout)
        return proc.returncode, self.log(proc.name), (err or b"").decode(errors="replace")

    def kill_all(self) -> None:
        """Let workers finish quitting (they clean up their temporary folder), then SIGTERM, then
        SIGKILL the process group each was started in (a worker and its forks)."""
        deadline = time.monotonic() + 5
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            for proc in self.started:
                if proc.poll() is None and sig is not None:
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        pass
            for proc in self.started:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            deadline = time.monotonic() + 3


@pytest.fixture
def procs(tmp_path):
    group = Processes(tmp_path)
    yield group
    group.kill_all()


# --- specs ----------------------------------------------------------------------------------------


def write_spec(folder: Path, *, rows: int, on_exhausted: str = "stop_test", think: str = "0s",
               order: str = "unique", failing_ping: bool = False) -> Path:
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "items.csv").write_text("id,label\n" + "".join(f"r{i:04d},item {i}\n" for i in range(rows)))
    spec = {
        "version": 1,
        "name": "distributed check",
        "host": "http://127.0.0.1:9",
        "defaults": {"think_time": think},
        "data": {"items": {"csv": "data/items.csv", "order": order, "scope": "iteration",
                           "on_exhausted": on_exhausted}},
        "scenarios": [{"name": "shopper", "steps": [
            {"name": "take row", "get": "/row/{{ items.id }}", "headers": {"X-Worker": "{{ env.LS_WORKER }}"},
             "assert": [{"status": 200}]},
            {"name": "ping", "get": "/ping", "assert": [{"json": "ok", "eq": not failing_ping}]},
        ]}],
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def summary(stdout: str) -> tuple[int, int, str]:
    """(requests, failures, ended by) from loadspec's last line."""
    found = re.search(r"(\d+) requests, (\d+) failed in [\d.]+s \(ended by ([^;)]+)", stdout)
    assert found, stdout
    return int(found.group(1)), int(found.group(2)), found.group(3)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_master(procs: Processes, spec: Path, server: CountingServer, port: int, *extra: str):
    return procs.start("master", LOADSPEC + ["run", str(spec), "--master", "--expect-workers", "2",
                                             "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                                             "--host", server.url, *extra], env={"LS_WORKER": "master"})


def start_worker(procs: Processes, name: str, port: int):
    return procs.start(name, LOADSPEC + ["worker", "--master-host", "127.0.0.1", "--master-port", str(port)],
                       env={"LS_WORKER": name})


# --- master and two workers from the CLI --------------------------------------------------------


def test_master_and_two_workers_count_and_unique_rows(tmp_path, server, procs):
    spec = write_spec(tmp_path, rows=400)
    port = free_port()
    master = start_master(procs, spec, server, port, "-u", "4", "-r", "4", "--iterations", "25",
                          "--json", str(tmp_path / "summary.json"))
    start_worker(procs, "w1", port)
    start_worker(procs, "w2", port)
    code, out, err = procs.finish(master, timeout=60)
    assert code == 0, out + err
    requests, failures, ended_by = summary(out)
    assert ended_by == "iterations"
    assert failures == 0
    stats = server.stats()
    assert requests == sum(stats["counts"].values()) == 4 * 25 * 2  # the server's count is the master's
    values = [value for value, _ in stats["rows"]]
    assert len(values) == len(set(values)) == 100  # unique rows never repeat across workers
    by_worker = Counter(worker for _, worker in stats["rows"])
    assert set(by_worker) == {"w1", "w2"}  # both workers ran users (each sent its own env.LS_WORKER)
    assert "2 workers connected" in err
    report = json.loads((tmp_path / "summary.json").read_text())
    assert report["assertions"] == {"checked": 200, "failed": 0, "pass_rate": 1.0}  # counted on the workers


def test_worker_killed_mid_run_leaves_master_running_and_reporting(tmp_path, server, procs):
    spec = write_spec(tmp_path, rows=50, on_exhausted="recycle", think="20ms")
    port = free_port()
    master = start_master(procs, spec, server, port, "-u", "4", "-r", "4", "-t", "12s")
    start_worker(procs, "w1", port)
    doomed = start_worker(procs, "w2", port)
    deadline = time.monotonic() + 30
    while {w for _, w in server.stats()["rows"]} != {"w1", "w2"}:
        assert time.monotonic() < deadline and master.poll() is None, procs.log("master")
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=5)
    at_kill = Counter(w for _, w in server.stats()["rows"])
    code, out, err = procs.finish(master, timeout=60)
    requests, failures, ended_by = summary(out)
    assert ended_by == "duration"  # the master kept running to the end of its plan
    assert code == 0 and failures == 0, out + err
    assert "worker 2 lost" in err or "worker 1 lost" in err
    after = Counter(w for _, w in server.stats()["rows"])
    assert after["w1"] > at_kill["w1"] and after["w2"] == at_kill["w2"]  # the survivor carried on
    # the master reported the survivor's work after the kill; only the dead worker's last,
    # unreported seconds are missing from its total
    assert sum(at_kill.values()) * 2 < requests <= server.total()
    assert "Total" in out


# --- --processes 2 ----------------------------------------------------------------------------------


def test_processes_two_unique_rows_and_stop_test_ends_the_run(tmp_path, server, procs):
    spec = write_spec(tmp_path, rows=60, on_exhausted="stop_test", think="10ms", failing_ping=True)
    started = time.monotonic()
    master = procs.start("master", LOADSPEC + ["run", str(spec), "--processes", "2", "-u", "4", "-r", "4",
                                               "-t", "30s", "--host", server.url, "--json",
                                               str(tmp_path / "summary.json")], env={"LS_WORKER": "local"})
    code, out, err = procs.finish(master, timeout=60)
    assert time.monotonic() - started < 25, "stop_test did not stop the distributed run"
    requests, failures, ended_by = summary(out)
    assert ended_by == "stop_test", out + err
    assert "2 workers connected" in err
    values = [value for value, _ in server.stats()["rows"]]
    assert len(values) == len(set(values))  # never a row twice, across both processes
    assert 40 <= len(values) <= 60  # rows still buffered in a worker when the run stopped go unused
    assert "ran out of rows" in out + err
    assert code == 1  # requests failed and the spec has no thresholds
    # assertion counts and failure examples come from the workers' run logs
    report = json.loads((tmp_path / "summary.json").read_text())
    pings = next(step["requests"] for step in report["steps"] if step["name"] == "ping")
    assert failures == pings > 0
    assert report["assertions"]["checked"] == requests and report["assertions"]["failed"] == pings
    assert report["failures"][0]["examples"], report["failures"]


def test_processes_per_step_assert_pass_rate_thresholds(tmp_path, server, procs):
    spec = write_spec(tmp_path, rows=50, on_exhausted="recycle", failing_ping=True)
    data = yaml.safe_load(spec.read_text())
    data["thresholds"] = [{"check": "assert_pass_rate == 100%", "step": "take row"},
                          {"check": "assert_pass_rate > 50%", "step": "ping"}]
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    master = procs.start("master", LOADSPEC + ["run", str(spec), "--processes", "2", "-u", "2", "-r", "2",
                                               "--iterations", "5", "--host", server.url, "--json",
                                               str(tmp_path / "summary.json")], env={"LS_WORKER": "local"})
    code, out, err = procs.finish(master, timeout=60)
    assert code == 3, out + err  # a threshold failed
    assert "\nTHRESHOLDS FAILED: 1 of 2 thresholds failed" in out, out
    report = json.loads((tmp_path / "summary.json").read_text())
    checks = {check["step"]: check for check in report["thresholds"]}
    assert (checks["take row"]["passed"], checks["take row"]["actual"]) == (True, 1.0)  # 10 of 10, merged
    assert (checks["ping"]["passed"], checks["ping"]["actual"]) == (False, 0.0)  # 0 of 10 across both workers
    assert report["assertions"] == {"checked": 20, "failed": 10, "pass_rate": 0.5}


def test_processes_with_no_users_end_at_once_as_in_one_process(tmp_path, server, procs):
    spec = write_spec(tmp_path, rows=5)
    started = time.monotonic()
    master = procs.start("master", LOADSPEC + ["run", str(spec), "--processes", "2", "-u", "0", "-t", "60s",
                                               "--host", server.url], env={"LS_WORKER": "local"})
    code, out, err = procs.finish(master, timeout=90)
    assert code == 0, out + err
    assert summary(out) == (0, 0, "no users")
    assert time.monotonic() - started < 30  # not the 60 s of -t
    assert server.total() == 0


def test_processes_workers_get_the_masters_vars_env_file_and_pacing(tmp_path, server, procs):
    (tmp_path / "items.csv").write_text("id\n" + "".join(f"r{i}\n" for i in range(20)))
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "version": 1, "name": "options travel", "host": "http://127.0.0.1:9", "variables": {"tag": "spec"},
        "data": {"items": {"csv": "items.csv", "order": "unique", "scope": "iteration"}},
        "scenarios": [{"name": "s", "steps": [{"name": "take row", "get": "/row/{{ items.id }}",
                                               "headers": {"X-Worker": "{{ env.LS_TEST_FROM_FILE }}-{{ tag }}"}}]}],
    }))
    env_file = tmp_path / "run.env"
    env_file.write_text("LS_TEST_FROM_FILE=filed\n")  # only the master reads it: the workers get the value
    master = procs.start("master", LOADSPEC + ["run", str(spec), "--processes", "2", "-u", "2", "-r", "2",
                                               "--iterations", "3", "--pacing", "1s", "--var", "tag=cli",
                                               "--env-file", str(env_file), "--host", server.url,
                                               "--json", str(tmp_path / "summary.json")])
    code, out, err = procs.finish(master, timeout=60)
    assert code == 0, out + err
    assert summary(out)[2] == "iterations"
    rows = server.stats()["rows"]
    assert len(rows) == 6 and {worker for _, worker in rows} == {"filed-cli"}
    assert json.loads((tmp_path / "summary.json").read_text())["elapsed_s"] >= 2.0  # 3 iterations 1 s apart


# --- loadspec worker before it reaches a master -----------------------------------------------------


def test_worker_names_the_master_and_fails_fast_on_an_unknown_host(tmp_path):
    started = time.monotonic()
    done = subprocess.run(LOADSPEC + ["worker", "--master-host", "no such host", "--master-port", "1"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert time.monotonic() - started < 20
    assert done.stderr.splitlines()[0] == "connecting to master no such host:1"
    assert "error: cannot find the master host 'no such host'" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_worker_connect_timeout_gives_up_and_cleans_up(tmp_path):
    port = free_port()  # nobody listens there
    started = time.monotonic()
    done = subprocess.run(LOADSPEC + ["worker", "--master-port", str(port), "--connect-timeout", "3s",
                                      "--loglevel", "WARNING"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 1, done.stderr
    assert 4 < time.monotonic() - started < 20  # 3 s rounded up to Locust's 5 s tries, not 300 s
    assert done.stderr.splitlines()[0] == f"connecting to master 127.0.0.1:{port}"
    assert "gave up after 5s" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_worker_terminated_while_waiting_removes_its_folder(tmp_path, procs):
    worker = procs.start("w1", LOADSPEC + ["worker", "--master-port", str(free_port()), "--loglevel", "WARNING"])
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob("loadspec-worker-*")):  # Processes.start points TMPDIR at tmp_path
        assert time.monotonic() < deadline and worker.poll() is None, procs.log("w1")
        time.sleep(0.1)
    time.sleep(0.5)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 128 + signal.SIGTERM
    assert list(tmp_path.glob("loadspec-worker-*")) == [], procs.log("w1")


def test_worker_forks_only_for_two_or_more_processes():
    from loadspec.engine.distributed import WorkerOptions, worker_argv

    assert "--processes" not in worker_argv(WorkerOptions(processes=1))
    assert "--processes" not in worker_argv(WorkerOptions())
    argv = worker_argv(WorkerOptions(processes=3, master_port=6000))
    assert argv[argv.index("--processes") + 1] == "3" and argv[argv.index("--master-port") + 1] == "6000"


# --- the exported locustfile under plain Locust -----------------------------------------------------


def export(tmp_path: Path, spec: Path) -> Path:
    target = tmp_path / "exported_locustfile.py"
    result = subprocess.run(LOADSPEC + ["export", str(spec), "-o", str(target)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return target


def test_exported_locustfile_runs_under_plain_locust(tmp_path, server, procs):
    spec = write_spec(tmp_path, rows=30, on_exhausted="recycle", think="50ms")
    locustfile = export(tmp_path, spec)
    run_dir = tmp_path / "elsewhere"  # no spec, no CSV: everything comes from the one file
    run_dir.mkdir()
    (run_dir / "exported_locustfile.py").write_bytes(locustfile.read_bytes())
    proc = procs.start("master", [LOCUST, "-f", "exported_locustfile.py", "--headless", "-u", "2", "-r", "2",
                                  "-t", "3s", "--host", server.url, "--only-summary"],
                       env={"LS_WORKER": "plain"}, cwd=run_dir)
    code, out, err = procs.finish(proc, timeout=60)
    assert code == 0, out + err
    stats = server.stats()
    assert stats["counts"]["row"] > 5 and stats["counts"]["ping"] > 5
    assert {value for value, _ in stats["rows"]} <= {f"r{i:04d}" for i in range(30)}
    assert "take row" in out + err


def test_exported_locustfile_master_and_dash_f_workers(tmp_path, server, procs):
    spec = write_spec(tmp_path, rows=80, on_exhausted="stop_test", think="10ms")
    locustfile = export(tmp_path, spec)
    port = free_port()
    master = procs.start("master", [LOCUST, "-f", str(locustfile), "--master", "--headless", "--expect-workers", "2",
                                    "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                                    "-u", "4", "-r", "4", "-t", "30s", "--host", server.url, "--only-summary"],
                         env={"LS_WORKER": "master"})
    for name in ("w1", "w2"):
        private_tmp = tmp_path / f"tmp-{name}"  # `-f -` saves the download as $TMPDIR/<name>.py
        private_tmp.mkdir()
        procs.start(name, [LOCUST, "-f", "-", "--worker", "--master-port", str(port)],
                    env={"LS_WORKER": name, "TMPDIR": str(private_tmp)})
    started = time.monotonic()
    code, out, err = procs.finish(master, timeout=60)
    assert time.monotonic() - started < 25, "the plain Locust master did not stop on stop_test"
    assert "ran out of rows" in err, err
    rows = server.stats()["rows"]
    values = [value for value, _ in rows]
    assert len(values) == len(set(values)) and len(values) >= 50
    assert {worker for _, worker in rows} == {"w1", "w2"}


# --- the pieces, without processes ---------------------------------------------------------------


def _pool(rows: int, on_exhausted: str):
    from loadspec.model import DataPool

    return DataPool(name="p", path=Path("p.csv"), columns=["id"], rows=[(str(i),) for i in range(rows)],
                    order="unique", on_exhausted=on_exhausted)


def test_dealer_never_deals_a_row_twice_and_shares_the_last_rows():
    from loadspec.engine.pools import BatchedIndexSource, IndexDealer

    dealer = IndexDealer(_pool(50, "stop_test"))
    workers = [BatchedIndexSource(lambda n: dealer.deal(n, sharers=3)) for _ in range(3)]
    taken_by: dict[int, int] = {}  # row index -> the worker that got it
    for _ in range(100):
        for number, worker in enumerate(workers):
            index = worker()
            if index is not None:
                assert index not in taken_by  # never a row twice
                taken_by[index] = number
    assert sorted(taken_by) == list(range(50))  # every row once
    assert len({taken_by[index] for index in (47, 48, 49)}) >= 2  # the last rows are shared, not one batch
    assert dealer.deal(8, 3) == []
    recycling = IndexDealer(_pool(3, "recycle"))
    assert recycling.deal(5) == [0, 1, 2, 0, 1] and recycling.deal(2) == [2, 0]


class _FakeWorkerRunner:
    """What attach_worker uses of a Locust WorkerRunner; answers row requests with `reply` (or not)."""

    def __init__(self, reply: list[int] | None):
        from types import SimpleNamespace

        from locust.event import Events

        self.reply = reply
        self.custom_messages: dict = {}
        self.sent: list = []
        self.environment = SimpleNamespace(events=Events())

    def register_message(self, name, listener):
        self.custom_messages[name] = listener

    def send_message(self, name, data=None, client_id=None):
        from types import SimpleNamespace

        import gevent

        self.sent.append((name, data))
        if self.reply is not None:
            answer = SimpleNamespace(data={"id": data["id"], "indexes": self.reply})
            gevent.spawn(self.custom_messages["loadspec_rows_reply"], self.environment, answer)


def _two_pool_test(tmp_path: Path):
    from loadspec.engine.compiler import compile_spec
    from loadspec.sources.loader import load_spec_text

    (tmp_path / "items.csv").write_text("id\n" + "".join(f"r{i}\n" for i in range(10)))
    text = yaml.safe_dump({
        "version": 1, "name": "pools", "host": "http://127.0.0.1:9",
        "data": {"items": {"csv": "items.csv", "order": "unique", "on_exhausted": "recycle"},
                 "picks": {"csv": "items.csv", "order": "random"}},
        "scenarios": [{"name": "s", "steps": [{"name": "a", "get": "/{{ items.id }}/{{ picks.id }}"}]}],
    })
    return compile_spec(load_spec_text(text, "pools.yaml", base_dir=tmp_path), env={})


def test_a_worker_takes_dealt_rows_and_keeps_random_picks_local(tmp_path):
    from loadspec.engine.distributed import attach_worker

    test = _two_pool_test(tmp_path)
    items, picks = test.cursors
    local_pick = picks.source
    runner = _FakeWorkerRunner(reply=[7, 3])
    attach_worker(runner, test)
    assert picks.source is local_pick
    assert [items.next_row()["id"], items.next_row()["id"]] == ["r7", "r3"]
    assert runner.sent == [("loadspec_rows", {"id": 1, "pool": "items", "count": 1})]  # one reply, two rows


def test_a_master_that_sends_no_rows_stops_the_test_saying_so(tmp_path, monkeypatch):
    from locust.exception import StopTest

    from loadspec.engine import distributed as _distributed

    monkeypatch.setattr(_distributed, "ROW_TIMEOUT", 0.2)
    test = _two_pool_test(tmp_path)
    _distributed.attach_worker(_FakeWorkerRunner(reply=None), test)
    message = "no rows of pool 'items' from the master within 0.2s"
    with pytest.raises(StopTest, match=message):  # not PoolExhausted: the pool recycles, it never runs out
        test.cursors[0].next_row()
    assert test.run_log.stop_reason == message


def test_exported_stages_become_a_working_load_shape(tmp_path):
    spec = tmp_path / "stages.yaml"
    spec.write_text(yaml.safe_dump({
        "version": 1, "name": "stages", "host": "http://127.0.0.1:9",
        "load": {"stages": [{"duration": "10s", "users": 4, "spawn_rate": 2}, {"duration": "5s", "users": 1}]},
        "scenarios": [{"name": "s", "steps": [{"name": "a", "get": "/"}]}],
    }))
    target = export(tmp_path, spec)
    probe = (f"import runpy\nns = runpy.run_path({str(target)!r})\nshape = ns['LoadspecStages']()\n"
             "shape.get_run_time = lambda: 12.0\nprint(shape.tick(), [s.users for s in shape.stages])\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "(1, 1.0) [4, 1]"


def test_export_inlines_every_file_the_spec_names(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "users.csv").write_text("email\r\na@example.com\r\nb@example.com\r\n", newline="")
    schema = tmp_path / "order_schema.json"
    schema.write_text('{"type": "object", "required": ["ok"]}')
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "logo.png").write_bytes(bytes(range(256)))
    spec = {
        "version": 1, "name": "inlined", "host": "http://127.0.0.1:9",
        "data": {"users": {"csv": "../shared/users.csv", "order": "unique"}},
        "scenarios": [{"name": "shop", "steps": [{
            "name": "upload", "post": "/upload", "headers": {"X-User": "{{ users.email }}"},
            "files": {"logo": "logo.png"}, "assert": [{"json": "@", "schema": str(schema)}],
        }]}],
    }
    # a comment no raw string can hold, so the generated file must fall back to an escaped literal
    (specs / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False) + '# a """ and a \\d+\n')
    target = export(tmp_path, specs / "spec.yaml")
    text = target.read_text()
    assert "b64decode(" in text and "_files/1_order_schema.json" in text and str(schema) not in text
    probe = (
        "import json, runpy\n"
        f"ns = runpy.run_path({str(target)!r})\n"
        "user = ns['shop']\n"
        "upload = user.scenario_steps[0]\n"
        "print(json.dumps({'rows': user.test.spec.data['users'].rows,\n"
        "                  'logo': list(upload.fixed_kwargs['files']['logo'][1])}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path / "shared")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {"rows": [["a@example.com"], ["b@example.com"]], "logo": list(range(256))}


def test_deploy_files_parse_and_agree_with_each_other():
    """They cannot run here (no Docker, no cluster): check syntax and that their parts fit."""
    from loadspec.cli import build_parser

    deploy = ROOT / "examples" / "deploy"
    docs = {path.relative_to(deploy).as_posix(): [d for d in yaml.safe_load_all(path.read_text()) if d]
            for path in deploy.rglob("*.y*ml")}
    compose = docs["docker-compose.yml"][0]
    parser = build_parser()
    for name, service in compose["services"].items():
        assert service["entrypoint"] == ["loadspec"] and service["build"]["dockerfile"] == "examples/deploy/Dockerfile"
        args = parser.parse_args(service["command"])  # the compose commands are valid loadspec commands
        if name == "master":
            assert Path(args.file).name == "checkout.yaml" and (deploy.parent / "checkout.yaml").is_file()
            assert args.expect_workers == service.get("deploy", compose["services"]["worker"]["deploy"])["replicas"]
    dockerfile = (deploy / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["locust"]' in dockerfile and "WORKDIR /home/locust" in dockerfile
    for copied in re.findall(r"^COPY (.+) /src/", dockerfile, re.M):
        assert all((ROOT / part).exists() for part in copied.split()), copied

    manifests = [d for name, found in docs.items() if name.startswith("kubernetes/") for d in found]
    for manifest in manifests:
        if "loadtest" not in manifest and manifest["kind"] != "Kustomization":  # Kubernetes objects
            assert manifest["apiVersion"] and manifest["kind"] and manifest["metadata"]["name"], manifest
    test = next(d for d in manifests if d.get("kind") == "LocustTest")
    assert test["apiVersion"] == "locust.io/v1"
    assert set(test["spec"]) <= {"image", "workers", "args", "env", "locustfile", "master", "worker", "labels",
                                 "annotations", "imagePullPolicy", "imagePullSecrets", "metrics"}
    assert f"--expect-workers {test['spec']['workers']}" in test["spec"]["args"]
    service = next(d for d in manifests if d.get("kind") == "Service")
    jobs = {d["metadata"]["name"]: d for d in manifests if d.get("kind") == "Job"}
    master_args = jobs["loadspec-master"]["spec"]["template"]["spec"]["containers"][0]["args"]
    worker_args = jobs["loadspec-workers"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert worker_args[worker_args.index("--master-host") + 1] == service["metadata"]["name"]
    parallelism = jobs["loadspec-workers"]["spec"]["parallelism"]
    assert master_args[master_args.index("--expect-workers") + 1] == str(parallelism)
    kustomization = docs["kubernetes/plain/kustomization.yaml"][0]
    volume = jobs["loadspec-master"]["spec"]["template"]["spec"]["volumes"][0]
    assert volume["configMap"]["name"] == kustomization["configMapGenerator"][0]["name"]


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    _serve(sys.argv[2])
