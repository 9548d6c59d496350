"""Shared plumbing of the real-app corpus: serve a WSGI app on 127.0.0.1 with a status log, run a
`start.py` as a subprocess, and record a Playwright HAR with static content filtered out.

Every app in `tests/realapps/<app>/` has a `start.py` whose `main()` builds a fresh database in a
folder and serves the app through `serve()` here; `running(start_py)` runs it as a subprocess for
tests and recorders. `serve()` wraps the WSGI app in a tiny middleware that appends one JSON line
per request (method, path, status) to `requests.log` in that folder: that is the app's own record
of what it answered, read back with `responses()`. `record()` drives one Chromium session through
a callback and writes a small HAR (scripts, stylesheets, images and fonts are dropped at record
time, so the file keeps only what the server has to do).
"""

from __future__ import annotations

import json
import os
import re
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

LOG_NAME = "requests.log"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STATIC_TYPES = {"script", "stylesheet", "image", "font", "media", "manifest", "texttrack"}
STATIC_PATH = re.compile(r"/static/|\.(js|css|png|jpe?g|gif|svg|ico|woff2?|ttf|map)(\?|$)")


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def status_log(app: Callable[..., Any], log_path: Path) -> Callable[..., Any]:
    """Wrap a WSGI app: one JSON line {method, path, status} per request, appended to `log_path`; the
    traceback of an exception the app raised goes to `errors.log` next to it."""
    lock = threading.Lock()

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen: dict[str, int] = {}

        def recording_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            result = app(environ, recording_start)
            try:
                return list(result)  # the body is read here, so an error while producing it is logged too
            finally:
                getattr(result, "close", lambda: None)()
        except Exception:
            with lock, (log_path.parent / "errors.log").open("a") as out:
                out.write(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}\n{traceback.format_exc()}\n")
            raise
        finally:
            query = environ.get("QUERY_STRING")
            line = json.dumps({"method": environ["REQUEST_METHOD"],
                               "path": environ.get("PATH_INFO", "") + (f"?{query}" if query else ""),
                               "status": seen.get("status", 500)})
            with lock, log_path.open("a") as out:
                out.write(line + "\n")

    return logged


def serve(app: Callable[..., Any], folder: Path, port: int = 0) -> None:
    """Serve `app` on 127.0.0.1:`port` (0 = free port) until killed; prints `LISTENING <url>`."""
    server = make_server("127.0.0.1", port, status_log(app, folder / LOG_NAME), server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    print(f"LISTENING http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


def responses(folder: Path) -> list[dict[str, Any]]:
    """The app's own log of what it answered: [{method, path, status}, ...] in order."""
    path = folder / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def rejections(folder: Path) -> list[dict[str, Any]]:
    """Every 4xx/5xx answer in the app's log."""
    return [r for r in responses(folder) if r["status"] >= 400]


@dataclass
class App:
    """A running app: its base URL and the folder holding its database and request log."""

    url: str
    folder: Path
    process: subprocess.Popen[str]

    def responses(self) -> list[dict[str, Any]]:
        return responses(self.folder)

    def rejections(self) -> list[dict[str, Any]]:
        return rejections(self.folder)

    def reset_log(self) -> None:
        (self.folder / LOG_NAME).unlink(missing_ok=True)


@contextmanager
def running(start_py: Path, timeout: float = 300.0) -> Iterator[App]:
    """Run `start_py --dir <fresh temp folder>` and yield the App once it listens; stops it after."""
    with tempfile.TemporaryDirectory(prefix=f"realapp-{start_py.parent.name}-") as folder:
        process = subprocess.Popen([sys.executable, str(start_py), "--dir", folder], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            url = _wait_listening(process, timeout)
            yield App(url, Path(folder), process)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_listening(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            err = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"app exited before listening:\n{''.join(lines)}\n{err[-4000:]}")
        lines.append(line)
        if line.startswith("LISTENING "):
            threading.Thread(target=_drain, args=(process,), daemon=True).start()
            return line.split()[1]
    raise RuntimeError(f"app did not listen within {timeout:.0f}s:\n{''.join(lines)}")


def _drain(process: subprocess.Popen[str]) -> None:
    """Keep reading the app's output so its pipes never fill up."""
    streams = [s for s in (process.stdout, process.stderr) if s is not None]
    threads = [threading.Thread(target=lambda s=s: [None for _ in s], daemon=True) for s in streams]
    for thread in threads:
        thread.start()


def keep_entry(entry: dict[str, Any]) -> bool:
    """Record-time filter: scripts, stylesheets, images, fonts and /static/ files are left out, by
    resource type, by MIME type and by path."""
    if str(entry.get("_resourceType", "")).lower() in STATIC_TYPES:
        return False
    mime = str(entry.get("response", {}).get("content", {}).get("mimeType", "")).lower()
    if mime.startswith(("image/", "font/", "text/css", "text/javascript", "application/javascript")):
        return False  # also when fetched by a script (Wagtail's icon sprite)
    return not STATIC_PATH.search(entry["request"]["url"].split("?")[0] + "?")


def record(start_py: Path, drive: Callable[[Any, str], None], har_path: Path, *,
           http_credentials: dict[str, str] | None = None, expected: str = r"404 /favicon\.ico",
           bypass_csp: bool = False) -> None:
    """Start the app, drive one headless Chromium session with `drive(page, base_url)`, write the HAR.

    Fails if the app answered any 4xx/5xx while recording, except those whose `status path` matches
    the regex `expected` (by default the browser's own favicon fetch).
    """
    from playwright.sync_api import sync_playwright

    with running(start_py) as app, sync_playwright() as playwright, \
            tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw.har"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(record_har_path=str(raw), record_har_content="embed",
                                      http_credentials=http_credentials, bypass_csp=bypass_csp)
        page = context.new_page()
        page.set_default_timeout(30_000)
        drive(page, app.url)
        context.close()
        browser.close()
        har = json.loads(raw.read_text())
        entries = har["log"]["entries"]
        har["log"]["entries"] = [e for e in entries if keep_entry(e)]
        har_path.write_text(json.dumps(har, indent=1, ensure_ascii=False) + "\n")
        bad = [r for r in app.rejections() if not re.fullmatch(expected, f"{r['status']} {r['path']}")]
        print(f"{har_path}: {len(har['log']['entries'])} of {len(entries)} entries kept; "
              f"app answered {len(app.responses())} requests, {len(bad)} rejected")
        if bad:
            raise SystemExit(f"the app rejected requests while recording: {bad}")
