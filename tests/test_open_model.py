"""The open model (`load.rate`): iterations start at the rate whatever the response times, judged by
the server's own count of requests.

Each test runs the command line against the recording server on 127.0.0.1 (its `/slow` endpoint
answers after 300 ms), so a closed model's users are held up by the server while the open model's
rate gate keeps starting iterations, up to `max_users`, and counts the ones it had to drop.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from loadspec.model import Stage
from loadspec.results.plan import arrival_schedule


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def settled_count(server, prefix: str) -> int:
    """The server's count of `prefix` requests once it stopped changing (handlers may still be
    appending the last ones when the command returns)."""
    count = -1
    for _ in range(20):
        now = len(server.paths(prefix))
        if now == count:
            return now
        count = now
        time.sleep(0.05)
    return count


SLOW = """
    load: {load}
    scenarios:
      - name: slow
        steps:
          - name: slow
            get: /slow
            params: {{ms: 300}}
    """


def test_rate_starts_iterations_at_the_rate_while_a_closed_model_falls_behind(tmp_path, recording_server, cli):
    open_spec = write(tmp_path, SLOW.format(load="{rate: 20/s, duration: 10s, users: 2, max_users: 30}"), "open.yaml")
    result = cli("run", str(open_spec), "--host", recording_server.url, "-q")
    assert result.code == 0, result.text
    started = settled_count(recording_server, "/slow")
    assert 185 <= started <= 215, started
    assert result.summary["iterations"] == {"started": started, "dropped": 0}
    assert result.summary["users"]["peak"] > 2  # it grew beyond the 2 users started up front

    recording_server.requests.clear()
    closed_spec = write(tmp_path, SLOW.format(load="{users: 2, duration: 10s}"), "closed.yaml")
    closed = cli("run", str(closed_spec), "--host", recording_server.url, "-q")
    assert closed.code == 0, closed.text
    in_closed = settled_count(recording_server, "/slow")
    assert in_closed < started / 2, (in_closed, started)  # 2 users x 10 s / 0.3 s ~ 66
    assert closed.summary["iterations"]["started"] is None  # the closed model counts no arrivals


def test_a_starved_max_users_drops_iterations_and_counts_them(tmp_path, recording_server, cli):
    spec = write(tmp_path, SLOW.format(load="{rate: 20/s, duration: 3s, max_users: 2}") + """
    thresholds:
      - dropped_iterations == 0
    """)
    result = cli("run", str(spec), "--host", recording_server.url)
    assert result.code == 3, result.text  # the threshold on dropped iterations failed
    iterations = result.summary["iterations"]
    server = settled_count(recording_server, "/slow")
    assert server == iterations["started"], (server, iterations)
    assert iterations["dropped"] > 10
    assert 55 <= iterations["started"] + iterations["dropped"] <= 60  # 20/s for 3 s, all accounted for
    assert result.summary["dropped_iterations"] == iterations["dropped"]
    assert f"{iterations['dropped']} dropped" in result.out
    check = result.summary["thresholds"][0]
    assert check["metric"] == "dropped_iterations" and check["actual"] == iterations["dropped"]


def test_dropped_iterations_can_abort_the_run(tmp_path, recording_server, cli):
    spec = write(tmp_path, SLOW.format(load="{rate: 20/s, duration: 20s, max_users: 1}") + """
    thresholds:
      - {check: dropped_iterations < 5, abort_on_fail: true}
    """)
    result = cli("run", str(spec), "--host", recording_server.url, "-q")
    assert result.code == 4, result.text
    assert result.summary["iterations"]["dropped"] >= 5
    assert settled_count(recording_server, "/slow") < 40  # 400 were planned: the run stopped early


def test_rate_stages_ramp_the_arrival_rate(tmp_path, recording_server, cli):
    spec = write(tmp_path, """
        load:
          max_users: 5
          stages:
            - {duration: 2s, rate: 10/s}
            - {duration: 1s, rate: 10/s}
        scenarios:
          - name: fast
            steps:
              - get: /ping
        """)
    result = cli("run", str(spec), "--host", recording_server.url, "-q")
    assert result.code == 0, result.text
    # 0 -> 10/s over 2 s accrues 10 iterations, then 10 more at 10/s
    assert settled_count(recording_server, "/ping") == result.summary["iterations"]["started"]
    assert 18 <= result.summary["iterations"]["started"] <= 20


def test_the_rate_is_split_across_workers(tmp_path, recording_server, cli):
    spec = write(tmp_path, SLOW.format(load="{rate: 10/s, duration: 4s, max_users: 10}"))
    result = cli("run", str(spec), "--host", recording_server.url, "--processes", "2", "-q")
    assert result.code == 0, result.text
    server = settled_count(recording_server, "/slow")
    assert 36 <= server <= 40, server  # 10/s for 4 s in all, not 10/s per worker
    assert result.summary["iterations"]["started"] == server


def test_arrival_schedule_spaces_iterations_evenly_and_ramps_linearly():
    constant = arrival_schedule(20.0, [], 10.0)
    assert constant.total == 200
    assert constant.time_of(0) == 0.0 and constant.time_of(1) == pytest.approx(0.05)
    assert constant.time_of(199) == pytest.approx(9.95) and constant.time_of(200) is None
    ramp = arrival_schedule(None, [Stage(10.0, 0, None, 20.0)], None)
    assert ramp.total == 100  # the area under 0 -> 20/s over 10 s
    assert ramp.time_of(50) == pytest.approx(10 / 2 ** 0.5)  # half the iterations by t = 10/sqrt(2)
    cut = arrival_schedule(None, [Stage(4.0, 0, None, 10.0), Stage(4.0, 0, None, 10.0)], 6.0)
    assert cut.total == 40  # 20 in the ramp, 20 in the first 2 s of the hold


@pytest.mark.parametrize(("load", "message"), [
    ("{rate: 20/s, duration: 5s}", "the open model needs max_users"),
    ("{rate: 20/s, max_users: 5}", "an arrival rate needs a duration"),
    ("{rate: 20/s, duration: 5s, max_users: 5, iterations: 3}", "iterations applies to the closed model"),
    ("{rate: 20 per second, duration: 5s, max_users: 5}", "is not a rate"),
    ("{users: 3, duration: 5s, max_users: 5}", "max_users applies to the open model"),
    ("{max_users: 5, stages: [{duration: 1s, rate: 5/s}, {duration: 1s, users: 3}]}", "mix of user stages"),
])
def test_open_model_mistakes_are_load_time_errors(tmp_path, cli, load, message):
    spec = write(tmp_path, SLOW.format(load=load))
    result = cli("validate", str(spec), summary=False)
    assert result.code == 2, result.text
    assert message in result.err and "spec.yaml:" in result.err
