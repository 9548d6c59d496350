"""HAR import without running load: what `loadspec convert` keeps, drops, correlates and writes.

Every test writes a real HAR file to disk (or uses the committed browser recordings of
tests/harapp) and calls loadspec the way a user would (`loadspec convert`, `loadspec validate`),
then checks what the user sees: the summary, the YAML, the exit code and the messages.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from loadspec.cli import main
from loadspec.lang.units import parse_duration
from loadspec.model import GroupStep, LoopStep, RequestStep, Spec, Step
from loadspec.sources.har.importer import HarOptions, clean_headers, import_har, templated_path
from loadspec.sources.loader import load_spec, load_spec_text
from loadspec.writers.yaml import duration, scalar, write_yaml

RECORDINGS = Path(__file__).parent / "harapp" / "recordings"
EXAMPLES = Path(__file__).parent.parent / "examples"
HOST = "https://shop.example.test"

# The values the recorded session of tests/harapp carries (identical in every recording).
RECORDED = {
    "password": "demo",
    "bearer token": "9aaa108e1bf47fabfa896f7fdb4b013487cd7e7a",
    "csrf token": "Smm1YaCiNgw-ckDFnvQJv8Q2C83CD2h_",
    "order id": "ord_a0c8bfbd19bf65a9",
    "session cookie": "4e54bddd245918efdb8f938c2adfa8c1",
    "presession cookie": "dd2f67a95783a864cceda18d43f3f8d6",
}


# --- building HAR files ---------------------------------------------------------------------------


def entry(method: str, url: str, status: int = 200, *, at: float = 0.0, ms: float = 10.0, rtype: str | None = None,
          mime: str = "application/json", body: Any = None, request: Any = None,
          request_mime: str = "application/json", headers: dict[str, str] | None = None,
          response_headers: list[tuple[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    """One HAR 1.2 entry, `at` seconds after the start of the recording."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_767_268_800 + int(at)))
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    item: dict[str, Any] = {
        "startedDateTime": f"{stamp}.{int(round((at % 1) * 1000)):03d}Z",
        "time": ms,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                    "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": "Content-Type", "value": mime}]
                     + [{"name": k, "value": v} for k, v in (response_headers or [])],
                     "cookies": [], "content": {"size": len(text or ""), "mimeType": mime,
                                                **({"text": text} if text is not None else {})},
                     "redirectURL": next((v for k, v in (response_headers or []) if k.lower() == "location"), ""),
                     "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": ms, "receive": 0},
    }
    if request is not None:
        item["request"]["postData"] = {"mimeType": request_mime,
                                       "text": request if isinstance(request, str) else json.dumps(request)}
    if rtype:
        item["_resourceType"] = rtype
    item.update(extra)
    return item


def har_file(folder: Path, name: str, entries: list[dict[str, Any]], *, creator: str = "WebInspector",
             version: str = "1.2") -> Path:
    path = folder / name
    path.write_text(json.dumps({"log": {"version": version, "creator": {"name": creator, "version": "1"},
                                        "pages": [], "entries": entries}}), encoding="utf-8")
    return path


def convert(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["convert", *args])
    out, err = capsys.readouterr()
    return code, out, err


def steps_of(spec: Spec, scenario: int = 0) -> list[RequestStep]:
    return [s for s in spec.scenarios[scenario].steps if isinstance(s, RequestStep)]


def predicates(items: list[Any]) -> list[tuple[str, Any]]:
    return [(p.op, predicates(p.value) if p.op == "length" and isinstance(p.value, list) else p.value)
            for p in items]


def project(spec: Spec) -> dict[str, Any]:
    """Everything the importer decides, without source positions (for round-trip comparisons)."""
    def assertion(a: Any) -> tuple[Any, ...]:
        return (a.query.kind, a.query.selector, predicates(a.predicates))

    def step(s: Step) -> tuple[Any, ...]:
        if isinstance(s, LoopStep):
            return ("loop", s.count, s.over, s.as_name, [step(c) for c in s.steps])
        if isinstance(s, GroupStep):
            return ("group", s.name, [step(c) for c in s.steps])
        return (s.name, s.method, s.url, s.headers, s.params, (s.body.kind, s.body.value) if s.body else None,
                s.allow_redirects, (s.think_time.minimum, s.think_time.maximum) if s.think_time else None,
                s.timeout, s.verify_tls, s.probability, s.on_fail, assertion(s.when) if s.when else None,
                [(c.name, c.query.kind, c.query.selector, c.pick, c.has_default, c.default) for c in s.captures],
                [assertion(a) for a in s.assertions])
    return {"name": spec.name, "host": spec.host, "defaults": spec.defaults, "variables": spec.variables,
            "load": spec.load, "thresholds": [(t.text, t.step, t.abort_on_fail, t.delay_abort_eval)
                                              for t in spec.thresholds],
            "scenarios": [(sc.name, sc.weight, [step(s) for s in sc.setup], [step(s) for s in sc.steps])
                          for sc in spec.scenarios]}


# --- the committed browser recordings --------------------------------------------------------------


@pytest.mark.parametrize("name", ["session", "chrome_http1", "chrome_devtools", "firefox", "chrome_sanitized"])
def test_recordings_convert_to_valid_yaml_that_round_trips(name: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{name}.yaml"
    code, stdout, _ = convert(capsys, str(RECORDINGS / f"{name}.har"), "-o", str(out))
    assert code == 0
    assert f"wrote {out}" in stdout
    text = out.read_text(encoding="utf-8")
    assert main(["validate", str(out)]) == 0
    imported = import_har([RECORDINGS / f"{name}.har"]).spec
    assert project(load_spec_text(text, str(out), base_dir=tmp_path)) == project(imported)
    names = [s.name for s in steps_of(imported)]
    assert names == ["GET /login", "POST /login", "GET /dashboard", "POST /api/token", "POST /api/orders",
                     "GET /api/orders/{order_id}", "PUT /api/orders/{order_id}", "POST /api/orders/{order_id}/submit",
                     "GET /api/config", "GET /logout", "GET /login"]
    assert all(s.assertions and s.assertions[0].query.kind == "status" for s in steps_of(imported))


def test_summary_lists_drops_redirects_correlations_and_secrets(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    code, out, _ = convert(capsys, str(RECORDINGS / "chrome_devtools.har"), "-o", str(tmp_path / "c.yaml"))
    assert code == 0
    assert "17 entries → 11 steps on 127.0.0.1:44977, 6 dropped" in out
    assert "dropped    6  static asset" in out
    assert "POST /login → 302 /dashboard" in out and "GET /logout → 302 /login" in out
    assert "csrf_token    from HTML hidden input csrf_token of GET /login  →  form csrf_token of POST /login" in out
    assert "access_token  from JSON access_token of POST /api/token" in out
    assert "order_id      from JSON id of POST /api/orders  →  URL of GET /api/orders/{order_id}" in out
    assert "LOADSPEC_PASSWORD  form password of POST /login" in out
    assert "before running it, set: LOADSPEC_PASSWORD=..." in out


def test_yaml_is_commented_and_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "session.yaml"
    assert convert(capsys, str(RECORDINGS / "session.har"), "-o", str(out))[0] == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# session: a load test written by loadspec")
    assert "#   export LOADSPEC_PASSWORD=..." in text
    assert "# Run:   loadspec run session.yaml --host http://127.0.0.1:44977" in text
    assert "# ── page /dashboard" in text
    assert "csrf_token: {regex: '<input[^>]*?name=\"csrf_token\"[^>]*?value=\"([^\"]*)\"'}  " \
           "# HTML hidden input csrf_token, sent back by POST /login" in text
    assert "access_token: {json: access_token}  # JSON access_token, sent back by POST /api/orders" in text
    assert 'post: "/api/orders/{{ order_id }}/submit"' in text
    assert 'Authorization: "Bearer {{ access_token }}"' in text
    assert "think_time: 600ms" in text and "# pause after this step" in text
    assert text.count("\n        assert:\n          - status: 20") == 9  # one status assertion per step,
    assert text.count("\n        assert:\n          - status: 302") == 2  # the two redirects asserted as such
    assert "# recorded 302 to /dashboard: the step asserts the redirect, the next step follows it" in text
    defaults = yaml.safe_load(text)["defaults"]["headers"]
    assert defaults == {"Accept": "application/json", "Accept-Language": "en-US,en;q=0.9",
                        "User-Agent": defaults["User-Agent"]}


def test_recorded_credentials_and_dynamic_values_never_reach_the_yaml(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("session", "chrome_devtools", "firefox"):
        out = tmp_path / f"{name}.yaml"
        code, stdout, stderr = convert(capsys, str(RECORDINGS / f"{name}.har"), "-o", str(out))
        assert code == 0
        text = out.read_text(encoding="utf-8")
        for what, value in RECORDED.items():
            assert value not in text, f"{what} written into {out.name}"
            if what != "password":
                assert value not in stdout + stderr
        assert '"{{ env.LOADSPEC_PASSWORD }}"' in text


def test_http2_pseudo_headers_cookies_and_browser_noise_are_dropped(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h2.yaml"
    assert convert(capsys, str(RECORDINGS / "chrome_devtools.har"), "-o", str(out))[0] == 0
    text = out.read_text(encoding="utf-8").lower()
    for noise in (":authority", ":method", ":path", ":scheme", "cookie:", "content-length", "sec-fetch",
                  "sec-ch-ua", "accept-encoding", "referer", "origin:", "    host:"):
        assert noise not in text, noise
    assert "user-agent: mozilla/5.0" in text


def test_header_hygiene_is_case_insensitive() -> None:
    headers = [(":authority", "x"), (":path", "/a"), ("COOKIE", "a=1"), ("Cookie", "b=2"), ("content-length", "3"),
               ("Host", "h"), ("Sec-Fetch-Mode", "cors"), ("sec-ch-ua", '"x"'), ("Accept-Encoding", "br"),
               ("Connection", "keep-alive"), ("Upgrade-Insecure-Requests", "1"), ("x-custom-thing", "keep me"),
               ("accept", "application/json"), ("Accept", "text/html"), ("authorization", "Bearer t")]
    assert clean_headers(headers) == [["X-Custom-Thing", "keep me"], ["Accept", "application/json"],
                                      ["Authorization", "Bearer t"]]


def test_sanitized_export_is_detected_with_a_clear_explanation(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = convert(capsys, str(RECORDINGS / "chrome_sanitized.har"), "-o", str(tmp_path / "s.yaml"))
    assert code == 0
    assert "looks like a sanitized export" in out
    assert "cookie sessions still work" in out
    assert "Authorization headers were removed" in out
    assert "Allow to generate HAR with sensitive data" in out
    assert "JSON access_token of POST /api/token" in out
    assert "WARNING: sanitized export" in (tmp_path / "s.yaml").read_text(encoding="utf-8")
    for name in ("session", "chrome_devtools", "firefox"):
        assert "sanitized" not in import_har([RECORDINGS / f"{name}.har"]).report.render()


def test_no_correlate_replays_values_as_recorded_but_still_hides_credentials(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "raw.yaml"
    code, stdout, _ = convert(capsys, str(RECORDINGS / "session.har"), "--no-correlate", "-o", str(out))
    assert code == 0
    assert "correlation: off (--no-correlate)" in stdout
    text = out.read_text(encoding="utf-8")
    spec = load_spec(out)
    assert all(not s.captures for s in steps_of(spec))
    assert RECORDED["order id"] in text and RECORDED["csrf token"] in text
    assert RECORDED["bearer token"] not in text and RECORDED["password"] not in text
    assert 'Authorization: "{{ env.LOADSPEC_AUTHORIZATION }}"' in text
    assert "LOADSPEC_AUTHORIZATION" in stdout


# --- filtering -------------------------------------------------------------------------------------


def mixed_recording(folder: Path) -> Path:
    noise = {"headers": {"Accept": "application/json"}}
    return har_file(folder, "mixed.har", [
        entry("GET", f"{HOST}/", rtype="document", mime="text/html", body="<html></html>", at=0.0),
        entry("GET", f"{HOST}/static/site.css", rtype="stylesheet", mime="text/css", at=0.1),
        entry("GET", f"{HOST}/img/logo.svg", mime="image/svg+xml", at=0.1),  # no _resourceType: by MIME
        entry("GET", f"{HOST}/fonts/a.woff2", mime="application/octet-stream", at=0.1),  # by extension
        entry("GET", f"{HOST}/favicon.ico", rtype="other", mime="image/x-icon", at=0.1),
        entry("GET", "https://cdn.example.net/lib.json", rtype="fetch", at=0.2),
        entry("GET", "https://cdn.example.net/lib2.json", rtype="fetch", at=0.2),
        entry("POST", "https://www.google-analytics.com/g/collect", rtype="ping", at=0.2),
        entry("GET", "wss://shop.example.test/live", 101, rtype="websocket", at=0.3),
        entry("GET", "data:image/png;base64,iVBORw0KGgo=", rtype="image", at=0.3),
        entry("OPTIONS", f"{HOST}/api/cart", 204, headers={"Access-Control-Request-Method": "POST"}, at=0.4),
        entry("GET", f"{HOST}/api/profile", rtype="fetch", at=0.4, _fromCache="disk"),
        entry("GET", f"{HOST}/api/slow", 0, rtype="fetch", at=0.5),
        entry("POST", f"{HOST}/api/beacon", rtype="ping", at=0.5),
        entry("CONNECT", "https://shop.example.test:443", 200, at=0.5),
        entry("GET", f"{HOST}/api/cart", rtype="fetch", body={"items": []}, at=0.6, **noise),
        entry("POST", f"{HOST}/api/cart", rtype="xhr", request={"sku": "W-1"}, body={"ok": True}, at=0.7, **noise),
        entry("GET", f"{HOST}/api/admin/stats", rtype="fetch", at=0.8),
    ])


def test_every_dropped_entry_is_counted_by_reason(tmp_path: Path) -> None:
    result = import_har([mixed_recording(tmp_path)])
    report = result.report.files[0]
    assert dict(report.dropped) == {
        "static asset (stylesheet, script, image, font, media)": 4,
        "other host": 3,  # the analytics ping goes to another host: that reason comes first
        "beacon, ping or CSP report": 1,
        "websocket": 1,
        "data: URL": 1,
        "CORS preflight": 1,
        "cache hit (the server never saw it)": 1,
        "aborted or blocked (status 0)": 1,
        "CONNECT (proxy tunnel)": 1,
    }
    assert dict(report.other_hosts) == {"cdn.example.net": 2, "www.google-analytics.com": 1}
    assert [s.name for s in steps_of(result.spec)] == ["GET /", "GET /api/cart", "POST /api/cart",
                                                        "GET /api/admin/stats"]
    text = result.report.render()
    assert "dropped    3  other host (cdn.example.net ×2, www.google-analytics.com ×1; keep one with " \
           "--include-host)" in text


def test_include_host_and_exclude_url_change_the_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mixed_recording(tmp_path)
    result = import_har([path], HarOptions(include_hosts=["*.example.net"], exclude_urls=[r"/admin/"]))
    names = [s.name for s in steps_of(result.spec)]
    assert "GET cdn.example.net/lib.json" in names and "GET /api/admin/stats" not in names
    cdn = next(s for s in steps_of(result.spec) if s.name == "GET cdn.example.net/lib.json")
    assert cdn.url == "https://cdn.example.net/lib.json"  # another host: an absolute URL
    assert result.report.files[0].dropped["excluded by --exclude-url"] == 1
    code, out, _ = convert(capsys, str(path), "--include-host", "cdn.example.net", "--exclude-url", "admin",
                           "-o", str(tmp_path / "m.yaml"))
    assert code == 0 and "excluded by --exclude-url" in out and "cdn.example.net" not in out


def test_nothing_left_after_filtering_says_how_to_keep_entries(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = har_file(tmp_path, "cdn.har", [
        entry("GET", f"{HOST}/app.js", rtype="script", mime="text/javascript"),
        entry("OPTIONS", f"{HOST}/api/x", 204, rtype="preflight"),
        entry("GET", f"{HOST}/api/x", 0, rtype="fetch"),
        entry("GET", "https://img.other.test/a.png", rtype="image", mime="image/png"),
    ])
    code, _, err = convert(capsys, str(path))
    assert code == 2
    assert "nothing left to replay: all 4 entries were dropped (1 static asset" in err
    assert "to keep another host pass --include-host, e.g. --include-host img.other.test" in err
    assert "Traceback" not in err


# --- redirects, think time, names ---------------------------------------------------------------


def test_redirects_are_replayed_as_redirects_asserted_by_their_step(tmp_path: Path) -> None:
    """Each hop is its own step: the redirect asserts its 3xx without following it, the request the
    browser made next follows; a refused form answering 200 fails the POST step."""
    path = har_file(tmp_path, "redirects.har", [
        entry("POST", f"{HOST}/login", 302, rtype="document", mime="text/html", request="user=a",
              request_mime="application/x-www-form-urlencoded", response_headers=[("Location", "/home")], at=0),
        entry("GET", f"{HOST}/home", 301, rtype="document", mime="text/html",
              response_headers=[("Location", f"{HOST}/home/")], at=0.05),
        entry("GET", f"{HOST}/home/", rtype="document", mime="text/html", body="<p>hi</p>", at=0.1),
        entry("GET", f"{HOST}/sso", 302, rtype="document", mime="text/html",
              response_headers=[("Location", "https://login.other.test/authorize")], at=1),
        entry("GET", "https://login.other.test/authorize", rtype="document", mime="text/html", at=1.05),
        entry("GET", f"{HOST}/gone", 302, rtype="document", mime="text/html",
              response_headers=[("Location", "/never-recorded")], at=2),
    ])
    result = import_har([path])
    login, home, home_slash, sso, gone = steps_of(result.spec)
    assert [s.name for s in (login, home, home_slash)] == ["POST /login", "GET /home", "GET /home/"]
    assert login.allow_redirects is False and login.assertions[0].predicates[0].value == 302
    assert home.allow_redirects is False and home.assertions[0].predicates[0].value == 301
    assert home_slash.allow_redirects is None and home_slash.assertions[0].predicates[0].value == 200
    assert "recorded 302 to /home: the step asserts the redirect, the next step follows it" in (login.comment or "")
    assert sso.allow_redirects is False and sso.assertions[0].predicates[0].value == 302
    assert gone.allow_redirects is False and gone.assertions[0].predicates[0].value == 302
    report = result.report.files[0]
    assert report.redirects == ["POST /login → 302 /home", "GET /home → 301 /home/",
                                "GET /sso → 302 /authorize (not replayed)",
                                "GET /gone → 302 /never-recorded (not replayed)"]
    assert report.dropped == {"other host": 1}


def test_think_time_is_the_gap_from_a_response_to_the_next_request(tmp_path: Path) -> None:
    path = har_file(tmp_path, "pauses.har", [
        entry("GET", f"{HOST}/api/a", at=0.0, ms=100),
        entry("GET", f"{HOST}/api/b", at=0.3, ms=10),  # 0.2 s after a ended: the browser, not the user
        entry("GET", f"{HOST}/api/c", at=3.0, ms=10),  # 2.69 s after b ended
        entry("GET", f"{HOST}/api/d", at=100.0, ms=10),  # long gap: capped
    ])
    a, b, c, d = steps_of(import_har([path]).spec)
    assert a.think_time is None
    assert b.think_time is not None and b.think_time.minimum == b.think_time.maximum == 2.7
    assert c.think_time is not None and c.think_time.minimum == 10.0
    assert d.think_time is None
    a, b, c, _ = steps_of(import_har([path], HarOptions(think_time_threshold=3.0, max_think_time=4.0)).spec)
    assert b.think_time is None and c.think_time is not None and c.think_time.minimum == 4.0
    assert all(s.think_time is None for s in steps_of(import_har([path], HarOptions(max_think_time=0)).spec))


def test_think_time_options_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = har_file(tmp_path, "pauses.har", [entry("GET", f"{HOST}/api/a", at=0), entry("GET", f"{HOST}/api/b", at=9)])
    code, out, _ = convert(capsys, str(path), "--think-time-threshold", "1s", "--max-think-time", "2500ms",
                           "-o", str(tmp_path / "p.yaml"))
    assert code == 0 and "think time: 1 pause, 2.5s in all (gaps ≥ 1s, capped at 2.5s)" in out
    code, _, err = convert(capsys, str(path), "--max-think-time", "soon")
    assert code == 2 and "--max-think-time" in err


@pytest.mark.parametrize(("path", "expected"), [
    ("/api/orders/ord_a0c8bfbd19bf65a9/submit", "/api/orders/{id}/submit"),
    ("/users/42", "/users/{id}"),
    ("/items/5f0c6e8e-9a1b-4c57-8d0e-2b1f3f8c9a77/reviews", "/items/{id}/reviews"),
    ("/v1/products", "/v1/products"),
    ("/search", "/search"),
    ("/", "/"),
])
def test_step_names_template_ids_in_paths(path: str, expected: str) -> None:
    assert templated_path(path) == expected


def test_correlated_segments_are_named_after_their_variable() -> None:
    assert templated_path("/api/orders/ord_1a2b3c4d/lines/77", {3: "order_id"}) == "/api/orders/{order_id}/lines/{id}"


# --- correlation -----------------------------------------------------------------------------------


def captures(step: RequestStep) -> dict[str, tuple[str, str | None]]:
    return {c.name: (c.query.kind, c.query.selector) for c in step.captures}


def test_location_header_is_captured_when_it_is_the_only_source(tmp_path: Path) -> None:
    path = har_file(tmp_path, "location.har", [
        entry("POST", f"{HOST}/api/items", 201, request={"name": "lamp"}, body="",
              response_headers=[("Location", "/api/items/itm_77aa11bb")]),
        entry("GET", f"{HOST}/api/items/itm_77aa11bb", at=0.1, body={"name": "lamp"}),
        entry("DELETE", f"{HOST}/api/items/itm_77aa11bb", 204, at=0.2),
    ])
    create, read, delete = steps_of(import_har([path]).spec)
    assert captures(create) == {"item_url": ("header", "Location")}
    assert read.url == "{{ item_url }}" and delete.url == "{{ item_url }}"
    assert read.name == "GET /api/items/{id}"


def test_meta_csrf_token_rotating_per_page_is_recaptured(tmp_path: Path) -> None:
    def page(token: str) -> str:
        return f'<html><head><meta name="csrf-token" content="{token}"></head><body>form</body></html>'
    path = har_file(tmp_path, "rotate.har", [
        entry("GET", f"{HOST}/form", rtype="document", mime="text/html", body=page("tok1AAAAbbbb2222")),
        entry("POST", f"{HOST}/api/save", at=0.1, headers={"X-CSRF-Token": "tok1AAAAbbbb2222"}, request={"a": 1}),
        entry("GET", f"{HOST}/form", rtype="document", mime="text/html", body=page("tok2CCCCdddd3333"), at=0.2),
        entry("POST", f"{HOST}/api/save", at=0.3, headers={"X-CSRF-Token": "tok2CCCCdddd3333"}, request={"a": 2}),
    ])
    first, save1, second, save2 = steps_of(import_har([path]).spec)
    expected = ("regex", '<meta[^>]*?name="csrf-token"[^>]*?content="([^"]*)"')
    assert captures(first) == {"csrf_token": expected} and captures(second) == {"csrf_token": expected}
    assert save1.headers["X-Csrf-Token"] == save2.headers["X-Csrf-Token"] == "{{ csrf_token }}"


def test_two_live_values_with_the_same_key_get_two_names(tmp_path: Path) -> None:
    path = har_file(tmp_path, "two.har", [
        entry("POST", f"{HOST}/api/skus", request={}, body={"sku_code": "SKU-1111"}),
        entry("POST", f"{HOST}/api/skus", request={}, body={"sku_code": "SKU-2222"}, at=0.1),
        entry("PUT", f"{HOST}/api/cart", request={"sku_code": "SKU-1111"}, at=0.2),
        entry("PUT", f"{HOST}/api/cart", request={"sku_code": "SKU-2222"}, at=0.3),
    ])
    one, two, put1, put2 = steps_of(import_har([path]).spec)
    assert captures(one) == {"sku_code": ("json", "sku_code")}
    assert captures(two) == {"sku_code_2": ("json", "sku_code")}
    assert put1.body is not None and put1.body.value == {"sku_code": "{{ sku_code }}"}
    assert put2.body is not None and put2.body.value == {"sku_code": "{{ sku_code_2 }}"}


def test_numeric_json_ids_keep_their_type_and_name_from_the_url(tmp_path: Path) -> None:
    path = har_file(tmp_path, "numeric.har", [
        entry("POST", f"{HOST}/api/orders", 201, request={"qty": 1}, body={"data": {"id": 918273}}),
        entry("GET", f"{HOST}/api/orders/918273", at=0.1),
        entry("POST", f"{HOST}/api/payments", request={"order": 918273, "note": "order 918273"}, at=0.2),
    ])
    create, read, pay = steps_of(import_har([path]).spec)
    assert captures(create) == {"order_id": ("json", "data.id")}
    assert read.url == "/api/orders/{{ order_id }}" and read.name == "GET /api/orders/{order_id}"
    assert pay.body is not None and pay.body.value == {"order": "{{ order_id }}", "note": "order {{ order_id }}"}


def test_cookie_values_sent_back_in_a_header_are_captured_from_set_cookie(tmp_path: Path) -> None:
    path = har_file(tmp_path, "xsrf.har", [
        entry("GET", f"{HOST}/", rtype="document", mime="text/html", body="<p>home</p>",
              response_headers=[("Set-Cookie", "sid=zz99yy88; Path=/"),
                                ("Set-Cookie", "XSRF-TOKEN=xs77rf66tk55; Path=/")]),
        entry("POST", f"{HOST}/api/vote", request={"up": True}, headers={"X-XSRF-TOKEN": "xs77rf66tk55"}, at=0.1),
    ])
    home, vote = steps_of(import_har([path]).spec)
    assert captures(home) == {"XSRF_TOKEN": ("cookie", "XSRF-TOKEN")}
    assert vote.headers["X-Xsrf-Token"] == "{{ XSRF_TOKEN }}"


def test_text_is_the_last_resort_and_every_extractor_is_verified(tmp_path: Path) -> None:
    script = '<html><script>window.app = {nonce: "n0nce-77aa99bb", user: 5};</script></html>'
    escaped = '<form><input type="hidden" name="state" value="s7a&amp;t8e9"></form>'
    path = har_file(tmp_path, "text.har", [
        entry("GET", f"{HOST}/app", rtype="document", mime="text/html", body=script),
        entry("GET", f"{HOST}/api/feed?nonce=n0nce-77aa99bb", at=0.1),
        entry("GET", f"{HOST}/login", rtype="document", mime="text/html", body=escaped, at=0.2),
        entry("POST", f"{HOST}/login", request="state=s7a%26t8e9", request_mime="application/x-www-form-urlencoded",
              at=0.3),
    ])
    app, feed, login, post = steps_of(import_har([path]).spec)
    assert captures(app) == {"nonce": ("regex", r'nonce: "([\w\-.~]+)')}  # the shortest context that works
    assert feed.params == {"nonce": "{{ nonce }}"}
    # the hidden input holds "s7a&amp;t8e9": an extractor would return that, not the "s7a&t8e9" the
    # browser sent, so verification rejects it and the value stays as recorded
    assert login.captures == [] and post.body is not None and post.body.value == {"state": "s7a&t8e9"}


def test_values_the_client_sent_first_are_not_correlated(tmp_path: Path) -> None:
    path = har_file(tmp_path, "client.har", [
        entry("POST", f"{HOST}/api/sessions", request={"client_id": "c1d2e3f4a5"}, body={"client_id": "c1d2e3f4a5"}),
        entry("GET", f"{HOST}/api/sessions/c1d2e3f4a5", at=0.1),
    ])
    start, read = steps_of(import_har([path]).spec)
    assert start.captures == [] and read.url == "/api/sessions/c1d2e3f4a5"


def test_response_bodies_not_saved_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    no_body = entry("POST", f"{HOST}/api/token", request={})
    no_body["response"]["content"] = {"size": 80, "mimeType": "application/json",
                                      "comment": "Response bodies are not included."}
    path = har_file(tmp_path, "firefox_nobody.har", [
        no_body, entry("GET", f"{HOST}/api/me", at=0.1, headers={"Authorization": "Bearer abcdef123456"}),
    ], creator="Firefox", version="1.1")
    code, out, _ = convert(capsys, str(path), "-o", str(tmp_path / "f.yaml"))
    assert code == 0
    assert "1 response has no saved body" in out
    text = (tmp_path / "f.yaml").read_text(encoding="utf-8")
    assert "abcdef123456" not in text and "{{ env.LOADSPEC_AUTHORIZATION }}" in text


# --- secrets -----------------------------------------------------------------------------------------

SECRETS = {"basic": "Basic YWxpY2U6czNjcjN0LXBhc3M=", "api key": "ak_live_5f9d2c7b1e3a",
           "json password": "Tr0ub4dor&3-horse", "query key": "qk_9876543210abc"}


def test_credentials_become_env_variables_and_are_never_written(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = har_file(tmp_path, "api.har", [
        entry("POST", f"{HOST}/api/login", request={"user": "alice", "password": SECRETS["json password"]},
              body={"ok": True}),
        entry("GET", f"{HOST}/api/reports?api_key={SECRETS['query key']}", at=0.1,
              headers={"Authorization": SECRETS["basic"], "X-Api-Key": SECRETS["api key"]}),
        entry("GET", f"{HOST}/api/reports/2", at=0.2, headers={"Authorization": SECRETS["basic"]}),
    ])
    out = tmp_path / "api.yaml"
    code, stdout, stderr = convert(capsys, str(path), "-o", str(out))
    assert code == 0
    text = out.read_text(encoding="utf-8")
    for what, value in SECRETS.items():
        assert value not in text, what
        assert value not in stdout + stderr, what
    for env in ("LOADSPEC_PASSWORD", "LOADSPEC_AUTHORIZATION", "LOADSPEC_X_API_KEY", "LOADSPEC_API_KEY"):
        assert f"{{{{ env.{env} }}}}" in text
        assert env in stdout
        assert f"#   export {env}=..." in text
    result = import_har([path])
    assert result.secrets == {"LOADSPEC_PASSWORD": SECRETS["json password"],
                              "LOADSPEC_API_KEY": SECRETS["query key"],
                              "LOADSPEC_AUTHORIZATION": SECRETS["basic"], "LOADSPEC_X_API_KEY": SECRETS["api key"]}


# --- several recordings -------------------------------------------------------------------------------


def test_several_recordings_become_weighted_scenarios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mix.yaml"
    code, stdout, _ = convert(capsys, f"{RECORDINGS / 'session.har'}:3", str(RECORDINGS / "firefox.har"),
                              str(RECORDINGS / "session.har"), "-o", str(out))
    assert code == 0
    spec = load_spec(out)
    assert [(s.name, s.weight) for s in spec.scenarios] == [("session", 3), ("firefox", 1), ("session_2", 1)]
    assert spec.name == "session+firefox+session_2"
    assert all(len(s.steps) == 11 for s in spec.scenarios)
    assert "HeadlessChrome" in spec.defaults.headers["User-Agent"]  # the most common value goes to defaults,
    assert all("Firefox" in s.headers["User-Agent"] for s in steps_of(spec, 1))  # the others override it
    assert stdout.count("16 entries → 11 steps") == 3
    assert import_har([RECORDINGS / "session.har", RECORDINGS / "firefox.har"]).secrets == {"LOADSPEC_PASSWORD": "demo"}


# --- bad input ---------------------------------------------------------------------------------------


def bad(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "content", "message"), [
    ("page.har", "<!DOCTYPE html><html>saved the page, not the HAR</html>", "not a HAR file: it is not JSON"),
    ("empty.har", "", "the file is empty (0 bytes)"),
    ("list.har", "[1, 2]", "the JSON is a list, not an object"),
    ("nolog.har", '{"entries": []}', 'the JSON has no "log" object (it has entries)'),
    ("noentries.har", '{"log": {"version": "1.2"}}', '"log" has no "entries" list'),
    ("version.har", '{"log": {"version": "2.0", "entries": [{}]}}', "HAR version 2.0 is not supported"),
    ("emptylog.har", '{"log": {"version": "1.2", "entries": []}}', "the recording is empty (no entries)"),
    ("latin1.har", b'{"log": "caf\xe9"}', "not UTF-8 text"),
    ("broken.har", '{"log": {"version": "1.2", "entries": [}}', "not valid JSON at line 1, column 40"),
    ("junk.har", '{"log": {"version": "1.2", "entries": ["junk", 5]}}',
     "junk.har: none of the 2 entries can be read: entry #1 is not an object; entry #2 is not an object\n"),
    ("nourl.har", json.dumps({"log": {"version": "1.2", "entries": [{"request": {"method": "GET"}}] * 5}}),
     "none of the 5 entries can be read: entry #1 has no request method or URL; entry #2 has no request "
     "method or URL; entry #3 has no request method or URL; and 2 more\n"),
    ("ipv6.har", json.dumps({"log": {"version": "1.2", "entries": [{"request": {"method": "GET",
                                                                              "url": "http://[::1/x"}}]}}),
     "none of the 1 entries can be read: entry #1 has a request URL that cannot be read (Invalid IPv6 URL)\n"),
])
def test_bad_files_get_one_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                         content: str | bytes, message: str) -> None:
    code, out, err = convert(capsys, str(bad(tmp_path, name, content)))
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_unwritable_output_is_one_clear_message_and_no_summary(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = convert(capsys, str(RECORDINGS / "session.har"), "-o", str(tmp_path / "missing" / "s.yaml"))
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path / 'missing' / 's.yaml'}: cannot write: No such file or directory\n"
    code, out, err = convert(capsys, str(RECORDINGS / "session.har"), "-o", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path}: cannot write: Is a directory\n"


MALFORMED = {  # what a broken exporter or a hand edit leaves in an entry, and what the import makes of it
    "header name not text": {"request": {"headers": [{"name": 1, "value": "x"}, {"name": "X-Kept", "value": "k"},
                                                     {"value": "nameless"}, "junk"]},
                             "response": {"headers": [{"name": None, "value": "a=1"}]}},
    "redirectURL not text": {"response": {"status": 302, "redirectURL": 5,
                                          "headers": [{"name": "Location", "value": "/api/next"}]}},
    "redirect to an unreadable URL": {"response": {"status": 302, "redirectURL": "http://[::1/x", "headers": []}},
    "date out of range": {"startedDateTime": "99999999999999999999"},
    "date not a date": {"startedDateTime": "yesterday at noon"},
    "date with month 13": {"startedDateTime": "2026-13-45T00:00:00Z"},
    "date with offset +25:00": {"startedDateTime": "2026-01-01T00:00:00+25:00"},
    "status not a number": {"response": {"status": math.inf}},  # json writes Infinity, which json reads back
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_entry_fields_are_ignored_without_a_traceback(case: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    first = entry("GET", f"{HOST}/api/first", at=0.0, headers={"X-Kept": "k"})
    for part, fields in MALFORMED[case].items():
        if isinstance(fields, dict):
            first[part].update(fields)
        else:
            first[part] = fields
    later = [entry("GET", f"{HOST}/api/{name}", at=at, headers={"X-Kept": "k"})
             for name, at in (("next", 0.1), ("last", 0.2), ("unrecorded", 0.3))]
    path = har_file(tmp_path, "malformed.har", [first, *later])
    code, out, err = convert(capsys, str(path), "-o", str(tmp_path / "m.yaml"))
    assert code == 0, err
    assert "Traceback" not in out + err
    steps = {s.name: s for s in steps_of(load_spec(tmp_path / "m.yaml"))}
    if case == "redirectURL not text":  # the Location header is read instead
        assert list(steps) == ["GET /api/first", "GET /api/next", "GET /api/last", "GET /api/unrecorded"]
        assert predicates(steps["GET /api/first"].assertions[0].predicates) == [("eq", 302)]
        assert "GET /api/first → 302 /api/next" in out
    elif case == "redirect to an unreadable URL":  # read like a redirect without a target: its status is asserted
        assert list(steps) == ["GET /api/first", "GET /api/next", "GET /api/last", "GET /api/unrecorded"]
        assert predicates(steps["GET /api/first"].assertions[0].predicates) == [("eq", 302)]
        assert "redirects replayed" not in out
    elif case == "status not a number":  # read as status 0: dropped as aborted
        assert list(steps) == ["GET /api/next", "GET /api/last", "GET /api/unrecorded"]
        assert "dropped    1  aborted or blocked (status 0)" in out
    else:
        assert list(steps) == ["GET /api/first", "GET /api/next", "GET /api/last", "GET /api/unrecorded"]
    assert all(s.think_time is None for s in steps.values())  # an unreadable date adds no pause
    assert all(s.headers == {} for s in steps.values())  # X-Kept (sent by every step) went to defaults
    assert load_spec(tmp_path / "m.yaml").defaults.headers == {"X-Kept": "k"}


def test_an_unreadable_url_drops_its_entry_with_a_warning(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bad_url = entry("GET", f"{HOST}/api/x", at=0.1)
    bad_url["request"]["url"] = "http://[::1/x"
    path = har_file(tmp_path, "ipv6.har", [entry("GET", f"{HOST}/api/a"), bad_url, entry("GET", f"{HOST}/api/b")])
    code, out, err = convert(capsys, str(path), "-o", str(tmp_path / "i.yaml"))
    assert code == 0, err
    assert "3 entries → 2 steps" in out and "dropped    1  malformed entry" in out
    assert "warning: entry #2 has a request URL that cannot be read (Invalid IPv6 URL); skipped" in out


def test_entries_without_a_time_keep_their_place_and_add_no_pause(tmp_path: Path) -> None:
    undated = entry("GET", f"{HOST}/api/undated")
    del undated["startedDateTime"]
    bad_date = entry("GET", f"{HOST}/api/bad-date")
    bad_date["startedDateTime"] = "99999999999999999999"
    path = har_file(tmp_path, "dates.har", [
        undated,  # before any dated entry: it gets the first time of the recording
        entry("GET", f"{HOST}/api/a", at=100.0),
        bad_date,  # gets the time of the entry before it
        entry("GET", f"{HOST}/api/b", at=100.2),
        entry("GET", f"{HOST}/api/c", at=102.0),
    ])
    result = import_har([path])
    steps = steps_of(result.spec)
    assert [s.name for s in steps] == ["GET /api/undated", "GET /api/a", "GET /api/bad-date", "GET /api/b",
                                       "GET /api/c"]
    assert [(s.think_time.minimum, s.think_time.maximum) if s.think_time else None for s in steps] == [
        None, None, None, (1.8, 1.8), None]
    assert result.report.files[0].pauses == [1.8]


def test_truncated_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = (RECORDINGS / "chrome_devtools.har").read_bytes()
    path = bad(tmp_path, "cut.har", data[: len(data) * 6 // 10])
    code, _, err = convert(capsys, str(path))
    assert code == 2
    assert "the file is cut off: the JSON stops in the middle" in err and "save the HAR again" in err


def test_missing_file_and_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = convert(capsys, str(tmp_path / "nope.har"))
    assert code == 2 and "nope.har: no such file" in err
    folder = tmp_path / "dir.har"
    folder.mkdir()
    code, _, err = convert(capsys, str(folder))
    assert code == 2 and "is a folder" in err


def test_entries_missing_optional_fields_are_read_or_skipped_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minimal = {"request": {"method": "GET", "url": f"{HOST}/api/minimal"}, "response": {"status": 200}}
    no_response = {"request": {"method": "GET", "url": f"{HOST}/api/no-response"}}
    odd = entry("GET", f"{HOST}/api/odd", at=1)
    odd["startedDateTime"] = "2026-01-01 12:00:05.5+0100"  # not ISO 8601: read by haralyzer/dateutil
    odd["time"] = None
    del odd["timings"], odd["cache"], odd["response"]["content"]
    path = har_file(tmp_path, "partial.har", [
        minimal, no_response, {"request": {"method": "GET"}}, "junk", odd,
        entry("POST", f"{HOST}/api/form", request=None, at=2,
              postData={"mimeType": "application/x-www-form-urlencoded"}),
    ])
    path_data = json.loads(path.read_text())
    path_data["log"]["entries"][5]["request"]["postData"] = {"params": [{"name": "a", "value": "1"}]}
    path.write_text(json.dumps(path_data))
    code, out, err = convert(capsys, str(path), "-o", str(tmp_path / "p.yaml"))
    assert code == 0, err
    assert "entry #3 has no request method or URL; skipped" in out
    assert "entry #4 is not an object; skipped" in out
    assert "dropped    2  malformed entry" in out and "dropped    1  no response recorded" in out
    spec = load_spec(tmp_path / "p.yaml")
    steps = {s.name: s for s in steps_of(spec)}
    assert set(steps) == {"GET /api/minimal", "GET /api/odd", "POST /api/form"}
    assert steps["POST /api/form"].body is not None and steps["POST /api/form"].body.value == {"a": "1"}


def test_size_guard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = convert(capsys, str(RECORDINGS / "session.har"), "--max-har-size", "0.01")
    assert code == 2 and out == ""
    assert "session.har: 42.3 KB is more than the 10.2 KB loadspec reads from one HAR file" in err
    assert "raise the limit with --max-har-size MB" in err


@pytest.mark.parametrize("size", ["0", "-1", "0.0000001", "nan", "inf"])
def test_size_limit_must_be_above_zero(capsys: pytest.CaptureFixture[str], size: str) -> None:
    code, out, err = convert(capsys, str(RECORDINGS / "session.har"), f"--max-har-size={size}")
    assert code == 2 and out == ""
    assert err.startswith(f"error: --max-har-size: {float(size):g} MB is not a limit; give a number of MB above 0")
    assert "(the default is 512 MB)" in err and "Traceback" not in err


def test_an_unreadable_include_host_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = convert(capsys, str(RECORDINGS / "session.har"), "--include-host", "http://[::1")
    assert (code, out, err) == (2, "", "error: --include-host 'http://[::1': Invalid IPv6 URL\n")


def test_a_200_mb_recording_converts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Mostly big image bodies, as in real large exports: read, filtered and converted in seconds."""
    image = "iVBORw0KGgo" * 9_000  # ~100 KB of base64 per image
    head = '{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "1"}, "entries": ['
    api = json.dumps(entry("GET", f"{HOST}/api/feed", rtype="fetch", body={"ok": True}))
    pictures = []
    for n in range(2120):
        item = entry("GET", f"{HOST}/img/{n}.png", rtype="image", mime="image/png", at=n / 100)
        item["response"]["content"].update(text=image, encoding="base64")
        pictures.append(json.dumps(item))
    path = tmp_path / "big.har"
    path.write_text(head + ",".join([api] + pictures) + "]}}", encoding="utf-8")
    assert path.stat().st_size > 200 * 1024 * 1024
    started = time.perf_counter()
    code, out, err = convert(capsys, str(path), "-o", str(tmp_path / "big.yaml"))
    assert code == 0, err
    assert "2121 entries → 1 step" in out and "dropped 2120  static asset" in out
    assert time.perf_counter() - started < 20


def test_bad_input_through_the_real_command_line(tmp_path: Path) -> None:
    path = bad(tmp_path, "cut.har", (RECORDINGS / "firefox.har").read_bytes()[:5000])
    result = subprocess.run([sys.executable, "-m", "loadspec", "convert", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "error:" in result.stderr and "cut off" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run([sys.executable, "-m", "loadspec", "convert", str(RECORDINGS / "session.har"),
                             "--exclude-url", "(unclosed"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--exclude-url '(unclosed' is not a valid regular expression" in result.stderr


def test_validate_accepts_a_har_and_rejects_environments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(RECORDINGS / "firefox.har")]) == 0
    out, err = capsys.readouterr()
    assert "firefox.har: ok — 1 scenario, 11 steps" in out and "16 entries → 11 steps" in err
    assert main(["validate", str(RECORDINGS / "firefox.har"), "-e", "staging"]) == 2
    assert "a HAR recording has no environments" in capsys.readouterr().err


# --- the YAML writer -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["plain text", "true", "yes", "null", "~", "123", "1.5", "0x1F", "2026-01-01",
                                   "", " padded ", "a: b", "#hash", "- dash", "{{ x }}", "Bearer {{ token }}",
                                   "it's", 'say "hi"', "back\\slash", "line\nbreak", "tab\there", "ünïcødé ✓",
                                   "*/*;q=0.8", "@at", "%pct", "[x]", "a, b", "<<", "=", "100%"])
def test_scalars_read_back_as_the_same_string(value: str) -> None:
    for text in (scalar(value), scalar(value, flow=True)):
        assert yaml.safe_load(f"k: {text}") == {"k": value}, text
        assert yaml.safe_load(f"k: [{scalar(value, flow=True)}]") == {"k": [value]}


NUMBERS = [0, -3, 10**20, -(10**20), 0.1, -2.5, 1.0, 1e-7, 2.5e-5, 1e16, 1e300, -1e-300, math.inf, -math.inf,
           math.nan]


@pytest.mark.parametrize("value", NUMBERS, ids=repr)
def test_numbers_read_back_as_the_same_number_and_type(value: float) -> None:
    spec = "version: 1\nname: n\nvariables: {block: %s, inline: [%s]}\nscenarios:\n  - name: s\n    steps:\n" \
           "      - {name: a, get: /}\n"
    for loaded in (yaml.safe_load(f"k: {scalar(value)}")["k"], yaml.safe_load(f"k: [{flow_number(value)}]")["k"][0],
                   *load_spec_text(spec % (scalar(value), flow_number(value)), "n.yaml").variables.values()):
        if isinstance(loaded, list):
            loaded = loaded[0]
        assert type(loaded) is type(value), scalar(value)
        assert loaded == value or (math.isnan(value) and math.isnan(loaded)), scalar(value)


def flow_number(value: float) -> str:
    return scalar(value, flow=True)


@pytest.mark.parametrize("seconds", [1209600, 0.0004, 0.00001, 0.6, 0.7, 0.5, 1.5, 90, 10.0, 123456789.123, 0])
def test_durations_read_back_as_the_same_number(seconds: float) -> None:
    text = duration(seconds)
    assert parse_duration(text) == seconds, text
    assert "e" not in text.lower().removesuffix("s").removesuffix("m"), text


def test_large_and_small_durations_round_trip_through_a_spec(tmp_path: Path) -> None:
    text = """version: 1
name: durations
load: {users: 1, spawn_rate: 1, duration: 1209600s, pacing: 0.7s}
defaults: {timeout: 0.4ms, think_time: 100000s..1209600s}
thresholds:
  - {check: p95 < 500ms, abort_on_fail: true, delay_abort_eval: 1209600s}
scenarios:
  - name: s
    steps:
      - name: a
        get: /
        timeout: 123456789.123s
        think_time: 0.01ms
        assert:
          - {duration: {lt: 1234567.891ms, gte: 0.0001ms}}
          - {duration: {lt: 1234567ms}}
"""
    spec = load_spec_text(text, "d.yaml", base_dir=tmp_path)
    written = write_yaml(spec)
    assert "e+" not in written and "e-" not in written.replace("-e-", "")
    again = load_spec_text(written, "d.yaml", base_dir=tmp_path)
    assert project(again) == project(spec)
    assert (again.defaults.timeout, again.defaults.think_time) == (spec.defaults.timeout, spec.defaults.think_time)


def test_json_numbers_of_a_recording_keep_their_type_and_value(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    body = {"tiny": 1e-7, "huge": 1e300, "big": 10**20, "inf": math.inf, "tenth": 0.1, "negative": -2.5,
            "whole": 3.0, "count": 7, "nested": [1e-7, {"x": 2.5e-5}]}
    path = har_file(tmp_path, "numbers.har", [
        entry("POST", f"{HOST}/api/measure", request=body),
        entry("POST", f"{HOST}/api/measure", request="a=1", request_mime="application/x-www-form-urlencoded", at=0.1),
    ])
    out = tmp_path / "numbers.yaml"
    assert convert(capsys, str(path), "-o", str(out))[0] == 0
    imported = import_har([path]).spec
    again = load_spec(out)
    assert project(again) == project(imported)
    sent = steps_of(again)[0].body
    assert sent is not None and sent.value == body
    assert [type(v) for v in sent.value.values()] == [type(v) for v in body.values()]


@pytest.mark.parametrize("example", ["checkout.yaml", "authenticated_api.yaml", "shopping_journey.yaml",
                                     "website_weighted.yaml", "response_validation.yaml", "ci_thresholds.yaml",
                                     "csv_users.yaml"])
def test_writer_round_trips_the_example_specs(example: str, tmp_path: Path) -> None:
    if not (EXAMPLES / example).is_file():
        pytest.skip(f"{example} is not in this checkout")
    spec = load_spec(EXAMPLES / example)
    text = write_yaml(spec, output=example)
    again = load_spec_text(text, example, base_dir=EXAMPLES)
    assert project(again) == project(spec)
    assert {n: p.rows for n, p in again.data.items()} == {n: p.rows for n, p in spec.data.items()}


def test_a_har_saved_as_json_is_read_as_a_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "session.json"
    recording.write_bytes((RECORDINGS / "session.har").read_bytes())
    assert main(["validate", str(recording)]) == 0
    assert "ok — 1 scenario, 11 steps" in capsys.readouterr().out
    other = tmp_path / "spec.json"
    other.write_text('{"scenarios": [{"name": "s", "steps": [{"get": "/"}]}]}')
    assert main(["validate", str(other)]) == 0  # JSON that is not a HAR is read as a spec (YAML is a superset)


# --- correlation by evidence (the corpus of real apps in tests/realapps shows each case live) --------


def html_page(*inputs: tuple[str, str], extra: str = "") -> str:
    fields = "".join(f'<input type="hidden" name="{n}" value="{v}">' for n, v in inputs)
    return f"<html><body>{extra}<form method=post>{fields}</form></body></html>"


def test_a_short_id_comes_from_the_response_that_created_it_not_a_later_list(tmp_path: Path) -> None:
    path = har_file(tmp_path, "ids.har", [
        entry("POST", f"{HOST}/api/items/", 201, request={"name": "lamp"}, body={"id": 7, "name": "lamp"}),
        entry("GET", f"{HOST}/api/items/", at=0.1, body=[{"id": 3, "name": "old"}, {"id": 7, "name": "lamp"}]),
        entry("PATCH", f"{HOST}/api/items/7/", at=0.2, request={"name": "lamp", "qty": 7}, body={"id": 7}),
        entry("DELETE", f"{HOST}/api/items/7/", 204, at=0.3),
    ])
    create, listing, patch, delete = steps_of(import_har([path]).spec)
    assert captures(create) == {"item_id": ("json", "id")} and captures(listing) == {}
    assert patch.url == "/api/items/{{ item_id }}/" and delete.url == "/api/items/{{ item_id }}/"
    assert patch.name == "PATCH /api/items/{item_id}/"
    assert patch.body is not None and patch.body.value == {"name": "lamp", "qty": 7}  # no evidence: stays 7


def test_the_same_short_number_in_two_roles_gets_two_sources(tmp_path: Path) -> None:
    """`/notes/5/edit/` comes from the redirect's Location, `revision=5` from the hidden input of that
    name, and `qty=5` (no source of that name) stays as recorded: short values are never replaced by value."""
    page = html_page(("revision", "5"), ("token", "tok_9f8e7d6c5b4a"))
    path = har_file(tmp_path, "roles.har", [
        entry("GET", f"{HOST}/notes/add/", mime="text/html", rtype="document",
              body=html_page(("token", "tok_1a2b3c4d5e"))),
        entry("POST", f"{HOST}/notes/add/", 302, at=0.1, rtype="document", mime="text/html", body="",
              request="token=tok_1a2b3c4d5e&title=x", request_mime="application/x-www-form-urlencoded",
              response_headers=[("Location", "/notes/5/edit/")]),
        entry("GET", f"{HOST}/notes/5/edit/", at=0.2, rtype="document", mime="text/html", body=page),
        entry("POST", f"{HOST}/notes/5/edit/", 302, at=0.3, rtype="document", mime="text/html", body="",
              request="token=tok_9f8e7d6c5b4a&revision=5&qty=5", request_mime="application/x-www-form-urlencoded",
              response_headers=[("Location", "/notes/")]),
    ])
    _, add, hop, edit = steps_of(import_har([path]).spec)
    assert captures(add)["note_url"] == ("header", "Location")
    assert add.allow_redirects is False and predicates(add.assertions[0].predicates) == [("eq", 302)]
    assert hop.url == "{{ note_url }}" and edit.url == "{{ note_url }}"
    assert edit.body is not None
    assert edit.body.value == {"token": "{{ token }}", "revision": "{{ revision }}", "qty": "5"}
    assert captures(hop)["revision"][0] == "regex"


def test_a_multipart_part_is_correlated_whole(tmp_path: Path) -> None:
    stamp = "2026-01-01T10:09:17.504918+00:00"
    boundary = "----WebKitFormBoundaryZxUvnlaB3vCJhjSI"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"revision_id\"\r\n\r\n12\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"revision_created_at\"\r\n\r\n{stamp}\r\n"
            f"--{boundary}--\r\n")
    path = har_file(tmp_path, "multipart.har", [
        entry("GET", f"{HOST}/edit/", mime="text/html", rtype="document",
              body=html_page(("revision_id", "12"), ("revision_created_at", stamp))),
        entry("POST", f"{HOST}/ping/", at=0.1, request=body, request_mime=f"multipart/form-data; boundary={boundary}",
              body={"ok": True}),
    ])
    page, ping = steps_of(import_har([path]).spec)
    assert set(captures(page)) == {"revision_id", "revision_created_at"}
    assert ping.body is not None and "\r\n\r\n{{ revision_created_at }}\r\n" in ping.body.value
    assert "\r\n\r\n{{ revision_id }}\r\n" in ping.body.value and stamp not in ping.body.value


def test_client_generated_uuids_and_cache_busters_become_template_functions(tmp_path: Path) -> None:
    ref = "9e6396d0-179d-457d-9f11-dbbecd1d3ab1"
    now_ms = str((1_767_268_800 + 1) * 1000 + 853)
    path = har_file(tmp_path, "client.har", [
        entry("GET", f"{HOST}/api/items/?_={now_ms}", at=1.0, body=[]),
        entry("POST", f"{HOST}/api/items/", 201, at=1.1, request={"name": "lamp", "client_ref": ref},
              body={"id": "itm_77aa11bb", "client_ref": ref}),
        entry("PUT", f"{HOST}/api/items/itm_77aa11bb", at=1.2, request={"client_ref": ref}, body={}),
    ])
    listing, create, update = steps_of(import_har([path]).spec)
    assert listing.params == {"_": "{{ timestamp() }}000"}
    assert create.body is not None and create.body.value["client_ref"] == "{{ uuid() }}"
    assert update.body is not None and update.body.value == {"client_ref": "{{ client_ref }}"}
    assert captures(create)["client_ref"] == ("json", "client_ref")  # what the server stored, read back


def test_json_sent_as_text_plain_is_correlated_inside_and_sent_as_recorded(tmp_path: Path) -> None:
    token = "tk_5f4e3d2c1b0a99887766"
    path = har_file(tmp_path, "plain.har", [
        entry("POST", f"{HOST}/api/session", body={"token": token}),
        entry("POST", f"{HOST}/api/events", at=0.1, request=json.dumps({"token": token, "event": "view"}),
              request_mime="text/plain;charset=UTF-8", headers={"Content-Type": "text/plain;charset=UTF-8"}),
    ])
    _, events = steps_of(import_har([path]).spec)
    assert events.body is not None and events.body.kind == "raw"  # the browser's bytes, numbers stay numbers
    assert json.loads(events.body.value.replace("{{ token }}", "T")) == {"token": "T", "event": "view"}
    assert events.headers["Content-Type"] == "text/plain;charset=UTF-8"  # sent as the browser sent it


def test_a_request_whose_recorded_body_is_missing_is_left_out_with_a_warning(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    missing = entry("PUT", f"{HOST}/api/big", at=0.1)
    missing["request"]["bodySize"] = 250_000
    path = har_file(tmp_path, "missing.har", [entry("GET", f"{HOST}/api/first"), missing,
                                              entry("GET", f"{HOST}/api/last", at=0.2)])
    code, out, _ = convert(capsys, str(path), "-o", str(tmp_path / "m.yaml"))
    assert code == 0
    assert [s.name for s in steps_of(load_spec(tmp_path / "m.yaml"))] == ["GET /api/first", "GET /api/last"]
    assert "PUT /api/big (entry #2): the browser sent a request body that the recording does not hold" in out


def test_basic_credentials_the_browser_answered_a_challenge_with_go_on_every_step(tmp_path: Path) -> None:
    basic = {"Authorization": "Basic YWRtaW46U2VjcjN0LXBhc3M="}
    path = har_file(tmp_path, "basic.har", [
        entry("GET", f"{HOST}/login", 302, rtype="document", mime="text/html", response_headers=[("Location", "/")]),
        entry("GET", f"{HOST}/", at=0.1, rtype="document", mime="text/html", body="<p>hi</p>", headers=basic),
    ])
    result = import_har([path])
    assert [s.headers.get("Authorization") for s in steps_of(result.spec)] == ["{{ env.LOADSPEC_AUTHORIZATION }}"] * 2
    assert result.secrets == {"LOADSPEC_AUTHORIZATION": basic["Authorization"]}


def test_text_captures_are_anchored_on_whole_words(tmp_path: Path) -> None:
    token = "q7Hk2Lm9Zx4Vb8Nc1Rt6Yp3W"
    path = har_file(tmp_path, "anchor.har", [
        entry("GET", f"{HOST}/edit", mime="text/html", rtype="document",
              body=f'<script type="application/json">{{"CSRF_TOKEN": "{token}", "x": 1}}</script>'),
        entry("POST", f"{HOST}/ping", at=0.1, headers={"X-CSRFToken": token}, request={}),
    ])
    page, _ = steps_of(import_har([path]).spec)
    (kind, selector), = captures(page).values()
    assert kind == "regex" and selector.startswith("CSRF_TOKEN")


def test_recorded_scenarios_start_every_iteration_with_an_empty_cookie_jar(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "session.yaml"
    assert import_har([RECORDINGS / "session.har"]).spec.scenarios[0].cookies == "iteration"
    assert convert(capsys, str(RECORDINGS / "session.har"), "-o", str(out))[0] == 0
    assert "    cookies: iteration" in out.read_text(encoding="utf-8")
    assert load_spec(out).scenarios[0].cookies == "iteration"
