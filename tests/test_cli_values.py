"""Command-line values are range-checked before anything starts: exit 2, one clear line, no traceback,
and the target receives nothing. `--processes` is capped at 4 per core; a worker whose master dies
exits by itself instead of living on as an orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from loadspec.results.plan import process_cap

LOADSPEC = [sys.executable, "-m", "loadspec"]


def _spec(folder: Path, host: str) -> Path:
    spec = folder / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        version: 1
        name: values
        host: {host}
        scenarios:
          - name: s
            steps:
              - get: /items
        """), encoding="utf-8")
    return spec


BAD_VALUES = [
    (["-r", "-2"], "--spawn-rate: must be a number above 0, got '-2'"),
    (["-r", "0"], "--spawn-rate: must be a number above 0, got '0'"),
    (["-r", "nan"], "--spawn-rate: must be a number above 0, got 'nan'"),
    (["-r", "fast"], "--spawn-rate: expected a number, got 'fast'"),
    (["-u", "-1"], "--users: must be 0 or more, got -1"),
    (["--iterations", "0"], "--iterations: must be 1 or more, got 0"),
    (["--iterations", "-1"], "--iterations: must be 1 or more, got -1"),
    (["--host", "not a url"], "--host: 'not a url' contains white space"),
    (["--host", "127.0.0.1:8088"], "--host: '127.0.0.1:8088' has no scheme; write http://127.0.0.1:8088"),
    (["--host", "ftp://127.0.0.1"], "--host: scheme 'ftp://' is not supported"),
    (["--host", "http://127.0.0.1:99999"], "--host: the port of 'http://127.0.0.1:99999' is not a number"),
    (["--host", "http://[::1"], "--host: 'http://[::1' is not a URL"),
    (["-e", ""], "--environment: give the name of an environment"),
    (["--ui-port", "70000"], "--ui-port: a port is a number from 1 to 65535, got 70000"),
    (["--processes", "0"], "--processes: must be 1 or more, got 0"),
    (["--processes", str(process_cap() + 1)], f"at most {process_cap()} (4 per core)"),
    (["--processes", "100000"], f"100000 is more than this machine can run: at most {process_cap()}"),
    (["--expect-workers", "0", "--master"], "--expect-workers: must be 1 or more, got 0"),
    (["--max-har-size", "-5"], "--max-har-size: -5 MB is not a limit; give a number of MB above 0"),
    (["-t", "soon"], "--duration: 'soon' is not a duration"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_VALUES, ids=[" ".join(v[0]) for v in BAD_VALUES])
def test_a_bad_value_stops_before_any_request(tmp_path: Path, recording_server, extra: list[str],
                                              message: str) -> None:
    spec = _spec(tmp_path, recording_server.url)
    done = subprocess.run(LOADSPEC + ["run", str(spec), *extra], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr, done.stderr
    assert done.stderr.count("\n") <= 3  # one problem, said once: no usage dump, no traceback
    assert "Traceback" not in done.stderr + done.stdout
    assert recording_server.requests == []  # nothing was sent


def test_worker_values_are_checked_too() -> None:
    for extra, message in ((["--processes", "100000"], "at most"), (["--master-port", "0"], "from 1 to 65535"),
                           (["--master-timeout", "never"], "'never' is not a duration")):
        done = subprocess.run(LOADSPEC + ["worker", *extra], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def _children(pid: int) -> list[int]:
    """The pids of every descendant of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_local_workers_exit_when_their_master_dies(tmp_path: Path, recording_server) -> None:
    spec = _spec(tmp_path, recording_server.url)
    master = subprocess.Popen(LOADSPEC + ["run", str(spec), "--processes", "2", "-u", "2", "-r", "2", "-t", "120s",
                                          "--pacing", "1s", "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not recording_server.paths("/items"):
            time.sleep(0.2)  # the workers are connected and running once requests arrive
        assert recording_server.paths("/items"), "the workers never started"
        workers = _children(master.pid)
        assert len(workers) >= 3  # `loadspec worker` and its two forked Locust workers
        master.send_signal(signal.SIGKILL)  # no goodbye to the workers: they must notice by themselves
        master.wait(timeout=10)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.5)
        assert not [pid for pid in workers if _alive(pid)], "orphaned workers are still running"
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if master.poll() is None:
            master.kill()
