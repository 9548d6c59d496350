"""`loadspec run recording.har` against the real harapp: correlation proven by zero server-side failures.

The app (tests/harapp/app.py) rejects any stale CSRF token, missing session cookie, unknown bearer
token or another user's order id, and counts every rejection in `/__stats`. Each test replays a
committed browser recording with 5 concurrent users the way a user would (a `loadspec` subprocess)
and then asks the app what it saw: a correct replay leaves `"failures": {}`. Before the load, `run`
replays a recording once with one user (the replay check, tests/test_har_check.py): the app sees
that iteration too, loadspec's own counts do not.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
RECORDINGS = HERE / "harapp" / "recordings"
STEPS_PER_ITERATION = 11  # a redirect is replayed as a redirect: → /dashboard and → /login are steps of their own
REQUESTS_PER_ITERATION = 11  # one request per step: no step follows a redirect by itself


def _load_harapp() -> Any:
    spec = importlib.util.spec_from_file_location("harapp_app", HERE / "harapp" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    base_url, stop = _load_harapp().start_app()
    try:
        yield base_url
    finally:
        stop()


def stats(base_url: str, *, reset: bool = False) -> dict[str, Any]:
    request = urllib.request.Request(base_url + ("/__stats/reset" if reset else "/__stats"),
                                     method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def loadspec(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "loadspec", *args], capture_output=True, text=True, timeout=120,
                          env=environment)


def run(app: str, source: Path, *extra: str, users: int = 5, iterations: int = 2,
        env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    stats(app, reset=True)
    result = loadspec("run", str(source), "--host", app, "-u", str(users), "-r", str(users),
                      "--iterations", str(iterations), "-q", *extra, env=env)
    return result, stats(app)


def totals(output: str) -> tuple[int, int]:
    found = re.search(r"(\d+) requests, (\d+) failed", output)
    assert found, output
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("recording", ["session.har", "chrome_devtools.har", "firefox.har"])
def test_recordings_replay_with_five_users_and_zero_failures(app: str, recording: str) -> None:
    result, seen = run(app, RECORDINGS / recording)
    assert result.returncode == 0, result.stdout + result.stderr
    assert totals(result.stdout) == (5 * 2 * STEPS_PER_ITERATION, 0)
    assert seen == {"requests": (1 + 5 * 2) * REQUESTS_PER_ITERATION, "failures": {}}  # the check's iteration too
    assert "16 entries" in result.stderr or "17 entries" in result.stderr  # the import summary
    assert "Traceback" not in result.stderr


def test_sanitized_export_warns_and_fails_exactly_where_the_token_was_stripped(app: str) -> None:
    """Chrome's default export removed Cookie, Set-Cookie and Authorization. What happens:
    the CSRF token still comes from the login page's HTML and the session cookie from the cookie
    jar, so login and the token request succeed; but no request carries the bearer token, so the
    first order request gets 401 `bad_token` and the rest of each iteration is skipped."""
    result, seen = run(app, RECORDINGS / "chrome_sanitized.har")
    assert "looks like a sanitized export" in result.stderr
    assert "Allow to generate HAR with sensitive data" in result.stderr
    assert result.returncode == 1
    assert totals(result.stdout) == (5 * 2 * 5, 10)  # login page, login (302), dashboard, token, orders
    assert "POST /api/orders: assert #1 status eq 201 (got 401)" in result.stdout
    assert "✗ POST /api/orders: recorded 201, got 401" in result.stderr  # the replay check said so first
    assert seen["failures"] == {"bad_token": 1 + 10}  # no bad_csrf, no bad_session: those still work


def test_convert_validate_run_round_trip(app: str, tmp_path: Path) -> None:
    out = tmp_path / "session.yaml"
    converted = loadspec("convert", str(RECORDINGS / "session.har"), "-o", str(out))
    assert converted.returncode == 0, converted.stderr
    assert "before running it, set: LOADSPEC_PASSWORD=..." in converted.stdout
    assert loadspec("validate", str(out)).returncode == 0
    missing = loadspec("run", str(out), "--host", app, "-q")
    assert missing.returncode == 2 and "LOADSPEC_PASSWORD" in missing.stderr and "Traceback" not in missing.stderr
    result, seen = run(app, out, env={"LOADSPEC_PASSWORD": "demo"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert totals(result.stdout) == (5 * 2 * STEPS_PER_ITERATION, 0)
    assert seen["failures"] == {}


def test_real_environment_variables_win_over_recorded_credentials(app: str) -> None:
    result, seen = run(app, RECORDINGS / "firefox.har", "--no-check", users=1, iterations=1,
                       env={"LOADSPEC_PASSWORD": "not-the-password"})
    assert result.returncode == 1
    assert seen["failures"] == {"bad_credentials": 1}


def test_without_correlation_the_replay_sends_stale_values(app: str) -> None:
    result, seen = run(app, RECORDINGS / "session.har", "--no-correlate", "--no-check", users=1, iterations=1)
    assert result.returncode == 1
    assert seen["failures"] == {"bad_csrf": 1}  # the recorded CSRF token is stale: login is refused


def test_debug_runs_a_recording_once(app: str) -> None:
    stats(app, reset=True)
    result = loadspec("debug", str(RECORDINGS / "chrome_devtools.har"), "--host", app)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stats(app) == {"requests": REQUESTS_PER_ITERATION, "failures": {}}  # one user, one iteration
