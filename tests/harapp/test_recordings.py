"""Sanity checks for the harapp HAR fixtures and proof that the app really needs correlation.

* every committed HAR parses (json + haralyzer) and contains the recorded flow with the same
  dynamic values in every variant, plus each variant's browser-specific traits;
* a correct urllib client flow (fresh CSRF, session cookie, bearer token, created id) runs
  with zero failures in ``/__stats``, also with several clients at once;
* replaying recorded / stale values (CSRF token, bearer token, order id) is rejected and
  counted, so a replay that does not correlate cannot pass unnoticed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, OpenerDirector, Request, build_opener

import pytest
from haralyzer import HarEntry, HarParser

HERE = Path(__file__).resolve().parent
RECORDINGS = HERE / "recordings"
HAR_FILES = ["session.har", "chrome_http1.har", "chrome_devtools.har", "chrome_sanitized.har", "firefox.har"]
CHROME_FILES = ["chrome_http1.har", "chrome_devtools.har", "chrome_sanitized.har"]
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
ORDER_URL = re.compile(r"/api/orders/(ord_[0-9a-f]+)$")


def load_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"harapp_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


harapp = load_module("app")
variants = load_module("make_variants")


# -- HAR helpers ----------------------------------------------------------------------------
def load_har(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))


def parsed_entries(name: str) -> list[HarEntry]:
    """All entries through haralyzer (which only exposes them per page)."""
    parser = HarParser(load_har(name))
    return [entry for page in parser.pages for entry in page.entries]


def path_of(entry: HarEntry) -> str:
    return urlsplit(entry.url).path


def find(entries: list[HarEntry], method: str, pattern: str) -> list[HarEntry]:
    return [e for e in entries if e.request.method == method and re.fullmatch(pattern, path_of(e))]


def one(entries: list[HarEntry], method: str, pattern: str) -> HarEntry:
    found = find(entries, method, pattern)
    assert len(found) == 1, f"{method} {pattern}: {[e.url for e in found]}"
    return found[0]


def header(entry_part: Any, name: str) -> str | None:
    return entry_part.get_header_value(name)


def body_text(entry: HarEntry) -> str:
    return entry.response.raw_entry.get("content", {}).get("text", "")


def dynamic_values(name: str) -> dict[str, str]:
    """Extract the session's dynamic values the way a correlating importer would."""
    entries = parsed_entries(name)
    login_page = find(entries, "GET", "/login")[0]
    login_post = one(entries, "POST", "/login")
    token_entry = one(entries, "POST", "/api/token")
    created = one(entries, "POST", "/api/orders")
    csrf_html = CSRF_INPUT.search(body_text(login_page))
    assert csrf_html, name
    params = {p["name"]: p["value"] for p in login_post.request.raw_entry["postData"]["params"]}
    return {
        "csrf_html": csrf_html.group(1),
        "csrf_meta": CSRF_META.search(body_text(login_page)).group(1),  # type: ignore[union-attr]
        "csrf_posted": params["csrf_token"],
        "access_token": json.loads(body_text(token_entry))["access_token"],
        "order_id": json.loads(body_text(created))["id"],
    }


# -- fixture file checks ---------------------------------------------------------------------
@pytest.mark.parametrize("name", HAR_FILES)
def test_har_parses_and_has_the_recorded_flow(name: str) -> None:
    path = RECORDINGS / name
    assert path.stat().st_size < 300_000
    har = load_har(name)
    parser = HarParser(har)
    entries = parsed_entries(name)
    assert len(entries) == len(har["log"]["entries"])  # no entry lost between pages
    assert parser.creator["name"]
    assert har["log"]["pages"]

    login_post = one(entries, "POST", "/login")
    post = login_post.request.raw_entry["postData"]
    assert post["mimeType"].startswith("application/x-www-form-urlencoded")
    assert {"csrf_token", "username", "password"} <= {p["name"] for p in post["params"]}
    assert "csrf_token=" in login_post.request.text
    assert login_post.response.status == 302
    assert login_post.response.redirectURL.endswith("/dashboard")
    assert one(entries, "GET", "/dashboard").response.status == 200

    token = one(entries, "POST", "/api/token")
    assert token.response.status == 200
    assert json.loads(body_text(token))["expires_in"] == 300

    created = one(entries, "POST", "/api/orders")
    assert created.response.status == 201
    order_id = json.loads(body_text(created))["id"]
    assert re.fullmatch(r"ord_[0-9a-f]{16}", order_id)
    assert one(entries, "GET", f"/api/orders/{order_id}").response.status == 200
    assert one(entries, "PUT", f"/api/orders/{order_id}").response.status == 200
    submitted = one(entries, "POST", f"/api/orders/{order_id}/submit")
    assert json.loads(body_text(submitted))["status"] == "submitted"
    assert one(entries, "GET", "/api/config").response.status == 200
    assert one(entries, "GET", "/logout").response.status == 302
    for static in ("/static/app.js", "/static/logo.png"):
        assert one(entries, "GET", static).response.status == 200
    assert all(e.response.status < 400 for e in entries)

    if name != "chrome_sanitized.har":
        assert header(created.request, "Authorization") == "Bearer " + json.loads(body_text(token))["access_token"]
        assert header(created.response, "Location") == f"/api/orders/{order_id}"


def test_all_variants_describe_the_same_session() -> None:
    values = {name: dynamic_values(name) for name in HAR_FILES}
    first = values["session.har"]
    assert first["csrf_html"] == first["csrf_meta"] == first["csrf_posted"]
    for name, found in values.items():
        assert found == first, name
    methods_paths = {
        name: [(e["request"]["method"], urlsplit(e["request"]["url"]).path) for e in load_har(name)["log"]["entries"]]
        for name in HAR_FILES
    }
    favicon = ("GET", "/favicon.ico")
    for name in CHROME_FILES:  # CDP also sees the browser's favicon fetch; Playwright does not
        assert [mp for mp in methods_paths[name] if mp != favicon] == methods_paths["session.har"]
    assert methods_paths["firefox.har"] == methods_paths["session.har"]


@pytest.mark.parametrize("name", CHROME_FILES)
def test_chrome_style(name: str) -> None:
    har = load_har(name)
    assert har["log"]["creator"]["name"] == "WebInspector"
    assert [p["id"] for p in har["log"]["pages"]] == ["page_1", "page_2", "page_3"]
    types = {e["_resourceType"] for e in har["log"]["entries"]}
    assert {"document", "stylesheet", "script", "image", "fetch", "xhr", "other"} <= types
    for entry in har["log"]["entries"]:
        assert entry["pageref"].startswith("page_")
        assert entry["cache"] == {}
        assert "_initiator" in entry and "_priority" in entry
    by_path = {(e["request"]["method"], urlsplit(e["request"]["url"]).path): e for e in har["log"]["entries"]}
    assert by_path[("GET", "/api/config")]["_resourceType"] == "xhr"
    assert by_path[("POST", "/api/token")]["_resourceType"] == "fetch"
    assert by_path[("GET", "/favicon.ico")]["_resourceType"] == "other"
    assert by_path[("GET", "/static/logo.png")]["response"]["content"]["encoding"] == "base64"
    if name == "chrome_http1.har":
        return
    for entry in har["log"]["entries"]:
        names = [h["name"] for h in entry["request"]["headers"]]
        assert names[:4] == [":authority", ":method", ":path", ":scheme"]
        pseudo = {h["name"]: h["value"] for h in entry["request"]["headers"][:4]}
        url = urlsplit(entry["request"]["url"])
        assert pseudo[":method"] == entry["request"]["method"]
        assert pseudo[":authority"] == url.netloc and pseudo[":path"] == url.path
        assert all(n == n.lower() for n in names)
        assert "host" not in names and "connection" not in names
        assert entry["request"]["httpVersion"] == entry["response"]["httpVersion"] == "http/2.0"


def test_chrome_sanitized_has_no_credentials() -> None:
    har = load_har("chrome_sanitized.har")
    for entry in har["log"]["entries"]:
        for part in (entry["request"], entry["response"]):
            assert not {h["name"].lower() for h in part["headers"]} & {"cookie", "set-cookie", "authorization"}
            assert part["cookies"] == []
    # ...while the unsanitized export of the same session does have them
    full = json.dumps(load_har("chrome_devtools.har"))
    assert '"cookie"' in full and '"set-cookie"' in full and '"authorization"' in full


def test_firefox_style() -> None:
    har = load_har("firefox.har")
    log = har["log"]
    assert log["creator"]["name"] == "Firefox" and log["browser"]["name"] == "Firefox"
    assert HarParser(har).browser["name"] == "Firefox"
    assert [p["id"] for p in log["pages"]] == ["page_1"]
    assert set(log["pages"][0]["pageTimings"]) == {"onContentLoad", "onLoad"}
    names = set()
    for entry in log["entries"]:
        assert not [k for k in entry if k.startswith("_")]
        assert "_resourceType" not in json.dumps(entry)
        assert entry["cache"] == {} and entry["pageref"] == "page_1"
        assert "text" in entry["response"]["content"]
        assert entry["startedDateTime"].endswith("+00:00")
        names.update(h["name"] for h in entry["request"]["headers"])
    assert {"Host", "User-Agent", "Cookie", "Authorization"} <= names  # original case kept
    assert not any(n.lower().startswith("sec-ch-ua") for n in names)


def test_variants_are_reproducible(tmp_path: Path) -> None:
    for name in ("session.har", "chrome_http1.har"):
        (tmp_path / name).write_bytes((RECORDINGS / name).read_bytes())
    for path in variants.build_variants(tmp_path):
        assert path.read_bytes() == (RECORDINGS / path.name).read_bytes(), path.name


# -- live app checks ---------------------------------------------------------------------------
@pytest.fixture()
def app() -> Iterator[str]:
    base_url, stop = harapp.start_app()
    try:
        yield base_url
    finally:
        stop()


class Client:
    """A tiny urllib browser: cookie jar, redirects followed, JSON helpers."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.opener: OpenerDirector = build_opener(HTTPCookieProcessor(CookieJar()))
        self.token: str | None = None

    def call(
        self, method: str, path: str, body: Any = None, form: dict[str, str] | None = None, token: str | None = None
    ) -> tuple[int, dict[str, str], str, str]:
        data, headers = None, {"Accept": "application/json"}
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        bearer = token or self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        request = Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with self.opener.open(request, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode(), resp.geturl()
        except HTTPError as err:
            return err.code, dict(err.headers), err.read().decode(), err.geturl()

    def login_page_csrf(self) -> str:
        status, _, html, _ = self.call("GET", "/login")
        assert status == 200
        match = CSRF_INPUT.search(html)
        assert match and CSRF_META.search(html).group(1) == match.group(1)  # type: ignore[union-attr]
        return match.group(1)

    def login(self, csrf: str) -> int:
        status, _, _, final_url = self.call(
            "POST", "/login", form={"username": "bob", "password": "demo", "csrf_token": csrf}
        )
        if status == 200:
            assert final_url.endswith("/dashboard")
        return status

    def full_flow(self) -> str:
        assert self.login(self.login_page_csrf()) == 200
        status, _, body, _ = self.call("POST", "/api/token", body={})
        assert status == 200
        self.token = json.loads(body)["access_token"]
        status, headers, body, _ = self.call("POST", "/api/orders", body={"item": "widget", "qty": 2})
        assert status == 201
        order_id = json.loads(body)["id"]
        assert headers["Location"] == f"/api/orders/{order_id}"
        status, _, body, _ = self.call("GET", headers["Location"])
        assert status == 200 and json.loads(body)["qty"] == 2
        status, _, body, _ = self.call("PUT", f"/api/orders/{order_id}", body={"item": "widget", "qty": 3})
        assert status == 200 and json.loads(body)["qty"] == 3
        status, _, body, _ = self.call("POST", f"/api/orders/{order_id}/submit", body={})
        assert status == 200 and json.loads(body)["status"] == "submitted"
        assert self.call("GET", "/api/config")[0] == 200
        return order_id


def stats(base_url: str) -> dict[str, Any]:
    status, _, body, _ = Client(base_url).call("GET", "/__stats")
    assert status == 200
    return json.loads(body)


def test_correct_flow_has_no_failures(app: str) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", app)
    Client(app).full_flow()
    result = stats(app)
    assert result["failures"] == {}
    assert result["requests"] == 9  # GET+POST /login, /dashboard, token, 4 order calls, config


def test_concurrent_clients_have_no_failures(app: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(3):
                Client(app).full_flow()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    result = stats(app)
    assert result == {"requests": 8 * 3 * 9, "failures": {}}


def test_stale_or_recorded_values_are_rejected(app: str) -> None:
    recorded = dynamic_values("session.har")

    # stale CSRF: a second page load replaced the first token
    client = Client(app)
    stale = client.login_page_csrf()
    fresh = client.login_page_csrf()
    assert stale != fresh
    assert client.login(stale) == 403
    # the CSRF value recorded in the HAR, replayed verbatim
    assert client.login(recorded["csrf_posted"]) == 403
    # no session cookie at all
    assert Client(app).call("POST", "/api/token", body={})[0] == 401
    assert Client(app).call("GET", "/dashboard")[0] == 401

    client = Client(app)
    own_order = client.full_flow()
    # recorded bearer token and recorded order id from the HAR
    assert client.call("GET", f"/api/orders/{own_order}", token=recorded["access_token"])[0] == 401
    assert client.call("GET", f"/api/orders/{recorded['order_id']}")[0] == 404
    assert client.call("PUT", f"/api/orders/{recorded['order_id']}", body={"item": "widget", "qty": 3})[0] == 404
    assert client.call("POST", f"/api/orders/{recorded['order_id']}/submit", body={})[0] == 404
    # an order of another token is invisible
    other = Client(app)
    other.full_flow()
    assert other.call("GET", f"/api/orders/{own_order}")[0] == 404

    assert stats(app)["failures"] == {
        "bad_csrf": 2,
        "bad_session": 2,
        "bad_token": 1,
        "unknown_order": 4,
    }
