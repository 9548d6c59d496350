"""The compiled request path's wire layer: one user's HTTP/1.1 client over geventhttpclient.

`prepare()` turns a request's fixed parts (method, URL, static headers) into bytes once, at compile
time; `WireClient.send()` adds the per-request parts (rendered path, headers, cookies, body), sends
them on a kept-alive connection from geventhttpclient's per-host `ConnectionPool`, reads the answer
with geventhttpclient's HTTP parser and returns a `WireResponse` (status, headers, body bytes,
elapsed_ms, url, error). It follows redirects up to a limit, keeps a cookie jar, verifies TLS or
not, decodes gzip/deflate/br, and enforces a connect/read timeout, a total time limit and a body
limit (bytes beyond it are read and discarded). What it must never do: retry a request behind the
caller's back (geventhttpclient's `HTTPClient.request` resends a request on a closed keep-alive
connection up to pool-size + 1 times, which is why this module talks to the pool directly), call
a cut-short or malformed response a success, raise for a failed request (the error is in the
result, so every request is counted), or import Locust. It has no HTTP parser of its own.
"""

from __future__ import annotations

import base64
import errno
import re
import socket
import ssl
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import gevent
import gevent.ssl
from geventhttpclient.connectionpool import ConnectionPool, SSLConnectionPool
from geventhttpclient.header import Headers
from geventhttpclient.response import HTTPConnectionClosed, HTTPParseError, HTTPSocketPoolResponse

from .._version import __version__
from .encoding import ACCEPT_ENCODING, DECODE_ERRORS, Decoder, encode_form, encode_json, encode_multipart

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "PreparedRequest",
    "WireClient",
    "WireOptions",
    "WireResponse",
    "encode_form",
    "encode_json",
    "encode_multipart",
    "header_lines",
    "prepare",
]

DEFAULT_BODY_LIMIT = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_REDIRECTS = 30
USER_AGENT = f"loadspec/{__version__}"
REDIRECT_CODES = frozenset((301, 302, 303, 307, 308))
_READ_BLOCK = 64 * 1024
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE_IN_TARGET = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
_TARGET_SAFE = "/:?#[]@!$&'()*+,;=%~"


class _LimitReached(BaseException):
    """The total time limit of one request ran out (raised by its own gevent.Timeout; a
    BaseException so that no `except Exception` on the way swallows it)."""


class WireResponse:
    """One request's outcome. `error` is None for a complete HTTP response, else why there is none.

    A response cut short, reset or malformed has `error` set (never a success); a body larger than
    the limit is complete but `over_limit` is True and only the first `body_limit` bytes are kept.
    The properties `status_code`, `content`, `text` and `cookies` let response checks read it the
    way they read a requests or FastHttpUser response."""

    __slots__ = ("status", "raw_headers", "body", "elapsed_ms", "url", "error", "size", "over_limit",
                 "body_limit", "redirects", "_text", "_headers")

    def __init__(self, url: str, status: int = 0, raw_headers: list[str] | None = None, body: bytes = b"",
                 elapsed_ms: float = 0.0, error: str | None = None):
        self.url = url
        self.status = status
        self.raw_headers = raw_headers or []  # name, value, name, value, ... as received
        self._headers: Headers | None = None
        self.body = body
        self.elapsed_ms = elapsed_ms
        self.error = error
        self.size = len(body)  # decoded body bytes received, including any beyond the limit
        self.over_limit = False
        self.body_limit = 0
        self.redirects = 0
        self._text: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def headers(self) -> Headers:
        """The headers, case-insensitive (built on first use: most steps never read them)."""
        if self._headers is None:
            headers = Headers()
            raw = self.raw_headers
            for i in range(0, len(raw) - 1, 2):
                headers.add(raw[i], raw[i + 1])
            self._headers = headers
        return self._headers

    def has_header(self, lowered: str) -> bool:
        raw = self.raw_headers
        return any(raw[i].lower() == lowered for i in range(0, len(raw), 2))

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def content(self) -> bytes:
        return self.body

    @property
    def text(self) -> str:
        if self._text is None:
            kind = self.headers.get("content-type")
            charset = "utf-8"
            if isinstance(kind, str) and "charset=" in kind:
                charset = kind.split("charset=", 1)[1].split(";", 1)[0].strip().strip('"') or "utf-8"
            try:
                self._text = self.body.decode(charset, errors="replace")
            except LookupError:
                self._text = self.body.decode("utf-8", errors="replace")
        return self._text

    @property
    def cookies(self) -> _SetCookies:
        """The cookies this response set (name -> value), as `response_cookies` reads them."""
        return _SetCookies(self.headers.getlist("set-cookie"))

    def info(self) -> Headers:
        """The headers, as http.cookiejar reads a response."""
        return self.headers

    def over_limit_message(self) -> str:
        return f"body over {self.body_limit / (1024 * 1024):g} MB"

    def __repr__(self) -> str:
        return f"<WireResponse {self.status} {self.url} {self.error or ''}>"


class _SetCookies:
    __slots__ = ("lines",)

    def __init__(self, lines: list[str]):
        self.lines = lines

    def get_dict(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for line in self.lines:
            name, sep, value = line.split(";", 1)[0].partition("=")
            if sep:
                found[name.strip()] = value.strip()
        return found


@dataclass(frozen=True, slots=True)
class WireOptions:
    """How one request is sent: decided at compile time per step, or the client's defaults.

    `timeout` bounds the connect (TLS handshake included) and each wait for bytes; `total_timeout`
    the whole request, redirects and body included (None: no total limit)."""

    timeout: float = DEFAULT_TIMEOUT
    total_timeout: float | None = DEFAULT_TIMEOUT
    verify: bool = True
    follow_redirects: bool = True
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    body_limit: int = DEFAULT_BODY_LIMIT


class PreparedRequest:
    """A request's fixed parts, checked and encoded once: origin, target, head bytes, options."""

    __slots__ = ("method", "scheme", "host", "port", "target", "url", "head", "body", "static", "origin",
                 "options", "base", "relative")

    def __init__(self, method: str, scheme: str, host: str, port: int, target: str, head: bytes,
                 body: bytes | None, options: WireOptions | None = None, base: str | None = None,
                 relative: str | None = None):
        self.options = options  # None: the client's
        # a path under `base` (the host it was prepared for): a client with another base re-aims it
        self.base, self.relative = base, relative
        self.method = method
        self.scheme, self.host, self.port = scheme, host, port
        self.origin = (scheme, host, port)
        self.target = target
        self.url = f"{scheme}://{_netloc(host, port, scheme)}{target}"
        self.head = head  # request line + Host + static headers, without the closing blank line
        self.body = body
        # the whole request, when nothing is added per request and no cookie is in the jar
        self.static = head + _length_header(method, body) + b"\r\n" + (body or b"")


def _netloc(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == (443 if scheme == "https" else 80) else f"{shown}:{port}"


def _length_header(method: str, body: bytes | None) -> bytes:
    if body:
        return b"Content-Length: %d\r\n" % len(body)
    return b"Content-Length: 0\r\n" if method in _BODY_METHODS else b""


def _split_url(url: str, base: str | None = None) -> tuple[str, str, int, str]:
    """(scheme, host, port, origin-form target) of an absolute URL, or of a path joined to `base`."""
    if base is not None and not url.startswith(("http://", "https://", "HTTP://", "HTTPS://")):
        url = base.rstrip("/") + ("" if url.startswith(("/", "?")) else "/") + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"URL {url!r}: only http:// and https:// are supported")
    if not parts.hostname:
        raise ValueError(f"URL {url!r} has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise ValueError(f"URL {url!r}: port out of range") from None
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return scheme, parts.hostname, port, _quote_target(target)


def _credentials(url: str) -> str | None:
    """The Basic Authorization value for a URL with user:password@, else None."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("latin-1", "replace")
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _quote_target(target: str) -> str:
    """Percent-encode what may not appear on a request line (spaces, non-ASCII), keep the rest."""
    if _UNSAFE_IN_TARGET.search(target) is None:
        return target
    return quote(target, safe=_TARGET_SAFE)


def header_lines(headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> bytes:
    """Header lines as bytes; a bad name or a value with a line break or non-latin-1 text raises ValueError."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    lines = []
    for name, value in items:
        if not isinstance(name, str) or _TOKEN.fullmatch(name) is None:
            raise ValueError(f"header name {name!r} is not a valid HTTP token")
        text = value if isinstance(value, str) else str(value)
        if "\r" in text or "\n" in text:
            raise ValueError(f"header {name}: the value contains a line break")
        try:
            lines.append(f"{name}: {text}\r\n".encode("latin-1"))
        except UnicodeEncodeError:
            raise ValueError(f"header {name}: the value is not latin-1 text (encode it, e.g. percent-encoding)") \
                from None
    return b"".join(lines)


def prepare(method: str, url: str, headers: Mapping[str, Any] | None = None, body: bytes | None = None, *,
            base_url: str | None = None, options: WireOptions | None = None, user_agent: str = USER_AGENT,
            accept_encoding: str | None = ACCEPT_ENCODING, added_later: Iterable[str] = ()) -> PreparedRequest:
    """Check and encode a request's fixed parts once. `url` is absolute or a path under `base_url`.

    Adds Host, User-Agent and Accept-Encoding unless `headers` (or `added_later`, the names the
    caller renders per request) has them; None leaves one out. Content-Length is added per request.
    Raises ValueError for anything that cannot be sent."""
    method = method.upper()
    if _TOKEN.fullmatch(method) is None:
        raise ValueError(f"method {method!r} is not a valid HTTP token")
    scheme, host, port, target = _split_url(url, base_url)
    relative = None if url.lower().startswith(("http://", "https://")) or base_url is None else url
    given = {name.lower() for name in (*(headers or {}), *added_later)}
    fixed: list[tuple[str, Any]] = []
    credentials = _credentials(url if relative is None else base_url or "")
    if credentials and "authorization" not in given:  # http://user:secret@host/, as Locust's clients do
        fixed.append(("Authorization", credentials))
    if "host" not in given:
        fixed.append(("Host", _netloc(host, port, scheme)))
    if "user-agent" not in given and user_agent:
        fixed.append(("User-Agent", user_agent))
    if "accept-encoding" not in given and accept_encoding:
        fixed.append(("Accept-Encoding", accept_encoding))
    own = [(k, v) for k, v in (headers or {}).items() if k.lower() != "content-length"]
    head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1") + header_lines(fixed + own)
    return PreparedRequest(method, scheme, host, port, target, head, body, options,
                           base_url.rstrip("/") if relative is not None and base_url else None, relative)


# --- TLS and pools ------------------------------------------------------------------------------

_CONTEXTS: dict[bool, ssl.SSLContext] = {}


def _tls_context(verify: bool) -> ssl.SSLContext:
    """One gevent TLS context per verify mode, shared by every user (loading CAs is slow)."""
    context = _CONTEXTS.get(verify)
    if context is None:
        context = gevent.ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        _CONTEXTS[verify] = context
    return context


# --- the client ---------------------------------------------------------------------------------


class WireClient:
    """One user's HTTP client: a connection pool per origin, a cookie jar, no hidden retries.

    The keyword arguments are the default `WireOptions`; a prepared request may carry its own.
    `send()` never raises for a failed request: the `WireResponse` says what went wrong."""

    def __init__(self, base_url: str | None = None, *, cookies: bool = True, options: WireOptions | None = None,
                 **fields: Any):
        self.base_url = base_url.rstrip("/") if base_url else None
        self._base: tuple[tuple[str, str, int], str, str] | None = None  # origin, netloc, path prefix
        if self.base_url:
            scheme, host, port, path = _split_url(self.base_url + "/")
            self._base = ((scheme, host, port), _netloc(host, port, scheme), path.rstrip("/"))
        self.options = replace(options, **fields) if options is not None else WireOptions(**fields)
        self.jar: CookieJar | None = CookieJar() if cookies else None
        self._jar_used = False  # a response set a cookie since the last clear: send the jar's cookies
        self._pools: dict[tuple[str, str, int, bool, float, float | None], ConnectionPool] = {}

    # -- public ----------------------------------------------------------------------------------

    def clear_cookies(self) -> None:
        if self.jar is not None:
            self.jar.clear()
            self._jar_used = False

    def reset_cookies(self, keep: list[Any]) -> None:
        """Empty the jar, then put back the cookies in `keep` (a scenario's `cookies: iteration`)."""
        self.clear_cookies()
        if self.jar is not None and keep:
            for cookie in keep:
                self.jar.set_cookie(cookie)
            self._jar_used = True

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def request(self, method: str, url: str, headers: Mapping[str, Any] | None = None, body: bytes | None = None,
                **options: Any) -> WireResponse:
        """Prepare and send in one go (for URLs known only at run time); keyword arguments are
        `WireOptions` fields overriding the client's."""
        try:
            prepared = prepare(method, url, headers, body, base_url=self.base_url,
                               options=replace(self.options, **options) if options else None)
        except ValueError as exc:
            return WireResponse(url, error=str(exc))
        return self.send(prepared)

    def send(self, prepared: PreparedRequest, *, target: str | None = None, headers: bytes = b"",
             body: bytes | None = None) -> WireResponse:
        """Send `prepared`, with a rendered `target` (path and query), extra header lines (from
        `header_lines()`) and `body` in place of the prepared ones if given."""
        started = time.perf_counter()
        options = prepared.options or self.options
        limit = options.total_timeout
        if limit is None:
            response = self._exchange(prepared, options, target, headers, body)
        else:
            timer = gevent.Timeout(limit, _LimitReached)
            timer.start()
            try:
                response = self._exchange(prepared, options, target, headers, body)
            except _LimitReached:
                response = WireResponse(prepared.url if target is None else target,
                                        error=f"no complete response within the total time limit of {limit:g}s")
            finally:
                timer.close()
        response.elapsed_ms = (time.perf_counter() - started) * 1000.0
        return response

    # -- one request and its redirects -----------------------------------------------------------

    def _exchange(self, prepared: PreparedRequest, options: WireOptions, target: str | None, headers: bytes,
                  body: bytes | None) -> WireResponse:
        origin, method = prepared.origin, prepared.method
        head = prepared.head
        if target is None and prepared.base is not None and prepared.base != self.base_url:
            target = prepared.relative  # prepared for another host than this client's: re-aim it
        if target is not None:  # a rendered URL: a path under the base URL, or absolute
            if target[:1] == "/" and self._base is not None:
                origin, netloc, prefix = self._base
                path = prefix + _quote_target(target)
            else:
                try:
                    scheme, host, port, path = _split_url(target, self.base_url)
                except ValueError as exc:
                    return WireResponse(target, error=str(exc))
                origin, netloc = (scheme, host, port), _netloc(host, port, scheme)
            try:
                head = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + head.split(b"\r\n", 1)[1]
            except UnicodeEncodeError:
                return WireResponse(target, error=f"URL {target!r} cannot be sent")
            if origin != prepared.origin:
                head = _replace_host(head, netloc)
            url = f"{origin[0]}://{netloc}{path}"
        else:
            url = prepared.url
        if body is None:
            body = prepared.body
        redirects = 0
        while True:
            cookie = self._cookie_header(url, head + headers) if self._jar_used else b""
            if headers or cookie or target is not None or body is not prepared.body or redirects:
                data = head + headers + cookie + _length_header(method, body) + b"\r\n" + (body or b"")
            else:
                data = prepared.static
            response = self._roundtrip(origin, options, method, data, url)
            response.redirects = redirects
            if response.error is not None:
                return response
            if self.jar is not None and response.has_header("set-cookie"):
                self._jar_used = True
                self.jar.extract_cookies(response, urllib.request.Request(url, method=method))  # type: ignore[arg-type]
            if not options.follow_redirects or response.status not in REDIRECT_CODES:
                return response
            location = response.headers.get("location")
            if not isinstance(location, str) or not location:
                return response
            if redirects >= options.max_redirects:
                response.error = f"more than {options.max_redirects} redirects (last to {location})"
                return response
            redirects += 1
            try:
                scheme, host, port, path = _split_url(urljoin(url, location))
            except ValueError as exc:
                response.error = f"redirect to an unusable location: {exc}"
                return response
            if response.status in (301, 302, 303) and method != "HEAD":
                method, body = "GET", None
                head = _drop_headers(head, (b"content-type", b"content-encoding"))
            new_origin = (scheme, host, port)
            if new_origin != origin:
                head = _drop_headers(_replace_host(head, _netloc(host, port, scheme)), (b"authorization",))
            origin = new_origin
            head = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + head.split(b"\r\n", 1)[1]
            url = f"{scheme}://{_netloc(host, port, scheme)}{path}"

    def _cookie_header(self, url: str, head: bytes) -> bytes:
        if b"\r\ncookie:" in head.lower():  # the step sets Cookie itself: it wins, as with requests
            return b""
        request = urllib.request.Request(url)
        self.jar.add_cookie_header(request)  # type: ignore[union-attr]
        value = request.get_header("Cookie")
        return f"Cookie: {value}\r\n".encode("latin-1", "replace") if value else b""

    def _pool(self, origin: tuple[str, str, int], options: WireOptions) -> ConnectionPool:
        """The connections to one origin with one TLS mode and timeout (steps that differ get their own)."""
        key = (*origin, options.verify, options.timeout, options.total_timeout)
        pool = self._pools.get(key)
        if pool is None:
            scheme, host, port = origin
            # when the total limit is the tighter one, the idle timeout could never strike first: leave
            # it off (a gevent timer less per wait for bytes)
            total = options.total_timeout
            idle = None if total is not None and total <= options.timeout else options.timeout
            common = {"size": 1, "connection_timeout": options.timeout, "network_timeout": idle}
            if scheme == "https":
                context = _tls_context(options.verify)
                pool = SSLConnectionPool(host, port, host, port, insecure=not options.verify,
                                         ssl_context_factory=lambda **_: context, **common)
            else:
                pool = ConnectionPool(host, port, host, port, **common)
            self._pools[key] = pool
        return pool

    def _roundtrip(self, origin: tuple[str, str, int], options: WireOptions, method: str, data: bytes,
                   url: str) -> WireResponse:
        """One request on one connection, exactly once: the server sees it at most once."""
        pool = self._pool(origin, options)
        body_limit = options.body_limit
        phase = "connect"
        sock = None
        response: HTTPSocketPoolResponse | None = None
        received = 0
        try:
            sock = pool.get_socket()
            phase = "send"
            try:
                sock.sendall(data)
            except (ConnectionResetError, BrokenPipeError):
                # the server may have answered early (e.g. 413 to a large body) and closed: read that
                # answer if there is one, else this is the request's error
                phase = "early"
            else:
                phase = "wait"
            # the response owns the connection from here on, and hands it back or closes it (also
            # when reading the headers fails)
            owned, sock = sock, None
            response = _Response(owned, pool, block_size=_READ_BLOCK, method=method)
            phase = "body"
            raw_headers = response.raw
            status = response.status_code
            encoding = None
            for i in range(0, len(raw_headers), 2):
                if raw_headers[i].lower() == "content-encoding":
                    encoding = raw_headers[i + 1]
            if response.message_complete and encoding is None:
                body = response.read()
                result = WireResponse(url, status, raw_headers, body)
                if len(body) > body_limit:
                    result.body, result.over_limit, result.body_limit = body[:body_limit], True, body_limit
                return result
            kept: list[bytes] = []
            room = body_limit
            decoder = Decoder(encoding.lower().strip()) if isinstance(encoding, str) and \
                encoding.lower().strip() not in ("", "identity") else None
            while True:
                raw = response.read(_READ_BLOCK)
                if not raw:
                    if not response.message_complete:  # never a short body passed off as whole
                        raise HTTPParseError("Incomplete response.")
                    break
                received += len(raw)
                for piece in (decoder.feed(raw, room) if decoder is not None else (raw,)):
                    if room > 0:
                        kept.append(piece[:room])
                    room -= len(piece)
            result = WireResponse(url, status, raw_headers, b"".join(kept))
            result.size = body_limit - room
            if room < 0:
                result.over_limit, result.body_limit = True, body_limit
            return result
        except Exception as exc:  # noqa: BLE001 - every failure becomes the response's error
            return WireResponse(url, error=_describe(exc, phase, received, response, options.timeout))
        finally:  # also when the user is stopped (GreenletExit) or the total limit strikes
            if sock is not None:
                pool.release_socket(sock)
            if response is not None:
                response.release()  # closes the connection unless the message ended cleanly


class _Response(HTTPSocketPoolResponse):
    """geventhttpclient's socket response and parser, keeping header lines in a plain list.

    Its own `Headers` bookkeeping costs about as much as the parsing itself; the list is all a
    request needs, and `WireResponse.headers` builds the mapping only when a check reads it."""

    def __init__(self, sock: Any, pool: ConnectionPool, **kw: Any):
        self.raw: list[str] = []
        self._raw_state = 0  # 1 after a field piece, 2 after a value piece
        super().__init__(sock, pool, **kw)

    def _on_message_complete(self) -> None:
        if self.get_code() < 200:
            # an interim 1xx answer: geventhttpclient would hand the connection back to the pool
            # here, in the middle of the exchange, and the final body would come back cut short
            self.message_complete = True
        else:
            super()._on_message_complete()

    def _on_message_begin(self) -> None:
        if self.message_complete:  # an interim 1xx answer ends; the final one begins
            self.raw = []
            self._raw_state = 0
        super()._on_message_begin()

    def _on_header_field(self, string: str) -> None:
        if self._raw_state == 1:  # the parser may hand over a name in pieces
            self.raw[-1] += string
        else:
            self.raw.append(string)
        self._raw_state = 1

    def _on_header_value(self, string: str) -> None:
        if self._raw_state == 2:
            self.raw[-1] += string
        else:
            self.raw.append(string)
        self._raw_state = 2

    def _flush_header(self) -> None:
        if len(self.raw) % 2:  # a name without a value
            self.raw.append("")
        self._raw_state = 0

    def info(self) -> Headers:
        headers = Headers()
        raw = self.raw
        for i in range(0, len(raw) - 1, 2):
            headers.add(raw[i], raw[i + 1])
        self._headers_index = headers
        return headers


def _replace_host(head: bytes, netloc: str) -> bytes:
    lines = head.split(b"\r\n")
    for i, line in enumerate(lines):
        if line[:5].lower() == b"host:":
            lines[i] = b"Host: " + netloc.encode("latin-1")
    return b"\r\n".join(lines)


def _drop_headers(head: bytes, names: tuple[bytes, ...]) -> bytes:
    lines = head.split(b"\r\n")
    return b"\r\n".join(line for line in lines if line.split(b":", 1)[0].strip().lower() not in names)


def _describe(exc: Exception, phase: str, received: int, response: HTTPSocketPoolResponse | None,
              timeout: float) -> str:
    """A short, stable message for a request that got no complete response."""
    length = _content_length(response)
    of = f" of {length}" if length is not None else ""
    if isinstance(exc, (socket.timeout, TimeoutError)) and not isinstance(exc, ConnectionError):
        if phase == "connect":
            return f"connect timeout after {timeout:g}s"
        if phase == "body":
            return f"read timeout after {timeout:g}s with {received}{of} body bytes received"
        return f"read timeout after {timeout:g}s waiting for the response"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: certificate verify failed ({exc.verify_message}) [CERTIFICATE_VERIFY_FAILED]"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host ({exc.strerror})"
    if phase == "early":
        return "connection closed by the server while sending the request"
    if isinstance(exc, HTTPConnectionClosed):
        return "connection closed without a response"
    if phase == "body":
        if isinstance(exc, HTTPParseError) and "Incomplete" in str(exc):
            return f"response cut short: connection closed after {_body_count(received, response)}{of} body bytes"
        if isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET:
            return f"response cut short: connection reset after {_body_count(received, response)}{of} body bytes"
        if isinstance(exc, DECODE_ERRORS):
            kind = response.info().get("content-encoding") if response is not None else ""
            return f"could not decode the {kind} body: {exc}"
    if isinstance(exc, HTTPParseError):
        detail = exc.args[0] if exc.args else str(exc)
        return f"malformed HTTP response: {detail}"
    if isinstance(exc, ConnectionResetError):
        return "connection reset before the response" if phase in ("send", "wait") else "connection reset"
    if isinstance(exc, BrokenPipeError):
        return "connection closed by the server while sending the request"
    if isinstance(exc, OSError):
        return f"connection error: {exc.strerror or exc}"
    return f"request failed: {type(exc).__name__}: {exc}"


def _body_count(received: int, response: HTTPSocketPoolResponse | None) -> int:
    """Body bytes seen, those parsed together with the headers included."""
    if response is None:
        return received
    length = _content_length(response)
    if length is not None:
        return max(received, length - response.get_remaining_content_length())
    return received


def _content_length(response: HTTPSocketPoolResponse | None) -> int | None:
    if response is None:
        return None
    response.info()
    try:
        return response.content_length
    except ValueError:
        return None
