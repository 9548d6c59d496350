"""The wire client (loadspec/engine/wire.py) against real servers on 127.0.0.1 started here.

A raw TCP server answers byte for byte what each test scripts (cut-short bodies, resets, garbage,
silence, endless bodies), and records every request and the connection it came on, so each test
checks from the server's side what the client really sent: how many requests, on how many
connections, with which headers and bodies. No hidden retries means the server's count equals the
client's count, including when a connection dies.
"""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest

from loadspec.engine.wire import WireClient, WireOptions, encode_json, encode_multipart, header_lines, prepare

MB = 1024 * 1024


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    connection: int


Handler = Callable[["Conn", Seen], bool]  # returns whether to keep the connection open


class Conn:
    """One accepted connection, handed to route handlers to write whatever they like."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def reset(self) -> None:
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


@dataclass
class RawServer:
    """A threaded TCP server speaking just enough HTTP/1.1 to read requests; routes by path prefix."""

    routes: dict[str, Handler]
    tls: ssl.SSLContext | None = None
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def count(self, prefix: str = "/") -> int:
        with self.lock:
            return sum(1 for s in self.seen if s.path.startswith(prefix))

    def start(self) -> RawServer:
        owner = self

        class Handle(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with owner.lock:
                    owner.connections += 1
                    number = owner.connections
                sock: socket.socket = self.request
                sock.settimeout(10)
                buffer = b""
                try:
                    while True:
                        while b"\r\n\r\n" not in buffer:
                            data = sock.recv(65536)
                            if not data:
                                return
                            buffer += data
                        head, buffer = buffer.split(b"\r\n\r\n", 1)
                        lines = head.decode("latin-1").split("\r\n")
                        method, path, _ = lines[0].split(" ", 2)
                        headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
                        length = int(headers.get("content-length", "0"))
                        while len(buffer) < length:
                            buffer += sock.recv(65536)
                        body, buffer = buffer[:length], buffer[length:]
                        request = Seen(method, path, headers, body, number)
                        with owner.lock:
                            owner.seen.append(request)
                        route = max((p for p in owner.routes if path.startswith(p)), key=len)
                        if not owner.routes[route](Conn(sock), request):
                            return
                except OSError:
                    return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self) -> Any:
                sock, address = super().get_request()
                if owner.tls is not None:
                    sock = owner.tls.wrap_socket(sock, server_side=True)
                return sock, address

        self._server = Server(("127.0.0.1", 0), Handle)
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def ok(conn: Conn, req: Seen) -> bool:
    conn.answer(200, b"ok " + req.path.encode())
    return True


@pytest.fixture
def serve():
    started: list[RawServer] = []

    def start(routes: dict[str, Handler], tls: ssl.SSLContext | None = None) -> RawServer:
        server = RawServer({"/": ok, **routes}, tls=tls).start()
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


# --- connections: reuse, reconnect, no hidden retries -------------------------------------------


def test_requests_reuse_one_connection_and_bodies_arrive_whole(serve):
    server = serve({})
    client = WireClient(server.url)
    get = prepare("GET", "/a", base_url=server.url)
    responses = [client.send(get) for _ in range(5)]
    assert [(r.status, r.body, r.error) for r in responses] == [(200, b"ok /a", None)] * 5
    assert server.count("/a") == 5
    assert server.connections == 1
    assert responses[0].url == f"{server.url}/a"


def test_a_request_prepared_for_one_host_goes_to_the_host_of_its_client(serve):
    compiled_for, running_on = serve({}), serve({})  # e.g. the web UI's host field changed the host
    step = prepare("GET", "/a?x=1", {"X-Step": "1"}, base_url=compiled_for.url)
    result = WireClient(running_on.url).send(step)
    assert (result.status, result.url) == (200, f"{running_on.url}/a?x=1")
    assert compiled_for.count() == 0 and running_on.count() == 1
    seen = running_on.seen[0]
    assert seen.headers["host"] == running_on.url.split("//", 1)[1] and seen.headers["x-step"] == "1"


def test_credentials_in_the_url_become_basic_authorization(serve):
    server = serve({})
    with_user = server.url.replace("http://", "http://ann:s%40cret@")
    assert WireClient(with_user).request("GET", "/a").status == 200
    assert WireClient().request("GET", f"{with_user}/b").status == 200
    assert [s.headers["authorization"] for s in server.seen] == ["Basic YW5uOnNAY3JldA=="] * 2  # ann:s@cret
    assert "ann" not in server.seen[0].headers["host"]


def test_reconnects_after_the_server_closes_without_losing_or_repeating_a_request(serve):
    def close_after(conn: Conn, req: Seen) -> bool:
        conn.answer(200, b"bye", {"Connection": "close"})
        return False

    def close_quietly(conn: Conn, req: Seen) -> bool:  # keep-alive answer, then the server hangs up
        conn.answer(200, b"idle")
        time.sleep(0.2)
        return False

    server = serve({"/close": close_after, "/idle": close_quietly})
    client = WireClient(server.url)
    results = [client.request("GET", p) for p in ("/close", "/a", "/idle")]
    time.sleep(0.5)  # the server has hung up on the idle connection by now
    results.append(client.request("GET", "/b"))
    assert [r.error for r in results] == [None] * 4
    assert [s.path for s in server.seen] == ["/close", "/a", "/idle", "/b"]
    assert server.connections == 3


def test_a_connection_closed_without_a_response_is_an_error_and_never_retried(serve):
    def drop(conn: Conn, req: Seen) -> bool:
        return False  # read the request, close without a word

    server = serve({"/drop": drop})
    client = WireClient(server.url)
    assert client.request("GET", "/a").error is None  # a kept-alive connection to fail on
    outcomes = [client.request("GET", "/drop") for _ in range(3)]
    post = client.request("POST", "/drop", body=b"x")
    assert [r.error for r in outcomes + [post]] == ["connection closed without a response"] * 4
    assert [r.status for r in outcomes] == [0, 0, 0]
    assert server.count("/drop") == 4  # one each: the client's count is the server's count
    assert client.request("GET", "/a").error is None


def test_a_connection_reset_before_the_response_is_an_error_and_never_retried(serve):
    def reset(conn: Conn, req: Seen) -> bool:
        conn.reset()
        return False

    server = serve({"/reset": reset})
    client = WireClient(server.url)
    outcomes = [client.request("GET", "/reset") for _ in range(3)]
    assert all(r.error and r.status == 0 for r in outcomes), outcomes
    assert server.count("/reset") == 3


def test_refused_connection_is_an_error(serve):
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    result = WireClient().request("GET", f"http://127.0.0.1:{port}/")
    assert result.error == "connection refused"


# --- trust: cut-short, malformed, limits ---------------------------------------------------------


def test_a_body_cut_short_is_an_error_never_a_success(serve):
    def cut_reset(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhello world")
        time.sleep(0.1)
        conn.reset()
        return False

    def cut_close(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhello world")
        return False

    def cut_chunked(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        return False

    server = serve({"/reset": cut_reset, "/close": cut_close, "/chunked": cut_chunked})
    client = WireClient(server.url)
    reset, closed, chunked = (client.request("GET", p) for p in ("/reset", "/close", "/chunked"))
    assert reset.error == "response cut short: connection reset after 11 of 1000 body bytes"
    assert closed.error == "response cut short: connection closed after 11 of 1000 body bytes"
    assert chunked.error is not None and chunked.error.startswith("response cut short")
    assert server.count() == 3
    assert client.request("GET", "/a").error is None  # and the client carries on


def test_malformed_http_is_an_error_with_a_clear_message(serve):
    def garbage(conn: Conn, req: Seen) -> bool:
        conn.send(b"SMTP ready\r\n\r\n")
        return False

    def bad_length(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nhi")
        return False

    server = serve({"/garbage": garbage, "/length": bad_length})
    client = WireClient(server.url)
    for path in ("/garbage", "/length"):
        result = client.request("GET", path)
        assert result.error is not None and result.error.startswith("malformed HTTP response: "), result.error
        assert result.status == 0
    assert server.count() == 2


def test_a_body_over_the_limit_is_read_and_discarded_and_said_so(serve):
    big = bytes(range(256)) * (3 * MB // 256)

    def large(conn: Conn, req: Seen) -> bool:
        conn.answer(200, big)
        return True

    def large_chunked(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(3):
            conn.send(b"%x\r\n" % MB + big[:MB] + b"\r\n")
        conn.send(b"0\r\n\r\n")
        return True

    server = serve({"/large": large, "/chunked": large_chunked})
    client = WireClient(server.url, body_limit=MB)
    for path in ("/large", "/chunked"):
        result = client.request("GET", path)
        assert result.error is None and result.status == 200
        assert result.over_limit and result.over_limit_message() == "body over 1 MB"
        assert len(result.body) == MB and result.body == big[:MB]
        assert result.size == 3 * MB
    assert client.request("GET", "/a").body == b"ok /a"
    assert server.connections == 1  # every byte was read: the connection stayed usable
    assert WireClient(server.url).request("GET", "/large").over_limit is False  # default limit: 10 MB


def test_an_endless_body_ends_at_the_total_time_limit(serve):
    stop = threading.Event()

    def endless(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while not stop.is_set():
            conn.send(b"400\r\n" + b"x" * 1024 + b"\r\n")
            time.sleep(0.001)
        return False

    def drip(conn: Conn, req: Seen) -> bool:  # a byte now and then: never idle long enough to time out
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            if stop.is_set():
                break
            conn.send(b"x")
            time.sleep(0.1)
        return False

    server = serve({"/endless": endless, "/drip": drip})
    client = WireClient(server.url, timeout=5, total_timeout=1, body_limit=MB)
    try:
        for path in ("/endless", "/drip"):
            result = client.request("GET", path)
            assert result.error == "no complete response within the total time limit of 1s"
            assert result.status == 0
    finally:
        stop.set()
    assert client.request("GET", "/a").error is None
    assert server.count() == 3


def test_silence_is_a_read_timeout(serve):
    release = threading.Event()

    def stall(conn: Conn, req: Seen) -> bool:
        release.wait(10)
        return False

    server = serve({"/stall": stall})
    result = WireClient(server.url, timeout=0.3, total_timeout=None).request("GET", "/stall")
    release.set()
    assert result.error == "read timeout after 0.3s waiting for the response"
    assert server.count("/stall") == 1


def test_a_request_that_cannot_be_built_is_an_error_and_never_sent(serve):
    server = serve({})
    client = WireClient(server.url)
    for headers in ({"X-Bad": "a\r\nInjected: 1"}, {"X-Name": "Zoë ☃"}, {"Bad Name": "x"}):
        result = client.request("GET", "/a", headers=headers)
        assert result.error and result.status == 0, headers
    assert "line break" in client.request("GET", "/a", headers={"X": "a\nb"}).error
    assert "port out of range" in client.request("GET", "http://127.0.0.1:99999/").error
    assert server.count() == 0


# --- content: encodings, chunked, uploads ----------------------------------------------------------


def test_gzip_and_deflate_bodies_are_decoded(serve):
    text = b'{"message": "' + b"compressible " * 2000 + b'"}'
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    bodies = {
        "/gzip": ("gzip", gzip.compress(text)),
        "/deflate": ("deflate", zlib.compress(text)),
        "/raw-deflate": ("deflate", raw_deflate.compress(text) + raw_deflate.flush()),
    }

    def encoded(conn: Conn, req: Seen) -> bool:
        encoding, body = bodies[req.path]
        conn.answer(200, body, {"Content-Encoding": encoding})
        return True

    server = serve({path: encoded for path in bodies})
    client = WireClient(server.url)
    for path in bodies:
        result = client.request("GET", path)
        assert result.error is None and result.body == text, path
        assert json.loads(result.text)["message"].startswith("compressible")
    assert all("gzip" in s.headers["accept-encoding"] for s in server.seen)


def test_chunked_bodies_are_joined(serve):
    def chunked(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (b"hello ", b"chunked ", b"world"):
            conn.send(b"%x\r\n%s\r\n" % (len(part), part))
        conn.send(b"0\r\n\r\n")
        return True

    server = serve({"/chunked": chunked})
    client = WireClient(server.url)
    assert [client.request("GET", "/chunked").body for _ in range(2)] == [b"hello chunked world"] * 2
    assert server.connections == 1


def test_json_and_multipart_bodies_arrive_as_sent(serve, tmp_path):
    server = serve({})
    client = WireClient(server.url)
    payload = encode_json({"name": "Zoë", "n": 1})
    login = prepare("POST", "/json", {"Content-Type": "application/json"}, payload, base_url=server.url)
    assert client.send(login).error is None
    content = bytes(range(256)) * 40
    body, kind = encode_multipart({"title": "report"}, {"upload": ("data.bin", content, "application/octet-stream")})
    assert client.request("POST", "/upload", {"Content-Type": kind}, body).error is None
    empty = client.request("POST", "/empty")
    assert empty.error is None

    sent_json, sent_upload, sent_empty = server.seen
    assert json.loads(sent_json.body) == {"name": "Zoë", "n": 1}
    assert sent_json.headers["content-length"] == str(len(payload))
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {sent_upload.headers['content-type']}\r\n\r\n".encode() + sent_upload.body)
    parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
    assert parts["title"].get_content() == "report"
    assert parts["upload"].get_filename() == "data.bin"
    assert parts["upload"].get_content() == content
    assert sent_empty.headers["content-length"] == "0"


def test_headers_arrive_whole_when_split_across_packets_and_after_an_interim_answer(serve):
    head = (b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 201 Created\r\nX-Long-Header-Name: " + b"v" * 3000 + b"\r\nSet-Cookie: a=1\r\n"
            b"set-cookie: b=2\r\nX-Empty:\r\nContent-Length: 4\r\n\r\nbody")

    def dribble(conn: Conn, req: Seen) -> bool:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(head), 7):
            conn.send(head[start:start + 7])
            time.sleep(0.0005)
        return True

    server = serve({"/dribble": dribble})
    result = WireClient(server.url).request("GET", "/dribble")
    assert (result.status, result.body, result.error) == (201, b"body", None)
    assert result.headers["x-long-header-name"] == "v" * 3000
    assert result.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert result.headers["x-empty"] == ""
    assert result.cookies.get_dict() == {"a": "1", "b": "2"}


# --- redirects ----------------------------------------------------------------------------------


def test_redirects_are_followed_up_to_the_limit_or_not_at_all(serve):
    def hop(conn: Conn, req: Seen) -> bool:
        left = int(req.path.rsplit("/", 1)[1])
        conn.answer(302, b"", {"Location": f"/hop/{left - 1}" if left > 1 else "/final"})
        return True

    def see_other(conn: Conn, req: Seen) -> bool:
        conn.answer(303, b"", {"Location": "/final"})
        return True

    server = serve({"/hop/": hop, "/see-other": see_other})
    client = WireClient(server.url, max_redirects=3)
    followed = client.request("GET", "/hop/3")
    assert (followed.status, followed.body, followed.redirects) == (200, b"ok /final", 3)
    assert followed.url == f"{server.url}/final"
    assert [s.path for s in server.seen] == ["/hop/3", "/hop/2", "/hop/1", "/final"]

    not_followed = client.request("GET", "/hop/3", follow_redirects=False)
    assert not_followed.status == 302 and not_followed.error is None
    assert server.count("/hop/3") == 2

    too_many = client.request("GET", "/hop/5")
    assert too_many.error == "more than 3 redirects (last to /hop/1)"
    assert server.count() == 4 + 1 + 4

    posted = client.request("POST", "/see-other", {"Content-Type": "text/plain"}, b"form")
    assert posted.status == 200
    assert (server.seen[-1].method, server.seen[-1].body) == ("GET", b"")
    assert "content-type" not in server.seen[-1].headers


# --- cookies ------------------------------------------------------------------------------------


def test_each_user_has_its_own_cookie_jar_which_can_be_cleared(serve):
    def set_cookie(conn: Conn, req: Seen) -> bool:
        conn.answer(200, b"set", {"Set-Cookie": f"session={req.path.rsplit('/', 1)[1]}; Path=/"})
        return True

    def login_redirect(conn: Conn, req: Seen) -> bool:  # sets a cookie on the way through a redirect
        conn.answer(302, b"", {"Location": "/a", "Set-Cookie": "via=redirect; Path=/"})
        return True

    server = serve({"/set/": set_cookie, "/login": login_redirect})
    alice, bob = WireClient(server.url), WireClient(server.url)
    alice.request("GET", "/set/alice")
    bob.request("GET", "/set/bob")
    alice.request("GET", "/a")
    bob.request("GET", "/a")
    assert [s.headers.get("cookie") for s in server.seen[2:]] == ["session=alice", "session=bob"]
    assert alice.request("GET", "/set/x").cookies.get_dict() == {"session": "x"}

    alice.clear_cookies()
    alice.request("GET", "/a")
    assert "cookie" not in server.seen[-1].headers

    alice.request("GET", "/login")
    assert server.seen[-1].path == "/a" and server.seen[-1].headers["cookie"] == "via=redirect"
    alice.request("GET", "/a", headers={"Cookie": "mine=1"})  # a Cookie the step sets itself wins
    assert server.seen[-1].headers["cookie"] == "mine=1"
    alice.send(prepare("GET", "/b", base_url=server.url), headers=header_lines({"Cookie": "rendered=1"}))
    assert server.seen[-1].headers["cookie"] == "rendered=1"


# --- TLS ----------------------------------------------------------------------------------------


@pytest.fixture
def tls_context(tmp_path: Path) -> ssl.SSLContext:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the test certificate"
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_verification_refuses_a_self_signed_certificate_unless_turned_off(serve, tls_context):
    server = serve({}, tls=tls_context)
    refused = WireClient(server.url).request("GET", "/a")
    assert refused.status == 0 and "CERTIFICATE_VERIFY_FAILED" in refused.error
    assert server.count() == 0

    client = WireClient(server.url, verify=False)
    results = [client.request("GET", "/a") for _ in range(3)]
    assert [(r.status, r.body) for r in results] == [(200, b"ok /a")] * 3
    assert server.count() == 3 and server.connections == 1  # one connection past the handshake, reused

    # a step may carry its own options: this one does not verify, the client's default does
    verifying = WireClient(server.url)
    unverified_step = prepare("GET", "/step", base_url=server.url, options=WireOptions(verify=False))
    assert verifying.send(unverified_step).status == 200
    assert "CERTIFICATE_VERIFY_FAILED" in verifying.request("GET", "/default").error
    assert server.count("/step") == 1 and server.count("/default") == 0
