"""The live status on a terminal: `loadspec run` under a real pseudo-terminal redraws one frame in
place (per-step counts, req/s, p95, failures, time left, a bar) and leaves the last one, with the
summary table's numbers, above the table; piped, or with TERM=dumb, it prints the plain lines and
no escape sequence at all.

The bytes are read from the terminal's master side exactly as a terminal emulator would get them;
the target is the recording server, whose own count the final frame must match.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from conftest import REPO, RecordingServer, run_cli

UP = re.compile(r"\r\x1b\[(\d+)A")  # the cursor back up over the last frame
SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

SPEC = """\
version: 1
name: live
host: {host}
defaults:
  think_time: 50ms
scenarios:
  - name: shopper
    steps:
      - name: list items
        get: /items
      - name: get health
        get: /health
"""


def in_terminal(args: list[str], *, columns: int, rows: int, env: dict[str, str] | None = None,
                timeout: float = 60) -> tuple[int, str]:
    """Run `python -m loadspec ARGS` with stdin, stdout and stderr on a new pseudo-terminal of
    `columns` x `rows`; return its exit code and every byte it wrote, decoded."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    full_env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES", "NO_COLOR")}
    full_env.update({"TERM": "xterm-256color", **(env or {})})
    child = subprocess.Popen([sys.executable, "-m", "loadspec", *args], stdin=slave, stdout=slave, stderr=slave,
                             env=full_env, cwd=REPO, close_fds=True, start_new_session=True)
    os.close(slave)
    data = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed its side of the terminal
                    break
                if not chunk:
                    break
                data += chunk
            elif child.poll() is not None:
                break
        else:
            raise AssertionError(f"loadspec still running after {timeout}s:\n{data.decode(errors='replace')}")
        code = child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    return code, data.decode("utf-8", errors="replace")


def frames(output: str) -> list[list[str]]:
    """The frames drawn, in order, as the lines the terminal shows (colours and line clears removed).
    A frame starts at a redraw (cursor up) or after the run's first line, and ends at `ESC[J`."""
    found = []
    for chunk in output.split("\x1b[J")[:-1]:
        chunk = UP.split(chunk)[-1]  # after the last cursor-up: the new frame
        lines = [CONTROL.sub("", SGR.sub("", line)).rstrip("\r") for line in chunk.split("\n")]
        body = [line for line in lines if line]
        start = next((i for i, line in enumerate(body) if line.startswith("loadspec running")
                      or line.startswith("loadspec done")), None)
        if start is not None:
            found.append(body[start:])
    return found


def row(frame: list[str], name: str) -> list[str]:
    line = next((line for line in frame if line.strip().startswith(name)), None)
    assert line is not None, (name, frame)
    return line.strip()[len(name):].split()


def test_a_terminal_gets_a_frame_redrawn_in_place_and_the_last_one_stays(
        tmp_path: Path, recording_server: RecordingServer) -> None:
    spec = tmp_path / "live.yaml"
    spec.write_text(SPEC.format(host=recording_server.url))
    summary = tmp_path / "summary.json"
    code, output = in_terminal(["run", str(spec), "-u", "2", "-t", "3s", "--json", str(summary)],
                               columns=100, rows=30)
    assert code == 0, output
    served = len(recording_server.paths("/items")) + len(recording_server.paths("/health"))
    report = json.loads(summary.read_text())

    assert "\x1b[2K" in output and "\x1b[J" in output  # each line cleared, then what is left below
    redraws = [int(n) for n in UP.findall(output)]
    assert len(redraws) >= 2 and set(redraws) == {5}, redraws  # header, column heading, 2 steps, total
    assert "req/s | requests" not in output  # no plain progress line on a terminal

    drawn = frames(output)
    running = [frame for frame in drawn if frame[0].startswith("loadspec running")]
    assert running, output
    first = running[0]
    assert "s left" in first[0] and "users 2" in first[0] and "░" in first[0], first  # the bar, not full yet
    assert any("█" in frame[0] for frame in running), running
    assert first[1].split() == ["step", "requests", "req/s", "p95", "failures"], first
    assert {line.split()[0] + " " + line.split()[1] for line in first[2:4]} == {"list items", "get health"}

    final = drawn[-1]
    assert final[0].startswith("loadspec done") and "100%" in final[0], final
    steps = {step["name"]: step for step in report["steps"]}
    for name in ("list items", "get health"):
        requests, _rps, _p95, failures = row(final, name)
        assert int(requests) == steps[name]["requests"] > 0 and failures == "0"
    total = int(row(final, "total")[0])
    assert total == report["totals"]["requests"] == served, (total, report["totals"], served)
    # the final frame stays on the screen, and the summary table comes under it
    assert output.rindex("loadspec done") < output.index("Step ") < output.index("PASSED")
    assert not UP.search(output[output.rindex("loadspec done"):])


def test_a_narrow_terminal_gets_the_busiest_steps_and_no_colour_under_no_color(
        tmp_path: Path, recording_server: RecordingServer) -> None:
    steps = "".join(f"""\
      - name: step {n:02d} with a long name
        get: /items/{n}
""" for n in range(1, 15))
    spec = tmp_path / "many.yaml"
    spec.write_text(f"""\
version: 1
name: many
host: {recording_server.url}
defaults:
  think_time: 20ms
scenarios:
  - name: walker
    steps:
{steps}""")
    code, output = in_terminal(["run", str(spec), "-u", "1", "-t", "2s"], columns=40, rows=10,
                               env={"NO_COLOR": "1"})
    assert code == 0, output
    assert UP.search(output) and "\x1b[2K" in output  # still redrawn in place
    assert not SGR.search(output), "NO_COLOR: no colour codes"
    drawn = frames(output)
    assert drawn, output
    for frame in drawn:
        assert len(frame) <= 9, frame  # under the terminal's height, so the redraw can reach its top
        assert all(len(line) <= 39 for line in frame), frame  # no line wraps
        assert frame[-1].split()[0] == "total"
    final = drawn[-1]
    assert final[0].startswith("loadspec done"), final
    assert final[1].split() == ["step", "requests", "failures"], final  # the columns that fit
    shown = final[2:-2]
    assert len(shown) == 5 and all(re.match(r"  step \d\d with …", line) for line in shown), final
    hidden = int(re.match(r"  … (\d+) more steps", final[-2])[1])
    assert hidden + len(shown) == 14
    counts = [int(line.split()[-2]) for line in shown]
    assert counts == sorted(counts, reverse=True)  # the busiest steps first


def test_piped_or_dumb_output_keeps_the_plain_lines_and_no_escapes(
        tmp_path: Path, recording_server: RecordingServer) -> None:
    spec = tmp_path / "live.yaml"
    spec.write_text(SPEC.format(host=recording_server.url))
    piped = run_cli("run", str(spec), "-u", "1", "-t", "3s")
    assert piped.code == 0, piped.text
    assert "\x1b" not in piped.out + piped.err
    assert re.search(r"^\[ +2s / 3s, 1s left\] users 1 \| +[\d.]+ req/s \| requests \d+ \| failures 0 \(0\.00%\) "
                     r"\| p95 \d+ms$", piped.err, re.M), piped.err

    code, output = in_terminal(["run", str(spec), "-u", "1", "-t", "3s"], columns=100, rows=30, env={"TERM": "dumb"})
    assert code == 0, output
    assert "\x1b" not in output
    assert re.search(r"^\[ +2s / 3s, 1s left\] users 1 \| .* req/s \| requests \d+ \|", output, re.M), output

    code, output = in_terminal(["run", str(spec), "-u", "1", "-t", "3s", "-q"], columns=100, rows=30)
    assert code == 0, output
    assert "loadspec running" not in output and not UP.search(output) and "req/s |" not in output
    assert "PASSED" in output
