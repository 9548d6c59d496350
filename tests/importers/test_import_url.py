"""An OpenAPI document given as a URL: `loadspec convert URL` and `loadspec run URL`, the host rule, each error.

The FastAPI test app (tests/importers/app.py) serves its own `/openapi.json` (no `servers`), so
its URL is what a user would give; a run of it with several users is judged by the app's own
state. A small `http.server` on 127.0.0.1 plays the servers that go wrong (404, 500, a stall, an
HTML page, a huge answer) and the documents with relative servers, redirects and basic auth.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from loadspec.cli import main
from loadspec.errors import FetchError
from loadspec.sources import fetch
from loadspec.sources.fetch import fetch_document

HERE = Path(__file__).parent
USERS = 3
ITERATIONS = 2
PASSWORD = "pa:ss-w0rd"  # of the documents behind basic auth


def _load_app() -> Any:
    spec = importlib.util.spec_from_file_location("importers_server", HERE / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


APP = _load_app()


def openapi(servers: list[dict[str, str]] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "ping", "version": "1"},
                           "paths": {"/ping": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    if servers is not None:
        doc["servers"] = servers
    return doc


class Handler(BaseHTTPRequestHandler):
    """The answers of the test server, by path; every request is recorded with its Authorization header."""

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def send(self, status: int, body: bytes, media: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", headers.pop("length", str(len(body))))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.seen.append((self.path, self.headers.get("Authorization"), self.headers.get("Accept")))
        path = self.path
        if path == "/missing.json":
            self.send(404, b'{"detail": "Not Found"}')
        elif path == "/broken.json":
            self.send(500, b"Internal Server Error", "text/plain")
        elif path == "/slow.json":
            self.server.release.wait(8)  # stalls until the test is over (bounded)
            self.send(200, json.dumps(openapi()).encode())
        elif path == "/page":
            self.send(200, b"<!DOCTYPE html><html><body>Swagger UI</body></html>", "text/html")
        elif path == "/swagger.json":
            self.send(200, json.dumps({"swagger": "2.0", "paths": {}}).encode())
        elif path == "/collection.json":
            self.send(200, json.dumps({"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/"
                                                          "collection.json"}, "item": []}).encode())
        elif path == "/huge.json":
            self.send(200, b'{"openapi": "3.0.3"', length=str(200 * 1024 * 1024))
        elif path == "/stream.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b" " * 4096 + json.dumps(openapi()).encode())
            self.close_connection = True
        elif path == "/nested/openapi.yaml":
            self.send(200, yaml.safe_dump(openapi([{"url": "api/v1"}])).encode(), "application/yaml")
        elif path == "/absolute.json":
            self.send(200, json.dumps(openapi([{"url": "https://api.example.com/v2"}])).encode())
        elif path == "/moved":
            self.send(302, b"", Location="/nested/openapi.yaml")
        elif path == "/elsewhere":
            self.send(302, b"", Location=self.server.other + "/private/openapi.json")
        elif path == "/private/openapi.json":
            expected = "Basic " + base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send(401, b'{"detail": "who are you?"}', **{"WWW-Authenticate": 'Basic realm="docs"'})
            else:
                self.send(200, json.dumps(openapi([{"url": "/api"}])).encode())
        else:
            self.send(404, b"{}")


def _serve() -> tuple[ThreadingHTTPServer, threading.Thread]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.seen = []  # type: ignore[attr-defined]
    httpd.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, thread


@pytest.fixture(scope="module")
def docs() -> Iterator[Any]:
    """Two test servers (two origins); `docs.url` and `docs.other` are their base URLs."""
    first, one = _serve()
    second, two = _serve()
    first.other = second.other = f"http://127.0.0.1:{second.server_address[1]}"  # type: ignore[attr-defined]
    first.url = f"http://127.0.0.1:{first.server_address[1]}"  # type: ignore[attr-defined]
    first.second = second  # type: ignore[attr-defined]
    try:
        yield first
    finally:
        for httpd, thread in ((first, one), (second, two)):
            httpd.release.set()  # type: ignore[attr-defined]
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    base_url, stop = APP.start_app()
    try:
        yield base_url
    finally:
        stop()


def state(base_url: str, *, reset: bool = False) -> dict[str, Any]:
    request = urllib.request.Request(base_url + ("/__state/reset" if reset else "/__state"),
                                     method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def convert(url: str, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["convert", url, "-o", str(out)])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


# --- the FastAPI app's own document ---------------------------------------------------------------


def test_convert_of_the_app_s_url_writes_yaml_whose_host_is_the_app(app: str, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "api.yaml"
    status, said = convert(app + "/openapi.json", out, capsys)
    assert status == 0, said
    assert f"{app}/openapi.json (OpenAPI 3.1.0 document" in said  # the summary names the URL
    assert f"host {app}: the origin of the document's URL (it lists no servers)" in said
    written = out.read_text(encoding="utf-8")
    assert f"imported from the OpenAPI 3.1.0 document {app}/openapi.json" in written
    assert yaml.safe_load(written)["host"] == app
    assert main(["validate", str(out)]) == 0


def test_run_of_the_app_s_url_with_several_users_is_judged_by_the_app(app: str) -> None:
    state(app, reset=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")}
    environment.update({"LOADSPEC_USERNAME": "frank", "LOADSPEC_PASSWORD": APP.PASSWORD})
    proc = subprocess.run(  # no --host: the document's URL gives it
        [sys.executable, "-m", "loadspec", "run", app + "/openapi.json", "-u", str(USERS), "-r", str(USERS),
         "--iterations", str(ITERATIONS), "-q"], capture_output=True, text=True, timeout=120, env=environment)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{app}/openapi.json (OpenAPI 3.1.0 document" in proc.stderr
    seen = state(app)
    assert seen["errors"] == []
    assert seen["tokens"] == USERS and len(seen["per_token"]) == USERS
    for counts in seen["per_token"].values():
        assert counts == {event: ITERATIONS for event in (
            "items.created", "items.read", "items.updated", "items.deleted",
            "notes.created", "notes.read", "notes.deleted")}
    assert seen["items"] == 0 and seen["notes"] == 0


# --- the host rule ---------------------------------------------------------------------------------


def test_a_relative_server_is_resolved_against_the_url_after_redirects(docs: Any, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ping.yaml"
    status, said = convert(docs.url + "/moved", out, capsys)
    assert status == 0, said
    spec = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert spec["host"] == docs.url
    assert [step["get"] for step in spec["scenarios"][0]["steps"]] == ["/nested/api/v1/ping"]
    assert f"host {docs.url}: servers[0] ('api/v1') against the document's URL" in said
    accept = next(accept for path, _, accept in docs.seen if path == "/moved")
    assert accept == fetch.ACCEPT


def test_an_absolute_server_stays_as_it_is(docs: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ping.yaml"
    status, said = convert(docs.url + "/absolute.json", out, capsys)
    assert status == 0, said
    spec = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert spec["host"] == "https://api.example.com"
    assert [step["get"] for step in spec["scenarios"][0]["steps"]] == ["/v2/ping"]


def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_shown(docs: Any, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "private.yaml"
    port = docs.server_address[1]
    status, said = convert(f"http://bob:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{port}/private/openapi.json",
                           out, capsys)
    assert status == 0, said
    written = out.read_text(encoding="utf-8")
    assert f"http://***@127.0.0.1:{port}/private/openapi.json" in said
    assert yaml.safe_load(written)["host"] == docs.url  # no user:password@ in the spec's host
    for text in (said, written):
        assert "pa%3Ass" not in text and PASSWORD not in text and "bob" not in text


def test_credentials_do_not_follow_a_redirect_to_another_origin(docs: Any, capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    port = docs.server_address[1]
    status = main(["convert", f"http://bob:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{port}/elsewhere"])
    err = capsys.readouterr().err
    assert status == 2
    assert f"error: http://***@127.0.0.1:{port}/elsewhere: the server answered 401" in err
    assert [auth for path, auth, _ in docs.second.seen if path == "/private/openapi.json"][-1] is None
    assert PASSWORD not in err and "bob" not in err


# --- each error, exit 2, no traceback -------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [
    ("/missing.json", "the server answered 404 Not Found; expected an OpenAPI document (JSON or YAML)"),
    ("/broken.json", "the server answered 500 Internal Server Error; expected an OpenAPI document"),
    ("/page", "not an OpenAPI document: the server sent an HTML page"),
    ("/swagger.json", "not an OpenAPI document: the server sent a Swagger 2.0 document; loadspec reads OpenAPI 3.0 "
                      "and 3.1"),
    ("/collection.json", "a Postman collection; loadspec imports it from a file, not a URL"),
    ("/huge.json", "the answer is 200 MB, more than loadspec reads as an OpenAPI document (JSON or YAML) (64 MB)"),
])
def test_a_url_that_does_not_give_an_openapi_document_is_one_precise_error(
        docs: Any, path: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("convert", "validate"):
        assert main([command, docs.url + path]) == 2, command
        err = capsys.readouterr().err
        assert f"{docs.url}{path}: {expected}" in err, (command, err)


def test_run_and_export_of_a_url_that_fails_say_so_without_a_traceback(docs: Any) -> None:
    for command in (["run", "-q"], ["export"]):  # in a process of its own: `run` imports Locust and gevent
        proc = subprocess.run([sys.executable, "-m", "loadspec", *command, docs.url + "/broken.json"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (f"error: {docs.url}/broken.json: the server answered 500 Internal Server Error; "
                               "expected an OpenAPI document (JSON or YAML)\n")


def test_nothing_listening_says_so_and_masks_the_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["convert", f"http://bob:hunter2@127.0.0.1:{port}/openapi.json"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: http://***@127.0.0.1:{port}/openapi.json: connection refused: nothing listens on "
                   f"127.0.0.1:{port}\n")


def test_a_server_that_stalls_times_out(docs: Any, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(fetch, "TIMEOUT", 0.5)
    assert main(["convert", docs.url + "/slow.json"]) == 2
    assert capsys.readouterr().err == f"error: {docs.url}/slow.json: no answer within 0.5 s\n"


def test_a_body_over_the_cap_without_a_length_is_refused_while_reading(docs: Any) -> None:
    with pytest.raises(FetchError, match=r"the answer is more than 0 MB"):
        fetch_document(docs.url + "/stream.json", max_bytes=1024)
    assert "ping" in fetch_document(docs.url + "/stream.json").text  # the same answer under the cap


@pytest.mark.parametrize(("url", "expected"), [
    ("ftp://127.0.0.1/openapi.json", "ftp://127.0.0.1/openapi.json: loadspec fetches http:// and https:// URLs "
                                     "only; download the document and give its file"),
    ("file:///etc/openapi.json", "loadspec fetches http:// and https:// URLs only"),
    ("http:///openapi.json", "http:///openapi.json: the URL has no host"),
    ("http://127.0.0.1:port/x", "not a valid URL"),
])
def test_a_url_that_cannot_be_fetched_is_refused_before_any_request(url: str, expected: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", url]) == 2
    assert expected in capsys.readouterr().err


def test_workers_of_a_distributed_run_of_a_url_get_its_converted_yaml(app: str) -> None:
    state(app, reset=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")}
    environment.update({"LOADSPEC_USERNAME": "grace", "LOADSPEC_PASSWORD": APP.PASSWORD})
    proc = subprocess.run(
        [sys.executable, "-m", "loadspec", "run", app + "/openapi.json", "--processes", "2", "-u", str(USERS),
         "-r", str(USERS), "--iterations", str(ITERATIONS), "-q"],
        capture_output=True, text=True, timeout=120, env=environment)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = state(app)
    assert seen["errors"] == [] and seen["tokens"] == USERS
    assert all(counts["items.deleted"] == ITERATIONS for counts in seen["per_token"].values())
