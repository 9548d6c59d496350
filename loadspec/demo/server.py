"""Serve the demo shop on a loopback address, in a subprocess of its own (`DemoServer`).

`loadspec demo`, the examples and the test suite use it as a realistic HTTP target. It must not run
inside the load-generating process, must not listen on anything but a loopback address, and must not
import the rest of loadspec (standard library + gevent only). `python -m loadspec.demo` is its
process entry point (`__main__.py`).
"""

from __future__ import annotations

import ipaddress
import os
import queue
import subprocess
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any, Self

from .shop import app

__all__ = ["DemoServer", "is_loopback_host"]



def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and any loopback IP literal (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _watch_stdin() -> None:
    # Runs in a greenlet: when the parent process goes away (stdin hits EOF)
    # the server exits too, so it can never outlive its owner.  wait_read()
    # keeps this cooperative whether or not anything monkey-patched the process.
    from gevent.socket import wait_read

    fd = sys.stdin.fileno()
    try:
        while True:
            wait_read(fd)
            if not os.read(fd, 65536):
                break
    except OSError:
        pass
    os._exit(0)


def _make_server(host: str, port: int) -> Any:
    import socket

    from gevent.pywsgi import WSGIServer

    class _Server(WSGIServer):
        def handle(self, sock: socket.socket, address: Any) -> None:
            # pywsgi sends the headers and the body with two send() calls; with
            # Nagle's algorithm on, the client's delayed ACK then stalls every
            # keep-alive response by ~40 ms.  TCP_NODELAY removes the stall.
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            super().handle(sock, address)

    return _Server((host, port), app, log=None, backlog=1024, handler_class=_handler_class())


class _FastHeaders:
    """Minimal stand-in for pywsgi's default header parser (``MessageClass``).

    The default goes through :mod:`email.feedparser`, which costs about a third
    of the server's CPU per request; this implements just the interface that
    ``gevent.pywsgi.WSGIHandler`` uses (``status``, ``get``/``getheader``,
    ``__delitem__``, ``headers``, ``typeheader``).
    """

    __slots__ = ("_first", "_items", "status")
    MAX_LINE = 65536
    MAX_HEADERS = 100

    def __init__(self, fp: Any) -> None:
        self.status = ""
        items: list[list[str]] = []
        while True:
            line = fp.readline(self.MAX_LINE + 1)
            if len(line) > self.MAX_LINE:
                self.status = "Line too long"
                break
            if line in (b"\r\n", b"\n", b""):
                break
            if len(items) >= self.MAX_HEADERS:
                self.status = "Too many headers"
                break
            text = line.decode("latin-1")
            if text[0] in " \t" and items:  # obsolete line folding
                items[-1][1] += " " + text.strip()
                continue
            name, sep, value = text.partition(":")
            if not sep or not name or name != name.strip():
                self.status = "Invalid header line"
                break
            items.append([name, value.strip()])
        self._items = items
        first: dict[str, str] = {}
        for name, value in items:
            first.setdefault(name.lower(), value)
        self._first = first

    def get(self, name: str, default: Any = None) -> Any:
        return self._first.get(name.lower(), default)

    getheader = get

    def __delitem__(self, name: str) -> None:
        key = name.lower()
        self._first.pop(key, None)
        self._items = [item for item in self._items if item[0].lower() != key]

    @property
    def headers(self) -> list[str]:
        return [f"{name}: {value}\r\n" for name, value in self._items]

    @property
    def typeheader(self) -> str | None:
        return self._first.get("content-type")


def _handler_class() -> type:
    from gevent.pywsgi import WSGIHandler

    class _Handler(WSGIHandler):
        def MessageClass(self, fp: Any, *args: Any) -> _FastHeaders:
            return _FastHeaders(fp)

        def log_request(self) -> None:
            # pywsgi formats an access-log line even when log=None; skip it.
            pass

        def _write_with_headers(self, data: bytes) -> None:
            # pywsgi sends the headers and the body with two send() calls;
            # one syscall / one TCP segment per response is noticeably cheaper.
            self.headers_sent = True
            self.finalize_headers()
            out = bytearray(b"HTTP/1.1 ")
            out += self.status
            out += b"\r\n"
            for name, value in self.response_headers:
                out += name
                out += b": "
                out += value
                out += b"\r\n"
            out += b"\r\n"
            if self.response_use_chunked:  # never for this app: it sets Content-Length
                self._sendall(out)
                self._write(data)
            else:
                out += data
                self._sendall(out)

    return _Handler


# --------------------------------------------------------------------------- #
# Python API (runs in the caller's process, spawns the subprocess)             #
# --------------------------------------------------------------------------- #


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


class DemoServer:
    """Run the demo shop API in a subprocess; usable as a context manager.

    >>> with DemoServer() as server:
    ...     print(server.url)          # doctest: +SKIP
    http://127.0.0.1:54321
    """

    START_TIMEOUT = 10.0

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.url: str = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None

    def start(self) -> str:
        """Spawn the server and return its base URL once it is listening."""
        if self._proc is not None and self._proc.poll() is None:
            return self.url
        if not is_loopback_host(self.host):
            raise ValueError(f"demo server host must be a loopback address, got {self.host!r}")
        env = dict(os.environ)
        pkg_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        cmd = [
            sys.executable,
            "-m",
            "loadspec.demo",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--exit-on-stdin-eof",
        ]
        # stderr goes to a temporary file, never a pipe nobody drains.
        with tempfile.TemporaryFile() as errfile:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errfile,
                env=env,
            )
            line = self._wait_listening(proc)
            if line is None:
                code = proc.poll()
                _terminate(proc)
                errfile.seek(0)
                stderr = errfile.read().decode("utf-8", "replace").strip()
                if code is None:
                    why = f"did not start listening within {self.START_TIMEOUT:g} s"
                else:
                    why = f"exited with code {code} before listening"
                raise RuntimeError(f"demo server {why}: {stderr or '<no stderr output>'}")
        self._proc = proc
        self.url = line.split(" ", 1)[1]
        self._finalizer = weakref.finalize(self, _terminate, proc)
        return self.url

    def _wait_listening(self, proc: subprocess.Popen[bytes]) -> str | None:
        lines: queue.Queue[str | None] = queue.Queue()

        def read_until_listening() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("LISTENING "):
                    lines.put(line)
                    return
            lines.put(None)

        threading.Thread(target=read_until_listening, daemon=True).start()
        try:
            return lines.get(timeout=self.START_TIMEOUT)
        except queue.Empty:
            return None

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 5 s); safe to call twice."""
        if self._finalizer is not None:
            self._finalizer()  # runs _terminate at most once
            self._finalizer = None
        self._proc = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

