"""Load profiles: stages, iterations, pacing and the named `--profile`s.

Plans are unit-tested against the documented numbers (docs/profiles.md); real runs check that
stages reach the user counts they name, that pacing holds the request rate down, that the smoke
profile runs 1 user for 3 iterations, and that stress finds the user count where a threshold breaks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from loadspec.demo.server import DemoServer
from loadspec.engine.runner import StagesShape
from loadspec.errors import UsageError
from loadspec.lang.units import threshold_from_text
from loadspec.model import Load, Stage
from loadspec.results.profiles import PROFILES, StressWatch, profile_plan


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as running:
        yield running


def run_json(tmp_path: Path, spec_text: str, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    spec, report = tmp_path / "spec.yaml", tmp_path / "summary.json"
    spec.write_text(spec_text)
    done = subprocess.run([sys.executable, "-m", "loadspec", "run", str(spec), "-q", "--json", str(report), *args],
                          capture_output=True, text=True, timeout=90)
    assert report.exists(), done.stdout + done.stderr
    return done, json.loads(report.read_text())


def stages(plan) -> list[tuple[float, int]]:  # noqa: ANN001
    return [(round(s.duration, 2), s.users) for s in plan.stages]


# --- plans ------------------------------------------------------------------------------------

FILE_LOAD = Load(users=10, spawn_rate=5, duration=60.0)


def test_smoke_is_one_user_for_three_iterations() -> None:
    plan = profile_plan("smoke", FILE_LOAD)
    assert (plan.users, plan.iterations, plan.duration, plan.stages) == (1, 3, 60.0, [])
    assert profile_plan("smoke", FILE_LOAD, iterations=5).iterations == 5


def test_load_ramps_up_holds_and_ramps_down() -> None:
    assert stages(profile_plan("load", FILE_LOAD)) == [(6.0, 10), (60.0, 10), (6.0, 0)]
    assert stages(profile_plan("load", FILE_LOAD, users=40, duration=600.0)) == [(60.0, 40), (600.0, 40), (60.0, 0)]
    own = Load(stages=[Stage(5.0, 3), Stage(10.0, 8)])
    assert stages(profile_plan("load", own)) == [(5.0, 3), (10.0, 8)]  # the file's stages are its load profile


def test_spike_surges_to_three_times_the_load_and_back() -> None:
    plan = profile_plan("spike", FILE_LOAD)
    assert stages(plan) == [(6.0, 10), (15.0, 10), (2.0, 30), (15.0, 30), (2.0, 10), (15.0, 10)]
    assert plan.users == 30


def test_soak_holds_the_load_for_an_hour_unless_told() -> None:
    assert stages(profile_plan("soak", FILE_LOAD)) == [(180.0, 10), (3600.0, 10), (180.0, 0)]
    assert stages(profile_plan("soak", FILE_LOAD, duration=600.0)) == [(30.0, 10), (600.0, 10), (30.0, 0)]


def test_stress_climbs_in_twenty_steps() -> None:
    plan = profile_plan("stress", FILE_LOAD)
    assert [s.users for s in plan.stages] == list(range(2, 42, 2))
    assert {s.duration for s in plan.stages} == {6.0}
    assert all(s.spawn_rate and s.spawn_rate >= 2 for s in plan.stages)


def test_a_file_without_load_scales_from_ten_users_and_a_minute() -> None:
    assert stages(profile_plan("load", Load())) == [(6.0, 10), (60.0, 10), (6.0, 0)]


def test_profiles_refuse_what_they_cannot_honour() -> None:
    with pytest.raises(UsageError, match="iterations"):
        profile_plan("load", FILE_LOAD, iterations=3)
    with pytest.raises(UsageError, match="unknown profile"):
        profile_plan("burst", FILE_LOAD)


def test_the_command_line_offers_every_profile_without_importing_locust() -> None:
    probe = ("import json, sys, loadspec.cli as cli\n"
             "run = cli.build_parser()._subparsers._group_actions[0].choices['run']\n"
             "profile = next(a for a in run._actions if a.dest == 'profile')\n"
             "print(json.dumps([list(profile.choices), 'locust' in sys.modules, 'ssl' in sys.modules]))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert json.loads(done.stdout) == [list(PROFILES), False, False], done.stderr


def test_stages_shape_moves_to_each_stage_in_turn() -> None:
    shape = StagesShape([Stage(2.0, 4), Stage(2.0, 4), Stage(1.0, 8, spawn_rate=50)])
    seen = []
    for t in (0.5, 2.5, 4.2, 5.5):
        shape.get_run_time = lambda t=t: t  # type: ignore[method-assign]
        seen.append(shape.tick())
    assert seen == [(4, 2.0), (4, 1.0), (8, 50), None]


def test_stress_watch_judges_each_step_on_its_own_requests() -> None:
    from locust.stats import RequestStats

    rule = threshold_from_text("requests < 15")
    stats = RequestStats()
    env = SimpleNamespace(stats=stats)
    watch = StressWatch([Stage(2.0, 1, 10.0), Stage(2.0, 2, 10.0)], [rule])
    assert watch(env, 0.7) is None  # window opens once the step's users are up
    for _ in range(10):
        stats.log_request("GET", "a", 10, 1)
    assert watch(env, 1.8) is None  # 10 requests in step 1: holds
    assert watch(env, 2.7) is None
    for _ in range(20):
        stats.log_request("GET", "a", 10, 1)
    assert watch(env, 3.8) == "stress: broke at 2 users"  # 20 in step 2, though 30 in all
    assert (watch.held, watch.broke_at.users) == (1, 2)  # type: ignore[union-attr]
    assert "held 1 user, broke at 2 users" in watch.summary()


# --- real runs --------------------------------------------------------------------------------

ONE_STEP = """\
version: 1
name: profiles
host: {host}
load: {load}
{thresholds}
scenarios:
  - name: s
    steps:
      - name: work
        get: {url}
"""


def test_stages_reach_the_user_counts_they_name(server: DemoServer, tmp_path: Path) -> None:
    load = ("{stages: [{duration: 1.5s, users: 3, spawn_rate: 20}, {duration: 1.5s, users: 3}, "
            "{duration: 1.5s, users: 6, spawn_rate: 20}, {duration: 1.5s, users: 6}]}")
    done, summary = run_json(tmp_path, ONE_STEP.format(host=server.url, load=load, thresholds="",
                                                       url="/slow?ms=50"))
    assert done.returncode == 0, done.stdout + done.stderr
    counts = [users for _, users in summary["users"]["timeline"]]
    assert 3 in counts and 6 in counts and max(counts) == 6
    assert counts.index(3) < counts.index(6)
    assert summary["ended_by"] == "stages"


def test_pacing_spaces_iterations(server: DemoServer, tmp_path: Path) -> None:
    load = "{users: 2, spawn_rate: 10, duration: 3s}"
    done, summary = run_json(tmp_path, ONE_STEP.format(host=server.url, load=load, thresholds="", url="/health"),
                             "--pacing", "1s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert 2 <= summary["totals"]["requests"] <= 10  # unpaced, /health runs hundreds of times in 3 s


def test_smoke_profile_runs_one_user_three_iterations(server: DemoServer, tmp_path: Path) -> None:
    load = "{users: 50, spawn_rate: 50, duration: 5m}"
    done, summary = run_json(tmp_path, ONE_STEP.format(host=server.url, load=load, thresholds="", url="/health"),
                             "--profile", "smoke")
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary["totals"]["requests"] == 3  # 50 users would have made 150 at least
    assert (summary["plan"]["users"], summary["plan"]["iterations"]) == (1, 3)
    assert summary["profile"] == "smoke" and summary["ended_by"] == "iterations"


def test_stress_profile_reports_where_it_broke(server: DemoServer, tmp_path: Path) -> None:
    # pacing pins each user to 5 requests/s (a quick /health answer never makes it late, even on a busy
    # machine), so 2 users hold rps < 12 and 3 break it: steps of 1 user, 3 s each
    load = "{users: 5, duration: 30s}"
    done, summary = run_json(tmp_path, ONE_STEP.format(host=server.url, load=load, thresholds="thresholds: [rps < 12]",
                                                       url="/health"), "--profile", "stress", "--pacing", "200ms")
    assert done.returncode == 3, done.stdout + done.stderr
    assert summary["stress"]["broke_at_users"] == 3 and summary["stress"]["held_users"] == 2
    assert "held 2 users, broke at 3 users" in done.stdout
    assert summary["elapsed_s"] < 30  # stopped at the breaking step, not after 20 steps
