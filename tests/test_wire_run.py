"""`loadspec run` on the default client (wire), against the raw scripted server of test_wire.py.

Each test writes a spec, runs the CLI the way a user would and compares the report with what the
server itself saw: a cut-short, dropped, oversized, endless or malformed response is a failure with
a clear message, never a success; every request the server received is counted exactly once; and
cookies, redirects, compressed bodies and uploads behave as with the other clients.
"""

from __future__ import annotations

import gzip
import json
import textwrap
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest
from test_wire import Conn, Seen

MB = 1024 * 1024


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_broken_responses_are_failures_counted_once_each(tmp_path, serve, cli):
    def cut(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhello world")
        time.sleep(0.05)
        conn.reset()
        return False

    def drop(conn: Conn, req: Seen) -> bool:
        return False

    def garbage(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 OK maybe\r\n\r\n")
        return False

    def big(conn: Conn, req: Seen) -> bool:
        conn.answer(200, b"x" * (11 * MB))
        return True

    server = serve({"/cut": cut, "/drop": drop, "/garbage": garbage, "/big": big})
    spec = write(tmp_path, """
        scenarios:
          - name: broken
            steps:
              - {name: cut short, get: /cut, on_fail: continue}
              - {name: dropped, get: /drop, on_fail: continue}
              - {name: malformed, get: /garbage, on_fail: continue}
              - {name: too big, get: /big, on_fail: continue}
              - {name: fine, get: /fine}
        """)
    result = cli("run", str(spec), "--host", server.url, "-u", "2", "--iterations", "3", "-q", timeout=120)
    assert result.code == 1, result.text
    assert "Traceback" not in result.text
    for step, path in (("cut short", "/cut"), ("dropped", "/drop"), ("malformed", "/garbage"), ("too big", "/big")):
        assert result.step(step)["requests"] == 6 == server.count(path), (step, result.text)
        assert result.step(step)["failures"] == 6, (step, result.text)
    assert result.step("fine")["failures"] == 0 and server.count("/fine") == 6
    assert "cut short: response cut short: connection reset after 11 of 1000 body bytes" in result.text
    assert "dropped: connection closed without a response" in result.text
    assert "malformed: malformed HTTP response" in result.text
    assert "too big: body over 10 MB" in result.text


@pytest.mark.parametrize("client", ["wire", "fast", "requests"])
def test_a_body_cut_short_fails_the_step_with_every_client(tmp_path, serve, cli, client):
    def cut(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhello world")
        time.sleep(0.05)
        conn.reset()
        return False

    server = serve({"/cut": cut})
    spec = write(tmp_path, """
        scenarios:
          - name: cut
            steps:
              - {name: cut short, get: /cut, on_fail: continue}
        """)
    result = cli("run", str(spec), "--host", server.url, "--client", client, "--iterations", "3", "-q", timeout=120)
    assert result.code == 1, result.text
    assert result.step("cut short")["requests"] == 3 == server.count("/cut")
    assert result.step("cut short")["failures"] == 3, result.text


def test_a_request_that_cannot_be_built_is_a_counted_failure_never_a_traceback(tmp_path, serve, cli):
    server = serve({})
    spec = write(tmp_path, """
        variables:
          nl: "\\n"
          port: "99999"
          snowman: "Zoë ☃"
        scenarios:
          - name: bad
            steps:
              - {name: bad port, get: "http://127.0.0.1:{{ port }}/x", on_fail: continue}
              - {name: newline header, get: /a, headers: {X-A: "a{{ nl }}b"}, on_fail: continue}
              - {name: unicode header, get: /b, headers: {X-A: "{{ snowman }}"}, on_fail: continue}
              - {name: fine, get: /fine}
        """)
    result = cli("run", str(spec), "--host", server.url, "--iterations", "2", "-q", timeout=120)
    assert result.code == 1 and "Traceback" not in result.text, result.text
    for step in ("bad port", "newline header", "unicode header"):
        assert (result.step(step)["requests"], result.step(step)["failures"]) == (2, 2), step
    assert "bad port: URL 'http://127.0.0.1:99999/x': port out of range" in result.text
    assert "newline header: header X-A: the value contains a line break" in result.text
    assert [s.path for s in server.seen] == ["/fine", "/fine"]  # nothing unsendable went out


def test_an_endless_body_ends_at_the_step_timeout(tmp_path, serve, cli):
    stop = threading.Event()

    def endless(conn: Conn, req: Seen) -> bool:
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while not stop.is_set():
            conn.send(b"400\r\n" + b"x" * 1024 + b"\r\n")
            time.sleep(0.002)
        return False

    server = serve({"/endless": endless})
    spec = write(tmp_path, """
        defaults:
          timeout: 1s
        scenarios:
          - name: stream
            steps:
              - {name: endless, get: /endless, on_fail: continue}
              - {name: after, get: /after}
        """)
    try:
        result = cli("run", str(spec), "--host", server.url, "--iterations", "2", "-q", timeout=120)
    finally:
        stop.set()
    assert result.code == 1, result.text
    assert result.step("endless")["failures"] == 2 == server.count("/endless")
    assert "endless: no complete response within the total time limit of 1s" in result.text
    assert server.count("/after") == 2


def test_cookies_redirects_gzip_and_uploads_work_as_before(tmp_path, serve, cli):
    payload = json.dumps({"items": [{"id": 41}, {"id": 42}]}).encode()

    def login(conn: Conn, req: Seen) -> bool:
        conn.answer(302, b"", {"Location": "/home", "Set-Cookie": f"sid=user-{json.loads(req.body)['user']}; Path=/"})
        return True

    def items(conn: Conn, req: Seen) -> bool:
        conn.answer(200, gzip.compress(payload), {"Content-Encoding": "gzip", "Content-Type": "application/json"})
        return True

    server = serve({"/login": login, "/items": items})
    (tmp_path / "report.csv").write_bytes(b"a,b\n1,2\n")
    spec = write(tmp_path, """
        scenarios:
          - name: flow
            steps:
              - name: login
                post: /login
                json: {user: "{{ user_id }}"}
              - name: login without following
                post: /login
                json: {user: "{{ user_id }}"}
                allow_redirects: false
                assert:
                  - {status: 302}
              - name: items
                get: /items
                params: {page: 1, all: true}
                capture:
                  item: {json: "items[1].id"}
              - name: upload
                post: /upload/{{ item }}
                files: {report: report.csv, note: {value: "from {{ user_id }}"}}
        """)
    result = cli("run", str(spec), "--host", server.url, "-u", "2", "--iterations", "1", "-q", timeout=120)
    assert result.code == 0, result.text
    assert server.count("/login") == 4 and server.count("/home") == 2  # followed once per user, not the second
    sids = {s.headers.get("cookie") for s in server.seen if s.path.startswith(("/home", "/items", "/upload"))}
    assert sids == {"sid=user-1", "sid=user-2"}
    assert {s.path for s in server.seen if s.path.startswith("/items")} == {"/items?page=1&all=true"}
    uploads = [s for s in server.seen if s.path.startswith("/upload/")]
    assert {s.path for s in uploads} == {"/upload/42"}
    for upload in uploads:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {upload.headers['content-type']}\r\n\r\n".encode() + upload.body)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        assert parts["report"].get_filename() == "report.csv"
        assert parts["report"].get_content() in ("a,b\n1,2\n", b"a,b\n1,2\n")
        assert parts["note"].get_content().startswith("from ")
    assert result.summary["totals"]["requests"] == 8


@pytest.fixture
def serve():
    from test_wire import RawServer, ok

    started: list[RawServer] = []

    def start(routes):
        server = RawServer({"/": ok, **routes}).start()
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()
