"""The replay check of HAR recordings (`loadspec convert x.har --check URL`, and `loadspec run x.har`
before its load), against the real harapp (tests/harapp/app.py).

The app refuses stale CSRF tokens, wrong passwords, unknown bearer tokens and other users' orders,
and counts every request and every refusal in `/__stats`: each test judges the check by what the
app saw (one iteration of the recording: 11 requests), and the repaired YAML by a load on the app.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).parent
SESSION = HERE / "harapp" / "recordings" / "session.har"
STEPS = 11  # the steps of the converted session (one request each)


def _load_harapp() -> Any:
    spec = importlib.util.spec_from_file_location("harapp_app", HERE / "harapp" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HARAPP = _load_harapp()


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    base_url, stop = HARAPP.start_app()
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


def test_convert_check_writes_yaml_that_replays_with_zero_rejections(app: str, tmp_path: Path) -> None:
    out = tmp_path / "session.yaml"
    stats(app, reset=True)
    checked = loadspec("convert", str(SESSION), "--check", app, "-o", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert stats(app) == {"requests": STEPS, "failures": {}}  # one user, one iteration
    assert f"replay check against {app}: one user, one iteration" in checked.stderr
    assert "variables: 3 kept (3 changed live), 0 dropped" in checked.stderr
    assert checked.stderr.rstrip().endswith(f"replay check: all {STEPS} steps answered as recorded")
    assert "✗" not in checked.stderr and "Traceback" not in checked.stderr
    stats(app, reset=True)
    run = loadspec("run", str(out), "--host", app, "-u", "5", "-r", "5", "--iterations", "2", "-q",
                   env={"LOADSPEC_PASSWORD": "demo"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert stats(app) == {"requests": 5 * 2 * STEPS, "failures": {}}  # a YAML spec: no check before its load


def test_check_reports_a_refused_step_with_what_it_sent_and_the_password_masked(app: str, tmp_path: Path) -> None:
    out = tmp_path / "session.yaml"
    stats(app, reset=True)
    checked = loadspec("convert", str(SESSION), "--check", app, "-o", str(out),
                       env={"LOADSPEC_PASSWORD": "wrong-pass-4711"})
    assert stats(app)["failures"] == {"bad_credentials": 1}
    assert checked.returncode == 1, checked.stderr
    assert out.is_file() and "csrf_token" in out.read_text()  # written all the same
    report = checked.stderr[checked.stderr.index("replay check against"):]
    assert "  ✗ POST /login: recorded 302, got 401\n" in report
    assert f"      sent: POST {app}/login\n" in report
    assert "password=***" in report
    assert "wrong-pass-4711" not in checked.stdout + checked.stderr + out.read_text()
    assert "9 steps not reached: an earlier step failed and ended the iteration" in report
    assert report.rstrip().endswith(f"replay check: 10 of {STEPS} steps did not answer as recorded (the YAML is "
                                    "written all the same; exit code 1)")


def test_check_without_correlation_finds_the_stale_csrf_token(app: str) -> None:
    stats(app, reset=True)
    checked = loadspec("convert", str(SESSION), "--no-correlate", "--check", app)
    assert checked.returncode == 1
    assert stats(app)["failures"] == {"bad_csrf": 1}
    assert "✗ POST /login: recorded 302, got 403" in checked.stderr
    assert "csrf_token=Smm1YaCiNgw-ckDFnvQJv8Q2C83CD2h_" in checked.stderr  # sent as recorded: no credential
    assert "password=***" in checked.stderr and "password=demo" not in checked.stderr
    assert "variables: none correlated" in checked.stderr


def _about_recording(folder: Path, host: str, build: str = HARAPP.BUILD) -> Path:
    """A recording of /about (the build id as text) then /api/config?build=<that id>: the importer
    can only read the id back with a text regex, and the live app gives the same id again."""
    def entry(url: str, mime: str, text: str, at: int) -> dict[str, Any]:
        return {"startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1_767_268_800 + at)),
                "time": 5, "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0},
                "request": {"method": "GET", "url": url, "httpVersion": "HTTP/1.1", "headers": [],
                            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                             "headers": [{"name": "Content-Type", "value": mime}], "cookies": [],
                             "content": {"size": len(text), "mimeType": mime, "text": text},
                             "redirectURL": "", "headersSize": -1, "bodySize": len(text)}}

    about = HARAPP.page("About HarApp", f"<h1>About</h1>\n<p>Build <code>{build}</code></p>")
    entries = [entry(f"{host}/about", "text/html", about, 0),
               entry(f"{host}/api/config?build={build}", "application/json", json.dumps(HARAPP.CONFIG), 1)]
    path = folder / "about.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                                        "entries": entries}}))
    return path


def test_a_constant_read_by_a_text_regex_is_replayed_as_recorded(app: str, tmp_path: Path) -> None:
    har = _about_recording(tmp_path, "http://127.0.0.1:9")  # recorded elsewhere: --check gives the live URL
    plain = yaml.safe_load(loadspec("convert", str(har)).stdout)
    about, config = plain["scenarios"][0]["steps"]
    assert about["capture"] == {"build": {"regex": about["capture"]["build"]["regex"]}}  # the false correlation
    assert config["params"] == {"build": "{{ build }}"}
    stats(app, reset=True)
    checked = loadspec("convert", str(har), "--check", app)
    assert checked.returncode == 0, checked.stderr
    assert stats(app) == {"requests": 2, "failures": {}}
    assert ("variables: 0 kept (0 changed live), 1 dropped (the same value live as recorded, read by a text regex: "
            "replayed as recorded): build") in checked.stderr
    repaired = yaml.safe_load(checked.stdout)
    about, config = repaired["scenarios"][0]["steps"]
    assert "capture" not in about
    assert config["params"] == {"build": HARAPP.BUILD}


@pytest.mark.parametrize(("build", "live", "verdict"), [
    ("hb7f3a9c2e51", "hb7f3a9c2e51", "constant"),  # unchanged, read by a text regex: a false correlation
    ("hb7f3a9c2e51", "hb0000000042", "dynamic"),  # changed live: the capture stays
    ("rel-20240117", "rel-20240117", "kept"),  # unchanged, but a number of its own: could repeat by chance
])
def test_the_verdict_on_a_text_regex_capture(tmp_path: Path, build: str, live: str, verdict: str) -> None:
    from loadspec.sources.har.importer import import_har
    from loadspec.sources.har.replaycheck import Observed, judge

    recorded = import_har([_about_recording(tmp_path, "http://127.0.0.1:9", build)])
    about, config = recorded.spec.scenarios[0].steps
    seen = [Observed(about.name, "GET", "http://127.0.0.1:9/about", 200, variables={"build": live}),
            Observed(config.name, "GET", f"http://127.0.0.1:9/api/config?build={live}", 200,
                     variables={"build": live})]
    result = judge(recorded.spec, recorded.recorded, {"about": seen}, "http://127.0.0.1:9")
    assert [(v.name, v.verdict) for v in result.variables] == [("build", verdict)]
    assert result.constants == ((build,) if verdict == "constant" else ())
    assert result.passed


def _run(app: str, *extra: str) -> subprocess.CompletedProcess[str]:
    stats(app, reset=True)
    return loadspec("run", str(SESSION), "--host", app, "-u", "3", "-r", "3", "--iterations", "2", "-q", *extra)


def test_run_checks_the_recording_once_before_its_load(app: str) -> None:
    result = _run(app)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stats(app) == {"requests": STEPS + 3 * 2 * STEPS, "failures": {}}  # the check's iteration, then the load
    assert f"{3 * 2 * STEPS} requests, 0 failed" in result.stdout  # the check is not part of the load's results
    assert f"replay check: all {STEPS} steps answered as recorded" in result.stderr


def test_run_no_check_sends_only_the_load(app: str) -> None:
    result = _run(app, "--no-check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert stats(app) == {"requests": 3 * 2 * STEPS, "failures": {}}
    assert "replay check" not in result.stderr


def test_run_reports_the_check_and_runs_the_load_anyway(app: str) -> None:
    result = _run(app, "--no-correlate")
    assert result.returncode == 1
    assert stats(app)["failures"] == {"bad_csrf": 1 + 3 * 2}  # the check's login, then every iteration's
    assert "✗ POST /login: recorded 302, got 403" in result.stderr
    assert "did not answer as recorded — the load runs anyway; those steps will fail in it too" in result.stderr


def test_check_refuses_other_inputs_and_bad_urls(tmp_path: Path) -> None:
    curl = tmp_path / "calls.sh"
    curl.write_text("curl http://127.0.0.1:9/x\n")
    result = loadspec("convert", str(curl), "--check", "http://127.0.0.1:9")
    assert result.returncode == 2 and "--check replays HAR recordings; " in result.stderr
    result = loadspec("convert", str(SESSION), "--check", "127.0.0.1:9")
    assert result.returncode == 2 and "--check: '127.0.0.1:9' has no scheme; write http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_against_a_closed_port_reports_no_response(tmp_path: Path) -> None:
    result = loadspec("convert", str(SESSION), "--check", "http://127.0.0.1:9", "-o", str(tmp_path / "s.yaml"))
    assert result.returncode == 1
    assert "✗ GET /login: recorded 200, got no response: connection refused" in result.stderr, result.stderr
    assert "10 steps not reached" in result.stderr and "Traceback" not in result.stderr
