"""A misbehaving HTTP target on 127.0.0.1 for the fault tests, in a process of its own, with its own
count of every request.

Plain sockets and one thread per connection, so it can do what a well-behaved server library will
not: cut a body short and reset the connection, never answer, answer late, send a body without end,
hang up without a response, speak something that is not HTTP. Each request head it reads is counted
under its path before the fault happens; that count is the server's own record, which the tests
compare with what loadspec reports. `refused_url` is a port nothing listens on. It sends nothing to
any other address, and every fault ends when the client goes away or the server stops.

`python tests/faultserver.py --port 0` serves until its standard input closes and prints one JSON
line first (`url`, `refused_url`); `GET /__counts` answers its record (not counted). `FaultServer`
starts that process for a test and reads the record back, so the target keeps serving whatever the
test process imports (Locust's gevent patching) and however it waits (a blocking `os.wait4`).
"""

from __future__ import annotations

import collections
import json
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    import subprocess

CHUNK = 1 << 20  # 1 MiB of a huge body per send
ENDLESS_CHUNK = 32 * 1024  # an endless body: this many bytes...
ENDLESS_PAUSE = 0.005  # ...every 5 ms (about 6 MB/s), so a client that keeps it all grows slowly
MAX_HEAD = 64 * 1024
COUNTS_PATH = "/__counts"  # the control endpoint: the record as JSON, itself not counted
START_TIMEOUT = 10.0  # seconds the server process may take to print its address


class FaultTarget:
    """The server itself (in the server process): serves the faults below on `url` until `stop()`.

    Paths: `/ok`; `/reset` (Content-Length 1000, 11 bytes, then a TCP reset); `/stall` (reads the
    request, never answers); `/slow?ms=N` (answers after N ms); `/error` (503); `/garbage` (200,
    application/json, not JSON); `/huge?mb=N` (N MiB, default 200, streamed from one buffer);
    `/endless` (a chunked body that never ends); `/close` (hangs up without a response);
    `/malformed` (a reply that is not HTTP). Anything else answers 404.
    """

    def __init__(self, port: int = 0) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(128)
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.refused_url = f"http://127.0.0.1:{_closed_port()}"
        self._connections: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name="faultserver", daemon=True)
        self._handlers: dict[str, Callable[[socket.socket, dict[str, list[str]]], bool]] = {
            "/ok": self._ok, "/reset": self._reset, "/stall": self._stall, "/slow": self._slow,
            "/error": self._error, "/garbage": self._garbage, "/huge": self._huge, "/endless": self._endless,
            "/close": self._close, "/malformed": self._malformed,
        }

    # --- the server's record ---------------------------------------------------------------

    def record(self) -> dict[str, int]:
        """Requests read so far, by path."""
        with self.lock:
            return dict(self.counts)

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """End every fault now: the threads see `stopping` within 0.2 s, and the sockets are shut
        down (the process then exits without waiting for them: they are daemons)."""
        self.stopping.set()
        with self.lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        """Requests on one connection, one after another, until a fault or the client ends it."""
        buffer = b""
        try:
            conn.settimeout(0.2)
            while not self.stopping.is_set():
                head, buffer = self._read_head(conn, buffer)
                if head is None:
                    return
                request_line, headers = head
                parts = request_line.split(" ")
                if len(parts) != 3:
                    return
                target = urlsplit(parts[1])
                length = int(headers.get("content-length", "0") or 0)
                while len(buffer) < length:  # a request body is read and dropped
                    data = self._recv(conn)
                    if not data:
                        return
                    buffer += data
                buffer = buffer[length:]
                if target.path == COUNTS_PATH:
                    self._reply(conn, "200 OK", json.dumps(self.record()).encode())
                    return  # and close: the asker reads the record to the end
                with self.lock:
                    self.counts[target.path] += 1
                handler = self._handlers.get(target.path, self._not_found)
                if not handler(conn, parse_qs(target.query)):
                    return
        except OSError:
            return
        finally:
            with self.lock:
                self._connections.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _recv(self, conn: socket.socket) -> bytes:
        """The next bytes from the client; b"" when it closed or the server stops."""
        while not self.stopping.is_set():
            try:
                return conn.recv(65536)
            except TimeoutError:
                continue
        return b""

    def _read_head(self, conn: socket.socket, buffer: bytes) -> tuple[tuple[str, dict[str, str]] | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            if len(buffer) > MAX_HEAD:
                return None, b""
            data = self._recv(conn)
            if not data:
                return None, b""
            buffer += data
        raw, _, rest = buffer.partition(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return (lines[0], headers), rest

    # --- replies -----------------------------------------------------------------------------

    @staticmethod
    def _reply(conn: socket.socket, status: str, body: bytes, content_type: str = "application/json") -> bool:
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
                     .encode() + body)
        return True

    def _ok(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        return self._reply(conn, "200 OK", json.dumps({"ok": True, "items": [1, 2, 3]}).encode())

    def _not_found(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        return self._reply(conn, "404 Not Found", b'{"error": "no such fault"}')

    def _error(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        return self._reply(conn, "503 Service Unavailable", b'{"error": "overloaded"}')

    def _garbage(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        return self._reply(conn, "200 OK", b'{"items": [1, 2, <html>oops')

    def _reset(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                     b'{"items": [')
        time.sleep(0.05)  # let the 11 bytes leave before the reset
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False  # closing now sends RST

    def _stall(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        while self._recv(conn):  # never answer; wait for the client to give up
            pass
        return False

    def _slow(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        if self.stopping.wait(float(query.get("ms", ["1000"])[0]) / 1000):
            return False
        return self._reply(conn, "200 OK", b'{"slow": true}')

    def _huge(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        size = int(query.get("mb", ["200"])[0]) * CHUNK
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\n\r\n"
                     .encode())
        block = b"x" * CHUNK
        conn.settimeout(30)
        for _ in range(size // CHUNK):
            if self.stopping.is_set():
                return False
            conn.sendall(block)
        conn.settimeout(0.2)
        return True

    def _endless(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = f"{ENDLESS_CHUNK:x}\r\n".encode() + b"y" * ENDLESS_CHUNK + b"\r\n"
        conn.settimeout(30)
        while not self.stopping.wait(ENDLESS_PAUSE):
            conn.sendall(chunk)  # raises once the client hangs up
        return False

    def _close(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        return False  # hang up without a word

    def _malformed(self, conn: socket.socket, query: dict[str, list[str]]) -> bool:
        conn.sendall(b"HELLO THIS IS NOT HTTP\r\nat all\r\n\r\n")
        return False


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FaultServer:
    """`with FaultServer() as server:` runs the fault target in a process of its own until the block
    ends; `server.url` and `server.refused_url` aim at it, `server.count(path)` reads its record."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.url = self.refused_url = ""
        self._address = ("127.0.0.1", 0)

    def __enter__(self) -> FaultServer:
        import subprocess  # here, not at the top: the server process starts faster without it

        # -I -S: the standard library only, nothing from the test process's path or site-packages
        self.process = subprocess.Popen([sys.executable, "-I", "-S", os.path.abspath(__file__), "--port", "0"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the server prints its address once it listens
        if not line:
            self.stop()
            raise RuntimeError(f"the fault server did not start (exit {self.process.returncode})")
        address = json.loads(line)
        self.url, self.refused_url = address["url"], address["refused_url"]
        host, _, port = urlsplit(self.url).netloc.partition(":")
        self._address = (host, int(port))
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def counts(self) -> dict[str, int]:
        """The server's record: requests read so far, by path (query strings ignored). Asked over a
        plain socket: one request, the answer read to its end (the server closes after it)."""
        with socket.create_connection(self._address, timeout=START_TIMEOUT) as conn:
            conn.sendall(f"GET {COUNTS_PATH} HTTP/1.1\r\nHost: fault\r\nConnection: close\r\n\r\n".encode())
            reply = b""
            while data := conn.recv(65536):
                reply += data
        head, _, body = reply.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"the fault server's record: {head[:80]!r}")
        return {str(path): int(n) for path, n in json.loads(body).items()}

    def count(self, path: str) -> int:
        """How many requests for `path` the server has read (query strings ignored)."""
        return self.counts.get(path, 0)

    def total(self) -> int:
        return sum(self.counts.values())

    def stop(self) -> None:
        """Close the server's standard input (it stops and exits); kill it if it does not."""
        import subprocess

        process = self.process
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:  # it did not stop: end it by force
            process.kill()
            process.wait()
        process.stdout.close()


def main(args: list[str]) -> None:
    """`faultserver.py [--port N]`: serve the faults until standard input closes (the test ended,
    or its process died), then exit at once."""
    if args and not (len(args) == 2 and args[0] == "--port" and args[1].isdigit()):
        sys.exit("usage: faultserver.py [--port N]  (N = 0: any free port on 127.0.0.1)")
    target = FaultTarget(int(args[1]) if args else 0)
    target.start()
    print(json.dumps({"url": target.url, "refused_url": target.refused_url}), flush=True)
    try:
        sys.stdin.read()  # returns at end of file
    except KeyboardInterrupt:
        pass
    target.stop()
    os._exit(0)  # the connection threads are daemons: no need to wait for them, or to tear down


if __name__ == "__main__":
    main(sys.argv[1:])
