"""A small stateful web app whose requests only succeed when dynamic values are correlated.

It is the target used to record the browser HAR fixtures in ``tests/harapp/recordings`` and
to prove that a replay of those recordings really extracted and re-used every dynamic value
(CSRF token, session cookie, bearer token, created order id).  Standard library only.

Run it with ``python tests/harapp/app.py --port 0``; once bound on 127.0.0.1 it prints exactly
one line ``LISTENING http://127.0.0.1:PORT`` (flushed).  Tests use :func:`start_app`.

Routes (every rejection is counted in ``GET /__stats`` under a reason):

==========================================  ==========================================
``GET /login``                              HTML form; hidden ``csrf_token`` input and
                                            ``<meta name="csrf-token">``, both bound to
                                            the ``presession`` cookie (set if missing).
                                            Every load issues a new token and makes the
                                            previous one stale.
``POST /login``                             form ``username``, ``password`` (= ``demo``),
                                            ``csrf_token`` -> 302 ``/dashboard`` + sets
                                            ``session`` cookie.  Bad CSRF -> 403
                                            ``bad_csrf``; bad password -> 401
                                            ``bad_credentials``.
``GET /dashboard``                          needs ``session`` cookie (else 401
                                            ``bad_session``); loads static assets + JS.
``GET /logout``                             drops the session, 302 ``/login``.
``POST /api/token``                         needs ``session`` cookie; body ``{}`` or form;
                                            -> ``{"access_token", "token_type",
                                            "expires_in": 300}``.
``GET /api/config``                         static JSON, no auth.
``POST /api/orders``                        Bearer; ``{"item", "qty"}`` -> 201 with
                                            ``Location: /api/orders/<id>``.
``GET|PUT /api/orders/<id>``                Bearer; order must belong to that token,
                                            else 404 ``unknown_order``.
``POST /api/orders/<id>/submit``            Bearer; -> ``status: submitted`` and a
                                            ``confirmation`` code; later PUT/submit ->
                                            409 ``order_locked``.
``GET /notes/new``                          needs ``session``; HTML form with a hidden
                                            ``nonce`` (4 lower-case letters, one per
                                            session, replaced by every load).
``POST /api/notes``                         needs ``session``; ``{"text"}`` -> 201
                                            ``{"number": n, ...}`` (``n`` counts up from
                                            1: a short id).
``POST /notes/<n>/publish``                 needs ``session``, the note must be its own
                                            (else 404 ``unknown_note``) and form
                                            ``nonce`` the session's current one (else
                                            403 ``bad_nonce``; used once).  These two
                                            short values are what the importer cannot
                                            correlate by their shape: the replay check
                                            adds them.
``OPTIONS /api/*``                          CORS preflight answer (204), never counted
                                            as a failure.
``GET /favicon.ico``, ``GET /static/*``     real tiny files from ``tests/harapp/static``.
``GET /__stats``                            ``{"requests": n, "failures": {reason: n}}``
                                            (``/__stats`` calls themselves not counted).
``POST /__stats/reset``                     zero the counters (state is kept).
==========================================  ==========================================
"""

from __future__ import annotations

import argparse
import hmac
import html
import json
import os
import re
import secrets
import select
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
PASSWORD = "demo"
TOKEN_TTL = 300  # seconds; also returned as "expires_in"
PRESESSION_TTL = 3600  # unused login pages are forgotten after this
SESSION_COOKIE = "session"
PRESESSION_COOKIE = "presession"
NOTE_PATH = re.compile(r"^/notes/(?P<number>\d+)/publish$")
ORDER_PATH = re.compile(r"^/api/orders/(?P<id>[^/]+)(?P<submit>/submit)?$")
STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
CONFIG = {"currency": "EUR", "items": ["widget", "gadget", "gizmo"], "max_qty": 10, "version": 3}
BUILD = "hb7f3a9c2e51"  # the app's build id: the same in every response, shown as text on /about


class Reject(Exception):
    """A request the app refuses; carries the HTTP status and the failure reason counted."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


class State:
    """All server state, in memory, guarded by one lock (safe for many concurrent sessions)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.presessions: dict[str, tuple[str, float]] = {}  # presession id -> (csrf, created)
        self.sessions: dict[str, str] = {}  # session id -> username
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (session id, expires at)
        self.orders: dict[str, dict[str, Any]] = {}  # order id -> order (+ "_token" owner)
        self.nonces: dict[str, str] = {}  # session id -> the nonce its last /notes/new page holds
        self.notes: dict[int, dict[str, Any]] = {}  # note number -> note (+ "_session" owner)
        self.requests = 0
        self.failures: Counter[str] = Counter()
        self._last_sweep = time.monotonic()

    def count_request(self) -> None:
        with self.lock:
            self.requests += 1

    def count_failure(self, reason: str) -> None:
        with self.lock:
            self.failures[reason] += 1

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"requests": self.requests, "failures": dict(self.failures)}

    def reset_stats(self) -> None:
        with self.lock:
            self.requests = 0
            self.failures.clear()

    def sweep(self) -> None:
        """Forget stale login pages and expired tokens (keeps memory bounded under load)."""
        now = time.monotonic()
        with self.lock:
            if now - self._last_sweep < 30:
                return
            self._last_sweep = now
            for key in [k for k, (_, t) in self.presessions.items() if now - t > PRESESSION_TTL]:
                del self.presessions[key]
            for key in [k for k, (_, exp) in self.tokens.items() if exp < now]:
                del self.tokens[key]

    # -- login / session ---------------------------------------------------------------
    def new_login_page(self, presession: str | None) -> tuple[str, str, bool]:
        """Issue a fresh CSRF token for ``presession`` (creating one if unknown)."""
        csrf = secrets.token_urlsafe(24)
        with self.lock:
            created = presession is None or presession not in self.presessions
            if created:
                presession = secrets.token_hex(16)
            assert presession is not None
            self.presessions[presession] = (csrf, time.monotonic())
        return presession, csrf, created

    def login(self, presession: str | None, csrf: str, username: str, password: str) -> str:
        with self.lock:
            entry = self.presessions.get(presession or "")
            if entry is None or not csrf or not hmac.compare_digest(entry[0], csrf):
                raise Reject(403, "bad_csrf", "missing, wrong or stale CSRF token")
            if not username or password != PASSWORD:
                raise Reject(401, "bad_credentials", "wrong username or password")
            del self.presessions[presession or ""]
            session = secrets.token_hex(16)
            self.sessions[session] = username
            return session

    def user_for(self, session: str | None) -> str:
        with self.lock:
            user = self.sessions.get(session or "")
        if user is None:
            raise Reject(401, "bad_session", "missing or unknown session cookie")
        return user

    def logout(self, session: str | None) -> None:
        with self.lock:
            if session and self.sessions.pop(session, None) is not None:
                for key in [k for k, (s, _) in self.tokens.items() if s == session]:
                    del self.tokens[key]

    # -- API ---------------------------------------------------------------------------
    def new_token(self, session: str | None) -> str:
        self.user_for(session)
        token = secrets.token_hex(20)
        with self.lock:
            self.tokens[token] = (session or "", time.monotonic() + TOKEN_TTL)
        return token

    def check_token(self, authorization: str | None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        with self.lock:
            entry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if entry is not None and entry[1] < time.monotonic():
                del self.tokens[token.strip()]
                entry = None
        if entry is None:
            raise Reject(401, "bad_token", "missing, unknown or expired bearer token")
        return token.strip()

    def create_order(self, token: str, item: str, qty: int) -> dict[str, Any]:
        order = {
            "id": "ord_" + secrets.token_hex(8),
            "item": item,
            "qty": qty,
            "status": "draft",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "_token": token,
        }
        with self.lock:
            self.orders[order["id"]] = order
        return public(order)

    def get_order(self, token: str, order_id: str) -> dict[str, Any]:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or not hmac.compare_digest(order["_token"], token):
                raise Reject(404, "unknown_order", f"no order {order_id!r} for this token")
            return order

    def update_order(self, token: str, order_id: str, item: str, qty: int) -> dict[str, Any]:
        with self.lock:
            order = self.get_order_locked(token, order_id)
            order["item"], order["qty"] = item, qty
            return public(order)

    def submit_order(self, token: str, order_id: str) -> dict[str, Any]:
        with self.lock:
            order = self.get_order_locked(token, order_id)
            order["status"] = "submitted"
            order["confirmation"] = "CONF-" + secrets.token_hex(4).upper()
            return public(order)

    def get_order_locked(self, token: str, order_id: str) -> dict[str, Any]:
        """Caller holds the lock; the order must exist, belong to ``token`` and be a draft."""
        order = self.orders.get(order_id)
        if order is None or not hmac.compare_digest(order["_token"], token):
            raise Reject(404, "unknown_order", f"no order {order_id!r} for this token")
        if order["status"] != "draft":
            raise Reject(409, "order_locked", f"order {order_id!r} is already submitted")
        return order


    # -- notes: short values (a 4-letter nonce, a counted number) -------------------------
    def new_nonce(self, session: str | None) -> str:
        self.user_for(session)
        nonce = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4))
        with self.lock:
            self.nonces[session or ""] = nonce
        return nonce

    def create_note(self, session: str | None, text: str) -> dict[str, Any]:
        self.user_for(session)
        with self.lock:
            number = len(self.notes) + 1
            note = {"number": number, "text": text, "published": False, "_session": session}
            self.notes[number] = note
            return public(note)

    def publish_note(self, session: str | None, number: int, nonce: str) -> dict[str, Any]:
        self.user_for(session)
        with self.lock:
            note = self.notes.get(number)
            if note is None or note["_session"] != session:
                raise Reject(404, "unknown_note", f"no note {number} of this session")
            if not nonce or self.nonces.get(session or "") != nonce:
                raise Reject(403, "bad_nonce", "missing, wrong or used nonce")
            del self.nonces[session or ""]
            note["published"] = True
            return public(note)


def public(order: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in order.items() if not k.startswith("_")}


def page(title: str, body: str, head: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<link rel="icon" href="/favicon.ico">\n'
        '<link rel="stylesheet" href="/static/style.css">\n'
        f"{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def login_page(csrf: str, error: str = "") -> str:
    token = html.escape(csrf, quote=True)
    message = f'<p class="error">{html.escape(error)}</p>\n' if error else ""
    body = (
        "<h1>HarApp login</h1>\n"
        f"{message}"
        '<form method="post" action="/login">\n'
        f'<input type="hidden" name="csrf_token" value="{token}">\n'
        '<label>Username <input type="text" name="username" autocomplete="off"></label>\n'
        '<label>Password <input type="password" name="password"></label>\n'
        '<button type="submit" id="login">Log in</button>\n'
        "</form>"
    )
    return page("HarApp login", body, head=f'<meta name="csrf-token" content="{token}">\n')


def dashboard_page(user: str) -> str:
    body = (
        '<header><img src="/static/logo.png" alt="HarApp" width="24" height="24">\n'
        f'<span>Welcome, <b id="user">{html.escape(user)}</b></span>\n'
        '<a id="logout" href="/logout">Log out</a></header>\n'
        '<main>\n<form id="order-form">\n<fieldset><legend>Order</legend>\n'
        '<label>Item <select id="item"><option>widget</option><option>gadget</option>'
        "<option>gizmo</option></select></label>\n"
        '<label>Quantity <input id="qty" type="number" min="1" max="10" value="2"></label>\n'
        '<button id="create">Create order</button>\n'
        '<button id="update">Change quantity</button>\n'
        '<button id="submit">Submit order</button>\n'
        "</fieldset>\n</form>\n"
        '<p>Order <code id="order-id">-</code> qty <span id="order-qty">-</span> '
        'confirmation <code id="confirmation">-</code> <span id="limits"></span></p>\n'
        '<p>Status: <span id="status">loading</span></p>\n<pre id="log"></pre>\n</main>'
    )
    return page("HarApp dashboard", body, head='<script src="/static/app.js" defer></script>\n')


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive request handler; every response carries a Content-Length."""

    protocol_version = "HTTP/1.1"
    server_version = "harapp/1.0"
    timeout = 60
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    state: State  # set on the subclass built by make_server
    verbose = False

    # -- plumbing ----------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if self.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except CookieError:
            return {}
        return {k: m.value for k, m in jar.items()}

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(
        self,
        status: int,
        body: bytes | str,
        content_type: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers or []:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status: int, obj: Any, headers: list[tuple[str, str]] | None = None) -> None:
        hdrs = [("Cache-Control", "no-store")] + (headers or [])
        self.send(status, json.dumps(obj), "application/json", hdrs)

    def redirect(self, location: str, headers: list[tuple[str, str]] | None = None) -> None:
        self.send(302, b"", "text/html; charset=utf-8", [("Location", location)] + (headers or []))

    def dispatch(self) -> None:
        path = urlsplit(self.path).path
        self.raw_body = self.body()
        if path.startswith("/__stats"):
            return self.stats_route(path)
        self.state.count_request()
        self.state.sweep()
        try:
            self.route(path)
        except Reject as rej:
            self.state.count_failure(rej.reason)
            if path.startswith("/api/"):
                self.send_json(rej.status, {"error": rej.reason, "message": rej.message})
            elif rej.reason == "bad_csrf" or rej.reason == "bad_credentials":
                presession, csrf, created = self.state.new_login_page(self.cookies().get(PRESESSION_COOKIE))
                self.send(
                    rej.status,
                    login_page(csrf, rej.message),
                    "text/html; charset=utf-8",
                    self.presession_headers(presession, created),
                )
            else:
                body = page(
                    "Error", f'<h1>{rej.status}</h1><p>{html.escape(rej.message)}</p><p><a href="/login">Log in</a></p>'
                )
                self.send(rej.status, body, "text/html; charset=utf-8")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = dispatch

    def stats_route(self, path: str) -> None:
        if path == "/__stats" and self.command == "GET":
            self.send_json(200, self.state.stats())
        elif path == "/__stats/reset" and self.command == "POST":
            self.state.reset_stats()
            self.send_json(200, self.state.stats())
        else:
            self.send_json(404, {"error": "not_found"})

    def presession_headers(self, presession: str, created: bool) -> list[tuple[str, str]]:
        headers = [("Cache-Control", "no-store")]
        if created:
            headers.append(("Set-Cookie", f"{PRESESSION_COOKIE}={presession}; Path=/; HttpOnly; SameSite=Lax"))
        return headers

    def json_body(self) -> dict[str, Any]:
        ctype = self.headers.get("Content-Type", "")
        try:
            if "application/x-www-form-urlencoded" in ctype:
                form = parse_qs(self.raw_body.decode("utf-8"), keep_blank_values=True)
                return {k: v[-1] for k, v in form.items()}
            obj = json.loads(self.raw_body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Reject(400, "bad_request", f"body is not valid JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise Reject(400, "bad_request", "body must be a JSON object")
        return obj

    def order_fields(self) -> tuple[str, int]:
        obj = self.json_body()
        item, qty = obj.get("item"), obj.get("qty")
        if not isinstance(item, str) or not item or not isinstance(qty, int) or not 1 <= qty <= 10:
            raise Reject(400, "bad_request", "need item (string) and qty (integer 1..10)")
        return item, qty

    # -- routes ------------------------------------------------------------------------
    def route(self, path: str) -> None:
        method = self.command
        st = self.state
        if method == "OPTIONS" and path.startswith("/api/"):
            return self.send(
                204,
                b"",
                "text/plain",
                [
                    ("Access-Control-Allow-Origin", self.headers.get("Origin", "*")),
                    ("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept"),
                    ("Access-Control-Max-Age", "600"),
                ],
            )
        if path == "/" and method in ("GET", "HEAD"):
            return self.redirect("/login")
        if path == "/login" and method in ("GET", "HEAD"):
            presession, csrf, created = st.new_login_page(self.cookies().get(PRESESSION_COOKIE))
            return self.send(
                200, login_page(csrf), "text/html; charset=utf-8", self.presession_headers(presession, created)
            )
        if path == "/login" and method == "POST":
            form = parse_qs(self.raw_body.decode("utf-8", "replace"), keep_blank_values=True)
            field = {k: v[-1] for k, v in form.items()}
            session = st.login(
                self.cookies().get(PRESESSION_COOKIE),
                field.get("csrf_token", ""),
                field.get("username", ""),
                field.get("password", ""),
            )
            return self.redirect(
                "/dashboard",
                [
                    ("Set-Cookie", f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"),
                    ("Set-Cookie", f"{PRESESSION_COOKIE}=; Path=/; Max-Age=0"),
                ],
            )
        if path == "/dashboard" and method in ("GET", "HEAD"):
            user = st.user_for(self.cookies().get(SESSION_COOKIE))
            return self.send(200, dashboard_page(user), "text/html; charset=utf-8", [("Cache-Control", "no-store")])
        if path == "/logout" and method in ("GET", "HEAD"):
            st.logout(self.cookies().get(SESSION_COOKIE))
            return self.redirect("/login", [("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0")])
        if path == "/favicon.ico" and method in ("GET", "HEAD"):
            return self.static("favicon.ico")
        if path.startswith("/static/") and method in ("GET", "HEAD"):
            return self.static(path[len("/static/") :])
        if path == "/about" and method in ("GET", "HEAD"):
            return self.send(200, page("About HarApp", f"<h1>About</h1>\n<p>Build <code>{BUILD}</code></p>"),
                             "text/html; charset=utf-8")
        if path == "/notes/new" and method in ("GET", "HEAD"):
            nonce = st.new_nonce(self.cookies().get(SESSION_COOKIE))
            body = ('<h1>New note</h1>\n<form method="post">\n'
                    f'<input type="hidden" name="nonce" value="{nonce}">\n</form>')
            return self.send(200, page("New note", body), "text/html; charset=utf-8", [("Cache-Control", "no-store")])
        if path == "/api/notes" and method == "POST":
            text = self.json_body().get("text")
            if not isinstance(text, str):
                raise Reject(400, "bad_request", "need text (string)")
            return self.send_json(201, st.create_note(self.cookies().get(SESSION_COOKIE), text))
        match = NOTE_PATH.match(path)
        if match and method == "POST":
            form = parse_qs(self.raw_body.decode("utf-8", "replace"), keep_blank_values=True)
            note = st.publish_note(self.cookies().get(SESSION_COOKIE), int(match["number"]),
                                   form.get("nonce", [""])[-1])
            return self.send_json(200, note)
        if path == "/api/config" and method in ("GET", "HEAD"):
            return self.send_json(200, CONFIG)
        if path == "/api/token" and method == "POST":
            self.json_body()  # must be {} / a form; content ignored
            token = st.new_token(self.cookies().get(SESSION_COOKIE))
            return self.send_json(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL})
        if path == "/api/orders" and method == "POST":
            token = st.check_token(self.headers.get("Authorization"))
            order = st.create_order(token, *self.order_fields())
            return self.send_json(201, order, [("Location", f"/api/orders/{order['id']}")])
        match = ORDER_PATH.match(path)
        if match:
            token = st.check_token(self.headers.get("Authorization"))
            order_id = match["id"]
            if match["submit"] and method == "POST":
                return self.send_json(200, st.submit_order(token, order_id))
            if not match["submit"] and method in ("GET", "HEAD"):
                return self.send_json(200, public(st.get_order(token, order_id)))
            if not match["submit"] and method == "PUT":
                item, qty = self.order_fields()
                return self.send_json(200, st.update_order(token, order_id, item, qty))
            raise Reject(405, "method_not_allowed", f"{method} not allowed on {path}")
        if path in ("/login", "/dashboard", "/logout", "/api/token", "/api/orders", "/api/config"):
            raise Reject(405, "method_not_allowed", f"{method} not allowed on {path}")
        raise Reject(404, "not_found", f"no route for {path}")

    def static(self, name: str) -> None:
        target = (STATIC_DIR / name).resolve()
        if target.parent != STATIC_DIR or not target.is_file():
            raise Reject(404, "not_found", f"no static file {name!r}")
        ctype = STATIC_TYPES.get(target.suffix, "application/octet-stream")
        self.send(200, target.read_bytes(), ctype, [("Cache-Control", "no-store")])


class Server(ThreadingHTTPServer):
    """Threaded server: one thread per connection, large backlog for bursts of clients."""

    daemon_threads = True
    request_queue_size = 128


def make_server(port: int = 0, verbose: bool = False) -> tuple[Server, State]:
    state = State()
    handler = type("BoundHandler", (Handler,), {"state": state, "verbose": verbose})
    return Server(("127.0.0.1", port), handler), state


def start_app(timeout: float = 15.0) -> tuple[str, Callable[[], None]]:
    """Run this app in a subprocess on a free 127.0.0.1 port; return (base_url, stop)."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--port", "0"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("LISTENING "):
        stop()
        raise RuntimeError(f"harapp did not start (got {line!r}, exit code {proc.poll()})")
    return line.split(" ", 1)[1].strip(), stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    server, _ = make_server(args.port, args.verbose)
    host, port = server.server_address[:2]
    print(f"LISTENING http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
