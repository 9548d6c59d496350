"""Credentials in a recording are never written or printed, and the replay still sends them.

A HAR file built here plants 27 kinds of credentials (form, JSON, text/plain JSON, multipart,
lists, GraphQL variables, query strings, Authorization / Proxy-Authorization / token and API-key
headers, URL userinfo, cookies, a bearer token a response produced ...). Every output of
`convert`, `validate`, `export`, `debug` and `run` (stdout, stderr, the YAML, the locustfile, every
report file) is searched for each planted value. The same recording is then replayed against a
recording server on 127.0.0.1 that checks each credential where it was sent and counts every
request it refused: a replay that masking broke shows up there, not in loadspec's report.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from loadspec.lang.credentials import Masker, is_secret_header, is_secret_name
from loadspec.sources.dispatch import load_source
from loadspec.sources.har.importer import import_har

HOST = "https://app.example.test"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Every value below is a credential the recording carries; none may appear in any output.
PLANTED = {
    "form password": "Fp-7Qz!form-pass-2291",
    "form client_secret": "cs_live_9f8e7d6c5b4a3210",
    "form OTP code": "482913",
    "form password_confirmation": "Signup-Pw-55aa77",
    "JSON password (application/json)": "Jp#jsonpass-8812",
    "JSON password (text/plain)": "Tp$plainjson-4471",
    "multipart password field": "Mp%multipart-6630",
    "password in a JSON list (1)": "Lp1-listpass-aa01",
    "password in a JSON list (2)": "Lp2-listpass-bb02",
    "GraphQL variables password": "Gq&graphql-pass-3390",
    "refresh_token in JSON": "rt_5c2a9e0f7b3d41e6a8c4",
    "nested apiKey in JSON": "nk_0a9b8c7d6e5f4a3b2c1d",
    "numeric pin in text/plain JSON": "90817263",
    "static bearer token": "st_bearer_e1d2c3b4a5968778",
    "basic auth password": "Bp-basic-pass-7781",
    "basic auth header": "Basic " + _b64("admin:Bp-basic-pass-7781"),
    "proxy auth password": "Pp-proxy-pass-1204",
    "proxy auth header": "Basic " + _b64("proxyuser:Pp-proxy-pass-1204"),
    "?access_token=": "qat_77e6d5c4b3a29180ffee",
    "?api_key=": "qak_1029384756abcdef",
    "X-Session-Token": "xst_abcdef0123456789aa",
    "X-Api-Key": "xak_f00dfeedbeef1234",
    "X-Auth-Token": "xat_99887766554433221100",
    "Private-Token": "glpat-PrivTok0987654321",
    "X-Amz-Security-Token": "FwoGZXIvYXdzEJr//////////wEaDAwsSecurityTok3n",
    "X-Aws-Secret-Access-Key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "URL userinfo password": "Up-userinfo-pass-5521",
    "Set-Cookie session": "sess_recorded_4b3c2d1e0f9a8b7c",
    "cookie set by JavaScript": "js_cookie_6d5e4f3a2b1c0d9e",
    "bearer token a response produced": "9f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
}
RECORDED_CSRF = "Csrf0rec0rded0a1b2c3d4e5f6a7b8c9"  # not a secret: a correlated dynamic value
BOUNDARY = "----loadspecBoundary7MA4YWxkTrZu0gW"


# --- the recording server --------------------------------------------------------------------------


class Recorder:
    """What the live server issued and received, and every request it refused (by path and reason)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, str] = {}  # session cookie -> its CSRF token
        self.tokens: set[str] = set()
        self.hits: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.received: list[dict[str, Any]] = []

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.refused.clear()
            self.received.clear()


def _check(request: dict[str, Any], rec: Recorder) -> tuple[int, Any, list[tuple[str, str]]]:
    """(status, JSON body or HTML text, extra headers) for one request; refusals say why."""
    path, method, headers = request["path"], request["method"], request["headers"]
    query = parse_qs(request["query"])
    body: str = request["body"]
    form = parse_qs(body) if "urlencoded" in headers.get("content-type", "") else {}
    cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
    auth = headers.get("authorization", "")

    def data() -> Any:
        return json.loads(body)

    if method == "GET" and path == "/login":
        session, csrf = "live_" + secrets.token_hex(12), secrets.token_hex(16)
        with rec.lock:
            rec.sessions[session] = csrf
        page = f'<html><head><meta name="csrf-token" content="{csrf}"></head><body>login</body></html>'
        return 200, page, [("Set-Cookie", f"session={session}; Path=/; HttpOnly")]
    session_csrf = rec.sessions.get(cookies.get("session", ""))
    checks: dict[tuple[str, str], Callable[[], bool]] = {
        ("POST", "/login"): lambda: form.get("password") == [PLANTED["form password"]]
        and form.get("csrf_token") == [session_csrf] and headers.get("x-csrf-token") == session_csrf,
        ("POST", "/mfa"): lambda: form.get("otp") == [PLANTED["form OTP code"]],
        ("POST", "/api/session"): lambda: data()["password"] == PLANTED["JSON password (application/json)"],
        ("GET", "/api/me"): lambda: auth.removeprefix("Bearer ") in rec.tokens,
        ("POST", "/api/login-plain"): lambda: data()["password"] == PLANTED["JSON password (text/plain)"]
        and headers.get("content-type", "").startswith("text/plain"),
        ("POST", "/profile"): lambda: f'name="new_password"\r\n\r\n{PLANTED["multipart password field"]}\r\n'
        in body and 'name="display_name"\r\n\r\nAlice A.\r\n' in body,
        ("POST", "/api/users/bulk"): lambda: [u["password"] for u in data()["users"]]
        == [PLANTED["password in a JSON list (1)"], PLANTED["password in a JSON list (2)"]],
        ("POST", "/graphql"): lambda: data()["variables"]["input"]["password"] == PLANTED["GraphQL variables password"],
        ("POST", "/api/refresh"): lambda: data() == {"refresh_token": PLANTED["refresh_token in JSON"]},
        ("POST", "/api/keys"): lambda: data() == {"config": {"apiKey": PLANTED["nested apiKey in JSON"]}},
        ("POST", "/api/pin"): lambda: data() == {"pin": int(PLANTED["numeric pin in text/plain JSON"])},
        ("GET", "/api/static"): lambda: auth == "Bearer " + PLANTED["static bearer token"],
        ("GET", "/admin"): lambda: auth == PLANTED["basic auth header"],
        ("GET", "/api/proxied"): lambda: headers.get("proxy-authorization") == PLANTED["proxy auth header"],
        ("GET", "/api/feed"): lambda: query == {"access_token": [PLANTED["?access_token="]], "page": ["2"]},
        ("GET", "/api/search"): lambda: query == {"api_key": [PLANTED["?api_key="]], "q": ["shoes"]},
        ("GET", "/api/cart"): lambda: headers.get("x-session-token") == PLANTED["X-Session-Token"],
        ("GET", "/api/products"): lambda: headers.get("x-api-key") == PLANTED["X-Api-Key"],
        ("GET", "/api/legacy"): lambda: headers.get("x-auth-token") == PLANTED["X-Auth-Token"],
        ("GET", "/api/git"): lambda: headers.get("private-token") == PLANTED["Private-Token"],
        ("GET", "/s3/object"): lambda: headers.get("x-amz-security-token") == PLANTED["X-Amz-Security-Token"]
        and headers.get("x-aws-secret-access-key") == PLANTED["X-Aws-Secret-Access-Key"],
        ("GET", "/private/report"): lambda: auth == "Basic " + _b64("alice:" + PLANTED["URL userinfo password"]),
        ("POST", "/oauth/token"): lambda: form.get("client_secret") == [PLANTED["form client_secret"]]
        and form.get("client_id") == ["app-1"],
        ("POST", "/signup"): lambda: form.get("password") == [PLANTED["form password_confirmation"]]
        and form.get("password_confirmation") == [PLANTED["form password_confirmation"]],
    }
    check = checks.get((method, path))
    if check is None:
        return 404, {"error": "no such endpoint"}, []
    if session_csrf is None:
        return 401, {"error": "no session"}, []
    try:
        ok = check()
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        return 401, {"error": "bad credential"}, []
    if path == "/api/session":
        token = secrets.token_hex(20)
        with rec.lock:
            rec.tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer"}, []
    return 200, {"ok": True}, []


def _handler(rec: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = {"method": self.command, "path": parts.path, "query": parts.query,
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": self.rfile.read(length).decode("utf-8", "replace")}
            status, body, extra = _check(request, rec)
            with rec.lock:
                rec.received.append(request)
                rec.hits[f"{self.command} {parts.path}"] += 1
                if status >= 400:
                    rec.refused[f"{self.command} {parts.path}: {body['error']}"] += 1
            payload = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, *_: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Recorder]]:
    rec = Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", rec
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- the recording -----------------------------------------------------------------------------------


def _entry(method: str, url: str, *, at: float, headers: dict[str, str] | None = None, body: str | None = None,
           mime: str = "", status: int = 200, response: Any = None,
           response_headers: list[tuple[str, str]] | None = None, rtype: str = "fetch") -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_767_268_800 + int(at)))
    text = response if isinstance(response, str) else json.dumps(response if response is not None else {"ok": True})
    content_type = "text/html" if isinstance(response, str) else "application/json"
    request_headers = {"User-Agent": "Mozilla/5.0 HeadlessChrome", **(headers or {})}
    if mime:
        request_headers["Content-Type"] = mime
    item: dict[str, Any] = {
        "startedDateTime": f"{stamp}.{int(round((at % 1) * 1000)):03d}Z", "time": 5, "_resourceType": rtype,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                    "headers": [{"name": k, "value": v} for k, v in request_headers.items()],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1},
        "response": {"status": status, "statusText": "OK", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": "Content-Type", "value": content_type}]
                     + [{"name": k, "value": v} for k, v in (response_headers or [])],
                     "cookies": [], "content": {"size": len(text), "mimeType": content_type, "text": text},
                     "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0},
    }
    if body is not None:
        item["request"]["postData"] = {"mimeType": mime, "text": body}
    return item


def _multipart(fields: dict[str, str]) -> str:
    lines = []
    for name, value in fields.items():
        lines += [f"--{BOUNDARY}", f'Content-Disposition: form-data; name="{name}"', "", value]
    return "\r\n".join(lines + [f"--{BOUNDARY}--", ""])


def recording(folder: Path) -> Path:
    """The planted session: log in (CSRF from a meta tag, a session cookie), then one request per
    kind of credential."""
    p = PLANTED
    cookie = {"Cookie": f"session={p['Set-Cookie session']}; remember={p['cookie set by JavaScript']}"}
    form = "application/x-www-form-urlencoded"
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/login", {"rtype": "document", "response": f'<html><head><meta name="csrf-token" '
                           f'content="{RECORDED_CSRF}"></head><body>login</body></html>',
                           "response_headers": [("Set-Cookie", f"session={p['Set-Cookie session']}; Path=/; "
                                                               "HttpOnly")]}),
        ("POST", "/login", {"mime": form, "headers": {"X-CSRF-Token": RECORDED_CSRF},
                            "body": f"username=alice&password={p['form password']}&csrf_token={RECORDED_CSRF}"}),
        ("POST", "/mfa", {"mime": form, "body": f"otp={p['form OTP code']}"}),
        ("POST", "/api/session", {"mime": "application/json", "body": json.dumps(
            {"email": "alice@example.test", "password": p["JSON password (application/json)"]}),
            "response": {"access_token": p["bearer token a response produced"], "token_type": "Bearer"}}),
        ("GET", "/api/me", {"headers": {"Authorization": f"Bearer {p['bearer token a response produced']}"}}),
        ("POST", "/api/login-plain", {"mime": "text/plain;charset=UTF-8", "body": json.dumps(
            {"user": "alice", "password": p["JSON password (text/plain)"]})}),
        ("POST", "/profile", {"mime": f"multipart/form-data; boundary={BOUNDARY}", "body": _multipart(
            {"display_name": "Alice A.", "new_password": p["multipart password field"]})}),
        ("POST", "/api/users/bulk", {"mime": "application/json", "body": json.dumps({"users": [
            {"name": "bob", "password": p["password in a JSON list (1)"]},
            {"name": "carol", "password": p["password in a JSON list (2)"]}]})}),
        ("POST", "/graphql", {"mime": "application/json", "body": json.dumps({
            "query": "mutation Login($input: LoginInput!) { login(input: $input) { ok } }",
            "variables": {"input": {"email": "alice@example.test", "password": p["GraphQL variables password"]}}})}),
        ("POST", "/api/refresh", {"mime": "application/json",
                                  "body": json.dumps({"refresh_token": p["refresh_token in JSON"]})}),
        ("POST", "/api/keys", {"mime": "application/json",
                               "body": json.dumps({"config": {"apiKey": p["nested apiKey in JSON"]}})}),
        ("POST", "/api/pin", {"mime": "text/plain", "body": f'{{"pin": {p["numeric pin in text/plain JSON"]}}}'}),
        ("GET", "/api/static", {"headers": {"Authorization": f"Bearer {p['static bearer token']}"}}),
        ("GET", "/admin", {"headers": {"Authorization": p["basic auth header"]}}),
        ("GET", "/api/proxied", {"headers": {"Proxy-Authorization": p["proxy auth header"]}}),
        ("GET", f"/api/feed?access_token={p['?access_token=']}&page=2", {}),
        ("GET", f"/api/search?api_key={p['?api_key=']}&q=shoes", {}),
        ("GET", "/api/cart", {"headers": {"X-Session-Token": p["X-Session-Token"]}}),
        ("GET", "/api/products", {"headers": {"X-Api-Key": p["X-Api-Key"]}}),
        ("GET", "/api/legacy", {"headers": {"X-Auth-Token": p["X-Auth-Token"]}}),
        ("GET", "/api/git", {"headers": {"Private-Token": p["Private-Token"]}}),
        ("GET", "/s3/object", {"headers": {"X-Amz-Security-Token": p["X-Amz-Security-Token"],
                                           "X-Aws-Secret-Access-Key": p["X-Aws-Secret-Access-Key"]}}),
        ("GET", "USERINFO/private/report", {}),
        ("POST", "/oauth/token", {"mime": form, "body": "grant_type=client_credentials&client_id=app-1&"
                                                        f"client_secret={p['form client_secret']}"}),
        ("POST", "/signup", {"mime": form, "body": f"password={p['form password_confirmation']}&"
                                                   f"password_confirmation={p['form password_confirmation']}"}),
    ]
    entries = []
    for index, (method, path, options) in enumerate(steps):
        if path.startswith("USERINFO"):
            url = HOST.replace("://", f"://alice:{p['URL userinfo password']}@") + path.removeprefix("USERINFO")
        else:
            url = HOST + path
        headers = {**(cookie if index else {}), **options.pop("headers", {})}
        entries.append(_entry(method, url, at=index * 0.1, headers=headers, **options))
    har = folder / "planted.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                                       "entries": entries}}), encoding="utf-8")
    return har


STEPS = 25  # requests per iteration, one per entry above


def loadspec(*args: str, env: dict[str, str] | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "loadspec", *args], capture_output=True, text=True, timeout=180,
                          env=environment, cwd=cwd)


def leaks(text: str) -> list[str]:
    """The planted credentials found in `text` (by their description)."""
    return [what for what, value in PLANTED.items() if value in text]


def assert_server_got_everything(rec: Recorder, iterations: int) -> None:
    """The server's own record: every endpoint hit `iterations` times, nothing refused."""
    assert dict(rec.refused) == {}
    assert len(rec.hits) == STEPS and set(rec.hits.values()) == {iterations}, rec.hits


# --- the tests -----------------------------------------------------------------------------------------


def test_convert_and_validate_write_and_print_no_credential(tmp_path: Path) -> None:
    har = recording(tmp_path)
    out = tmp_path / "planted.yaml"
    converted = loadspec("convert", str(har), "-o", str(out))
    assert converted.returncode == 0, converted.stderr
    text = out.read_text(encoding="utf-8")
    assert leaks(text) == [] and leaks(converted.stdout + converted.stderr) == []
    to_stdout = loadspec("convert", str(har))
    assert to_stdout.returncode == 0 and leaks(to_stdout.stdout + to_stdout.stderr) == []
    validated = loadspec("validate", str(har))
    assert validated.returncode == 0 and leaks(validated.stdout + validated.stderr) == []
    uncorrelated = tmp_path / "uncorrelated.yaml"  # the produced bearer token then becomes a variable too
    plain = loadspec("convert", str(har), "--no-correlate", "-o", str(uncorrelated))
    assert plain.returncode == 0 and leaks(plain.stdout + plain.stderr + uncorrelated.read_text("utf-8")) == []
    # what the YAML has instead: env templates, listed in its header and in the summary
    names = re.findall(r"\{\{ env\.(LOADSPEC_\w+) \}\}", text)
    assert len(set(names)) >= 24, sorted(set(names))
    for name in set(names):
        assert f"#   export {name}=..." in text and name in converted.stdout
    assert "host: https://app.example.test" in text and "alice:" not in text  # userinfo is not part of the host
    # the CSRF token and the bearer token a response produced are captured, not secrets
    assert 'X-Csrf-Token: "{{ csrf_token }}"' in text and 'csrf_token: "{{ csrf_token }}"' in text
    assert re.search(r'Authorization: "Bearer \{\{ access_token \}\}"', text), text


def test_recorded_values_are_kept_in_memory_only(tmp_path: Path) -> None:
    har = recording(tmp_path)
    result = import_har([har])
    values = list(result.secrets.values())
    not_replayed = ("Set-Cookie session", "cookie set by JavaScript", "bearer token a response produced")
    readable = values + [base64.b64decode(v.removeprefix("Basic ")).decode() for v in values if v.startswith("Basic ")]
    missing = [what for what, value in PLANTED.items()
               if what not in not_replayed and not any(value in v for v in readable)]
    assert missing == []  # every replayed credential has an env variable holding its recorded value
    assert "Basic " + _b64("alice:" + PLANTED["URL userinfo password"]) in values
    assert load_source(har).recorded_secrets == result.secrets  # what `loadspec run x.har` replays


def test_export_inlines_the_converted_spec_and_needs_the_env_values(tmp_path: Path,
                                                                    server: tuple[str, Recorder]) -> None:
    base_url, rec = server
    har = recording(tmp_path)
    target = tmp_path / "planted_locustfile.py"
    exported = loadspec("export", str(har), "-o", str(target), "--iterations", "1")
    assert exported.returncode == 0, exported.stderr
    text = target.read_text(encoding="utf-8")
    assert leaks(text) == [] and leaks(exported.stdout + exported.stderr) == []
    assert "SOURCE = 'planted.yaml'" in text and '"log"' not in text  # the converted spec, not the HAR
    assert "export LOADSPEC_PASSWORD=..." in text and "LOADSPEC_PASSWORD=..." in exported.stderr
    to_stdout = loadspec("export", str(har))
    assert to_stdout.returncode == 0 and leaks(to_stdout.stdout + to_stdout.stderr) == []

    locust = [sys.executable, "-m", "locust", "-f", str(target), "--headless", "-u", "1", "-r", "1", "-t", "30s",
              "--host", base_url]
    without = subprocess.run(locust, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                             env={k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")})
    assert without.returncode == 2 and "LOADSPEC_PASSWORD" in without.stderr
    rec.reset()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")},
           **import_har([har]).secrets}
    ran = subprocess.run(locust, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert_server_got_everything(rec, iterations=1)
    assert leaks(ran.stdout + ran.stderr) == []


def test_debug_masks_credentials_unless_asked(tmp_path: Path, server: tuple[str, Recorder]) -> None:
    base_url, rec = server
    har = recording(tmp_path)
    rec.reset()
    debug = loadspec("debug", str(har), "--host", base_url)
    assert debug.returncode == 0, debug.stdout + debug.stderr
    assert_server_got_everything(rec, iterations=1)
    shown = debug.stdout + debug.stderr
    assert leaks(shown) == []
    issued = rec.tokens | set(rec.sessions)  # what the live server handed out is masked too
    assert [value for value in issued if value in shown] == []
    assert "Authorization: Bearer ***" in shown and "X-Api-Key: ***" in shown and "access_token: ***" in shown
    assert "X-Csrf-Token" in shown and "***" not in next(line for line in shown.splitlines()
                                                         if "X-Csrf-Token" in line)  # CSRF: not a secret

    rec.reset()
    revealed = loadspec("debug", str(har), "--host", base_url, "--show-secrets")
    assert revealed.returncode == 0
    assert_server_got_everything(rec, iterations=1)
    assert PLANTED["X-Api-Key"] in revealed.stdout and PLANTED["static bearer token"] in revealed.stdout
    assert PLANTED["form password"] in revealed.stdout


def test_run_and_its_reports_hold_no_credential_and_the_server_got_them(tmp_path: Path,
                                                                        server: tuple[str, Recorder]) -> None:
    base_url, rec = server
    har = recording(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    rec.reset()
    ran = loadspec("run", str(har), "--host", base_url, "-u", "2", "-r", "2", "--iterations", "2",
                   "--html", str(reports / "r.html"), "--json", str(reports / "r.json"),
                   "--junit", str(reports / "r.xml"), "--csv", str(reports / "r"), cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"{2 * 2 * STEPS} requests, 0 failed" in ran.stdout
    assert f"replay check: all {STEPS} steps answered as recorded" in ran.stderr
    assert_server_got_everything(rec, iterations=1 + 4)  # the replay check's iteration, then the load
    assert leaks(ran.stdout + ran.stderr) == []
    written = sorted(reports.iterdir())
    assert {p.suffix for p in written} >= {".html", ".json", ".xml", ".csv"}
    for path in written:
        assert leaks(path.read_text(encoding="utf-8", errors="replace")) == [], path.name


def test_distributed_run_sends_the_recorded_credentials_to_its_workers(tmp_path: Path,
                                                                       server: tuple[str, Recorder]) -> None:
    """The workers get the converted spec and the recorded values from the master, and replay them."""
    base_url, rec = server
    rec.reset()
    ran = loadspec("run", str(recording(tmp_path)), "--host", base_url, "--processes", "1", "-u", "2", "-r", "2",
                   "--iterations", "1", "-q", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert_server_got_everything(rec, iterations=1 + 2)  # the replay check's iteration runs on the master
    assert leaks(ran.stdout + ran.stderr) == []


def test_real_environment_wins_over_the_recorded_credential(tmp_path: Path, server: tuple[str, Recorder]) -> None:
    base_url, rec = server
    rec.reset()
    ran = loadspec("run", str(recording(tmp_path)), "--host", base_url, "--iterations", "1", "-q",
                   env={"LOADSPEC_X_API_KEY": "not-the-key-4455"})
    assert ran.returncode == 1
    assert dict(rec.refused) == {"GET /api/products: bad credential": 2}  # in the replay check, then in the run
    assert "GET /api/products" in ran.stdout  # the failure is reported, without either key
    assert "✗ GET /api/products: recorded 200, got 401" in ran.stderr  # by the check, with what it sent
    assert leaks(ran.stdout + ran.stderr) == [] and "not-the-key-4455" not in ran.stdout + ran.stderr


# --- what counts as a secret -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "password", "passwd", "pwd", "user[password]", "newPassword", "password_confirmation", "client_secret",
    "api_key", "apiKey", "access_token", "refresh_token", "id_token", "token", "otp", "otp_code", "pin",
    "session", "sessionid", "PHPSESSID", "connect.sid", "auth", "aws_secret_access_key", "private_key",
    "credentials", "secret",
])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", [
    "csrf_token", "csrfmiddlewaretoken", "authenticity_token", "_token", "__RequestVerificationToken",
    "next_page_token", "pageToken", "token_type", "password_hint", "username", "email", "client_id", "code",
    "state", "grant_type", "expires_in", "session_state", "q", "page",
])
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(("name", "secret"), [
    ("Authorization", True), ("Proxy-Authorization", True), ("Cookie", True), ("Set-Cookie", True),
    ("X-Api-Key", True), ("X-Session-Token", True), ("X-Auth-Token", True), ("X-Amz-Security-Token", True),
    ("Ocp-Apim-Subscription-Key", True), ("X-CSRF-Token", False), ("X-XSRF-TOKEN", False),
    ("X-Request-Id", False), ("Content-Type", False), ("User-Agent", False),
])
def test_secret_headers(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret


def test_masker_hides_values_by_name_and_wherever_a_known_value_appears() -> None:
    mask = Masker(["s3cr3t-value"])
    assert mask.headers({"Authorization": "Bearer abc.def", "X-Trace": "id s3cr3t-value"}) == {
        "Authorization": "Bearer ***", "X-Trace": "id ***"}
    assert mask.data({"user": {"password": "pw1234"}, "list": [{"token": "t0k3n"}], "n": 3}) == {
        "user": {"password": "***"}, "list": [{"token": "***"}], "n": 3}
    assert mask.url("https://bob:pw@h.test/x?access_token=abc&page=2") == "https://***@h.test/x?access_token=***&page=2"
    assert mask.body_text("user=bob&password=hunter22") == "user=bob&password=***"
    assert mask.variable("access_token", "tok-9876") == "***" and mask.text("sent tok-9876") == "sent ***"
    assert Masker(["s3cr3t-value"], show=True).text("s3cr3t-value") == "s3cr3t-value"


def test_protector_rewrites_each_body_kind_in_place() -> None:
    from loadspec.lang.credentials import Protector, SecretRegistry
    from loadspec.sources.har.correlate import DraftRequest

    registry = SecretRegistry()
    json_body = DraftRequest(label="POST /x", method="post", path="/x", body_kind="json",
                             body={"pin": 1234, "items": [{"secret": "abc-secret-1"}], "ok": True})
    escaped = DraftRequest(label="POST /y", method="post", path="/y/abc-secret-1", body_kind="raw",
                           body='{"password": "p\\u00E4ss", "note": "sent abc-secret-1 again"}')
    urlencoded = DraftRequest(label="POST /z", method="post", path="/z", body_kind="raw",
                              body="user=bob&pwd=s%40cret")
    for draft in (json_body, escaped, urlencoded):
        Protector(registry).protect(draft)
    assert json_body.body == {"pin": "{{ env.LOADSPEC_PIN }}", "items": [{"secret": "{{ env.LOADSPEC_SECRET }}"}],
                              "ok": True}
    assert json_body.notes == ["the numeric credential pin is sent as text (from an environment variable)"]
    assert json.loads(escaped.body.replace("{{ env.LOADSPEC_PASSWORD }}", "X")) == {
        "password": "X", "note": "sent {{ env.LOADSPEC_SECRET }} again"}  # written again: the escape is kept out
    assert escaped.path == "/y/{{ env.LOADSPEC_SECRET }}"
    assert urlencoded.body == "user=bob&pwd={{ env.LOADSPEC_PWD }}"
    assert registry.by_name["LOADSPEC_PASSWORD"].value == "p\\u00e4ss"  # as JSON writes it: the body was written again
    assert registry.by_name["LOADSPEC_PWD"].value == "s%40cret"


def test_failure_examples_of_a_yaml_run_hold_no_credential(tmp_path: Path) -> None:
    """A refused request's failure example (URL and response body excerpt) reaches the console and
    every report: the API key sent in its query and the token in the refusing body are masked there,
    while the server received the real key."""
    api_key, issued = "key-" + secrets.token_hex(12), "srv-" + secrets.token_hex(16)
    received: list[str] = []

    class Refusing(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            received.append(parse_qs(urlsplit(self.path).query).get("api_key", [""])[0])
            payload = json.dumps({"error": "quota", "access_token": issued, "detail": "try later"}).encode()
            self.send_response(403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    spec = tmp_path / "refused.yaml"
    spec.write_text(f"""\
name: refused
host: http://127.0.0.1:{httpd.server_address[1]}
scenarios:
  - name: s
    steps:
      - {{name: quota, get: "/quota?api_key={{{{ env.SERVICE_API_KEY }}}}&page=2"}}
""", encoding="utf-8")
    reports = tmp_path / "reports"
    try:
        ran = loadspec("run", str(spec), "-u", "1", "--iterations", "2", "--report-dir", str(reports),
                       env={"SERVICE_API_KEY": api_key}, cwd=tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert received == [api_key, api_key]  # the server got the real key, twice
    written = sorted(p for p in reports.rglob("*") if p.is_file())
    assert {p.suffix for p in written} >= {".html", ".json", ".xml"}
    examples = json.loads(next(p for p in written if p.suffix == ".json").read_text())
    assert "quota" in json.dumps(examples) and "***" in json.dumps(examples)  # the example is there, masked
    for text in [ran.stdout + ran.stderr] + [p.read_text(encoding="utf-8", errors="replace") for p in written]:
        assert api_key not in text and issued not in text
