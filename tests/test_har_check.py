"""The replay check of HAR recordings (`loadspec convert x.har --check URL`, and `loadspec run x.har`
before its load), against the real harapp (tests/harapp/app.py).

The app refuses stale CSRF tokens, wrong passwords, unknown bearer tokens and other users' orders,
and counts every request and every refusal in `/__stats`: each test judges the check by what the
app saw (one iteration of the recording: 11 requests), and the repaired YAML by a load on the app.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
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
    assert stats(app) == {"requests": 2 + 2, "failures": {}}  # the iteration, then the repaired spec's
    assert ("variables: 0 kept (0 changed live), 1 dropped (the same value live as recorded, read by a text regex: "
            "replayed as recorded): build") in checked.stderr
    assert "replayed once more with the repaired spec (0 added, 1 dropped): one user, one iteration" in checked.stderr
    assert checked.stderr.rstrip().endswith("replay check: all 2 steps answered as recorded after the repair")
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


def _record_notes(base_url: str, path: Path) -> Path:
    """One user's notes session on the live harapp, recorded exchange by exchange into a HAR (as a
    browser would: cookies sent and set, redirects not followed): log in, open the new-note form (a
    4-letter nonce), create a note (a short counted number), publish it with the nonce."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    jar: dict[str, str] = {}
    entries: list[dict[str, Any]] = []

    def send(method: str, target: str, body: str | None = None, content_type: str | None = None) -> str:
        headers = {"Accept": "*/*", **({"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}),
                   **({"Content-Type": content_type} if content_type else {})}
        started = time.time()
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie, _, attributes = value.partition(";")
                key, _, content = cookie.partition("=")
                jar.pop(key, None) if "Max-Age=0" in attributes else jar.__setitem__(key, content)
        mime = response.getheader("Content-Type", "")
        request: dict[str, Any] = {
            "method": method, "url": base_url + target, "httpVersion": "HTTP/1.1", "queryString": [], "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in headers.items()], "headersSize": -1,
            "bodySize": len(body or "")}
        if body is not None:
            request["postData"] = {"mimeType": content_type, "text": body}
        entries.append({
            "startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(started)), "time": 1, "cache": {},
            "timings": {"send": 0, "wait": 1, "receive": 0}, "request": request,
            "response": {"status": response.status, "statusText": response.reason, "httpVersion": "HTTP/1.1",
                         "headers": [{"name": k, "value": v} for k, v in response.getheaders()], "cookies": [],
                         "content": {"size": len(text), "mimeType": mime, "text": text},
                         "redirectURL": response.getheader("Location", ""), "headersSize": -1, "bodySize": len(text)}})
        assert response.status < 400, (method, target, response.status, text)
        return text

    login = send("GET", "/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf is not None
    send("POST", "/login", urllib.parse.urlencode({"csrf_token": csrf.group(1), "username": "alice",
                                                   "password": "demo"}), "application/x-www-form-urlencoded")
    nonce = re.search(r'name="nonce" value="([a-z]{4})"', send("GET", "/notes/new"))
    assert nonce is not None
    number = json.loads(send("POST", "/api/notes", json.dumps({"text": "hello"}), "application/json"))["number"]
    send("POST", f"/notes/{number}/publish", urllib.parse.urlencode({"nonce": nonce.group(1)}),
         "application/x-www-form-urlencoded")
    connection.close()
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                                        "entries": entries}}))
    return path


def test_check_adds_the_short_values_the_importer_missed(app: str, tmp_path: Path) -> None:
    har = _record_notes(app, tmp_path / "notes.har")
    password = {"LOADSPEC_PASSWORD": "demo"}
    plain = tmp_path / "plain.yaml"
    assert loadspec("convert", str(har), "-o", str(plain)).returncode == 0
    publish = yaml.safe_load(plain.read_text())["scenarios"][0]["steps"][4]
    assert re.fullmatch(r"/notes/\d{1,3}/publish", publish["post"])
    assert re.fullmatch("[a-z]{4}", publish["form"]["nonce"])
    stats(app, reset=True)  # without the check, every user publishes the recorded note with the recorded nonce
    run = loadspec("run", str(plain), "--host", app, "-u", "3", "-r", "3", "--iterations", "2", "-q", env=password)
    assert run.returncode != 0
    assert stats(app) == {"requests": 3 * 2 * 5, "failures": {"unknown_note": 3 * 2}}

    out = tmp_path / "notes.yaml"
    stats(app, reset=True)
    checked = loadspec("convert", str(har), "--check", app, "-o", str(out), env=password)
    assert checked.returncode == 0, checked.stderr
    # the first iteration learns that both values changed (its publish is refused once); the second one passes
    assert stats(app) == {"requests": 5 + 5, "failures": {"unknown_note": 1}}
    report = checked.stderr[checked.stderr.index("replay check against"):]
    assert "  ✗ POST /notes/{id}/publish: recorded 200, got 404\n" in report
    assert "  variables: 1 kept (1 changed live), 0 dropped\n" in report
    assert "  added: nonce from HTML hidden input nonce of GET /notes/new, used by 1 request\n" in report
    assert "  added: note_id from JSON number of POST /api/notes, used by 1 request\n" in report
    assert "replayed once more with the repaired spec (2 added, 0 dropped): one user, one iteration\n" in report
    assert report.rstrip().endswith("replay check: all 5 steps answered as recorded after the repair")
    steps = yaml.safe_load(out.read_text())["scenarios"][0]["steps"]
    assert steps[2]["capture"]["nonce"] == {"regex": steps[2]["capture"]["nonce"]["regex"]}
    assert steps[3]["capture"] == {"note_id": {"json": "number"}}
    assert (steps[4]["name"], steps[4]["post"], steps[4]["form"]) == (
        "POST /notes/{note_id}/publish", "/notes/{{ note_id }}/publish", {"nonce": "{{ nonce }}"})
    stats(app, reset=True)
    run = loadspec("run", str(out), "--host", app, "-u", "3", "-r", "3", "--iterations", "2", "-q", env=password)
    assert run.returncode == 0, run.stdout + run.stderr
    assert stats(app) == {"requests": 3 * 2 * 5, "failures": {}}


def _json_recording(folder: Path, first: dict[str, Any], form: str) -> Path:
    """GET /api/start answering `first`, then POST /api/things/7/mark sending the urlencoded `form`."""
    def entry(method: str, url: str, body: str | None, answer: str, at: int) -> dict[str, Any]:
        request: dict[str, Any] = {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": [],
                                   "queryString": [], "cookies": [], "headersSize": -1, "bodySize": len(body or "")}
        if body is not None:
            request["postData"] = {"mimeType": "application/x-www-form-urlencoded", "text": body}
        return {"startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1_767_268_800 + at)),
                "time": 5, "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}, "request": request,
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                             "headers": [{"name": "Content-Type", "value": "application/json"}], "cookies": [],
                             "content": {"size": len(answer), "mimeType": "application/json", "text": answer},
                             "redirectURL": "", "headersSize": -1, "bodySize": len(answer)}}

    path = folder / "things.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [
        entry("GET", "http://127.0.0.1:9/api/start", None, json.dumps(first), 0),
        entry("POST", "http://127.0.0.1:9/api/things/7/mark", form, "{}", 1)]}}))
    return path


def test_values_that_changed_live_are_added_by_their_place_and_key(tmp_path: Path) -> None:
    from loadspec.sources.har.entries import HarOptions
    from loadspec.sources.har.importer import import_har
    from loadspec.sources.har.replaycheck import Observed, added_variables, judge

    recorded = {"number": 7, "count": 3, "label": "blue", "kind": "plain", "gone": "soon"}
    har = _json_recording(tmp_path, recorded, "qty=3&label=blue&kind=plain&gone=soon")
    first = import_har([har])
    start, mark = first.spec.scenarios[0].steps
    assert mark.url == "/api/things/7/mark" and not start.captures  # shapes the importer never correlates

    live = {"number": 12, "count": 4, "label": "teal", "kind": "plain"}  # `gone` missing live: proves nothing
    seen = [Observed(start.name, "GET", "http://127.0.0.1:9/api/start", 200, text=json.dumps(live),
                     headers=[("Content-Type", "application/json")]),
            Observed(mark.name, "POST", "http://127.0.0.1:9/api/things/7/mark", 200, text="{}")]
    result = judge(first.spec, first.recorded, {"things": seen}, "http://127.0.0.1:9")
    assert result.changed == ("7", "3", "blue") and result.dynamic == ("7", "3", "blue")
    assert result.passed and result.constants == ()

    repaired = import_har([har], HarOptions(dynamic=result.dynamic))
    start, mark = repaired.spec.scenarios[0].steps
    assert [(c.name, c.query.kind, c.query.selector) for c in start.captures] == [
        ("thing_id", "json", "number"), ("label", "json", "label")]
    assert mark.url == "/api/things/{{ thing_id }}/mark" and mark.name == "POST /api/things/{thing_id}/mark"
    # `count` changed too, but the request sends 3 as `qty`: another key, so not that value
    assert mark.body is not None and mark.body.value == {"qty": "3", "label": "{{ label }}", "kind": "plain",
                                                         "gone": "soon"}
    assert [(a.name, a.source, a.uses) for a in added_variables(first, repaired)] == [
        ("label", "JSON label of GET /api/start", 1), ("thing_id", "JSON number of GET /api/start", 1)]


def test_generated_looking_values_are_left_to_the_importer(tmp_path: Path) -> None:
    from loadspec.sources.har.importer import import_har
    from loadspec.sources.har.replaycheck import Observed, judge

    har = _json_recording(tmp_path, {"ref": "a8f3c2d9e1"}, "ref=a8f3c2d9e1")
    first = import_har([har])
    start, mark = first.spec.scenarios[0].steps
    assert [c.name for c in start.captures] == ["ref"]  # correlated by the importer already
    seen = [Observed(start.name, "GET", "http://127.0.0.1:9/api/start", 200, text='{"ref": "ffff00001111"}'),
            Observed(mark.name, "POST", "http://127.0.0.1:9/api/things/7/mark", 404, text="{}")]
    result = judge(first.spec, first.recorded, {"things": seen}, "http://127.0.0.1:9")
    assert result.changed == ("a8f3c2d9e1",) and result.dynamic == ()  # not handed back: the importer has it
    assert [step.name for step in result.differing] == [mark.name]


def test_run_of_a_recording_repairs_it_before_its_load(app: str, tmp_path: Path) -> None:
    har = _record_notes(app, tmp_path / "notes.har")
    stats(app, reset=True)
    result = loadspec("run", str(har), "--host", app, "-u", "3", "-r", "3", "--iterations", "2", "-q",
                      env={"LOADSPEC_PASSWORD": "demo"})
    assert result.returncode == 0, result.stdout + result.stderr
    # the check's two iterations (the first one's publish refused), then a load without a rejection
    assert stats(app) == {"requests": 5 + 5 + 3 * 2 * 5, "failures": {"unknown_note": 1}}
    assert "added: note_id from JSON number of POST /api/notes, used by 1 request" in result.stderr
    assert f"{3 * 2 * 5} requests, 0 failed" in result.stdout


def test_a_changed_location_that_a_later_path_continues_is_added(tmp_path: Path) -> None:
    from loadspec.sources.har.entries import HarOptions
    from loadspec.sources.har.importer import import_har
    from loadspec.sources.har.replaycheck import Observed, judge

    def entry(method: str, path: str, status: int, headers: list[dict[str, str]], at: int) -> dict[str, Any]:
        return {"startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1_767_268_800 + at)),
                "time": 5, "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0},
                "request": {"method": method, "url": "http://127.0.0.1:9" + path, "httpVersion": "HTTP/1.1",
                            "headers": [], "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
                             "headers": [{"name": "Content-Type", "value": "application/json"}, *headers],
                             "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                             "redirectURL": "", "headersSize": -1, "bodySize": 2}}

    har = tmp_path / "located.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [
        entry("POST", "/api/notes", 201, [{"name": "Location", "value": "/api/notes/5"}], 0),
        entry("GET", "/api/notes/5", 200, [], 1),
        entry("POST", "/api/notes/5/publish", 200, [], 2)]}}))
    first = import_har([har])
    create, show, publish = first.spec.scenarios[0].steps
    assert show.url == "{{ note_url }}" and publish.url == "/api/notes/5/publish"  # the importer: whole URLs only
    seen = [Observed(create.name, "POST", "http://127.0.0.1:9/api/notes", 201, text="{}",
                     headers=[("Content-Type", "application/json"), ("Location", "/api/notes/9")]),
            Observed(show.name, "GET", "http://127.0.0.1:9/api/notes/9", 200, text="{}"),
            Observed(publish.name, "POST", "http://127.0.0.1:9/api/notes/5/publish", 404, text="{}")]
    result = judge(first.spec, first.recorded, {"located": seen}, "http://127.0.0.1:9")
    assert result.dynamic == ("/api/notes/5",)
    create, show, publish = import_har([har], HarOptions(dynamic=result.dynamic)).spec.scenarios[0].steps
    assert [(c.name, c.query.kind, c.query.selector) for c in create.captures] == [("note_url", "header", "Location")]
    assert (show.url, publish.url) == ("{{ note_url }}", "{{ note_url }}/publish")
