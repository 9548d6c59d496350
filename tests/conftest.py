"""Shared test fixtures: a recording HTTP server on 127.0.0.1 and a helper to run the CLI.

The recording server answers a small API (login with a fresh token, items, echo, status codes,
non-JSON pages, slow and connection-resetting endpoints) and remembers every request it received,
so tests can check from the server's side what loadspec really sent.
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RecordingServer:
    """A threaded HTTP server that records requests; `url` is its base URL."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self, prefix: str = "") -> list[str]:
        with self.lock:
            return [r.path for r in self.requests if r.path.startswith(prefix)]

    def matching(self, method: str, prefix: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]


def _handler(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, payload: Any, content_type: str = "application/json",
                   extra: dict[str, str] | None = None) -> None:
            body = payload if isinstance(payload, bytes) else (
                payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            received = Received(self.command, parts.path, parse_qs(parts.query),
                                {k.lower(): v for k, v in self.headers.items()}, body)
            with server.lock:
                server.requests.append(received)
            path = parts.path
            if path == "/login":
                token = secrets.token_hex(8)
                with server.lock:
                    server.tokens.append(token)
                self._reply(200, {"token": token, "user": {"id": 7}},
                            extra={"Set-Cookie": f"sid={token}; Path=/"})
            elif path == "/items":
                self._reply(200, {"items": [{"id": 11, "name": "a"}, {"id": 12, "name": "b"}], "count": 2})
            elif path.startswith("/items/"):
                self._reply(200, {"id": path.rsplit("/", 1)[1]})
            elif path == "/echo":
                self._reply(200, {"method": self.command, "headers": dict(self.headers.items()),
                                  "body": body.decode("utf-8", "replace"), "query": parse_qs(parts.query)})
            elif path.startswith("/status/"):
                code = int(path.rsplit("/", 1)[1])
                self._reply(code, {"status": code})
            elif path == "/html":
                self._reply(200, "<html><body>not json <b id='x'>42</b></body></html>", "text/html")
            elif path == "/empty":
                self._reply(200, {"items": []})
            elif path == "/slow":
                time.sleep(float(received.query.get("ms", ["500"])[0]) / 1000)
                self._reply(200, {"slow": True})
            elif path == "/reset":
                # Close with RST: SO_LINGER 0 makes close() abort the connection.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
            else:
                self._reply(200, {"ok": True, "path": path})

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    return Handler


@pytest.fixture
def recording_server() -> Any:
    """A fresh recording server per test on 127.0.0.1."""
    state = RecordingServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@dataclass
class CliResult:
    """What a user sees after running the command line."""

    code: int
    out: str
    err: str
    summary: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return self.out + self.err

    def step(self, name: str) -> dict[str, Any]:
        assert self.summary is not None
        for row in self.summary["steps"]:
            if row["name"] == name:
                return row
        return {"name": name, "requests": 0, "failures": 0}


SUMMARY_SCHEMA = REPO / "schemas" / "summary.schema.json"


def check_summary(summary: Any, where: str = "summary.json") -> None:
    """Fail unless `summary` validates against the published schema of summary.json."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(json.loads(SUMMARY_SCHEMA.read_text(encoding="utf-8")))
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                for e in validator.iter_errors(summary)]
    assert not problems, f"{where} does not match schemas/summary.schema.json:\n" + "\n".join(problems[:20])


@pytest.fixture(autouse=True)
def _reports_match_their_schema(request: pytest.FixtureRequest) -> Any:
    """After every test: each JSON report it wrote under its tmp_path validates against the schema."""
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if folder is None:
        return
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "loadspec_version" in data and "totals" in data:
            check_summary(data, str(path))


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120, json_summary: Path | None = None) -> CliResult:
    """Run `python -m loadspec ARGS` as a user would; optionally read the JSON summary."""
    import os

    command = [sys.executable, "-m", "loadspec", *args]
    if json_summary is not None:
        command += ["--json", str(json_summary)]
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd or REPO,
                          env=full_env)
    summary = json.loads(json_summary.read_text()) if json_summary and json_summary.exists() else None
    return CliResult(done.returncode, done.stdout, done.stderr, summary)


@pytest.fixture
def cli(tmp_path: Path) -> Any:
    """run_cli bound to a per-test JSON summary path."""
    def invoke(*args: str, summary: bool = True, **kwargs: Any) -> CliResult:
        path = tmp_path / f"summary-{secrets.token_hex(3)}.json" if summary else None
        return run_cli(*args, json_summary=path, **kwargs)
    return invoke
