"""Read responses through Locust's two clients without losing or inventing a request.

Both clients are asked for a streamed response; the body is then read here, in blocks, keeping at
most the step's body limit (the rest is read and dropped, so memory stays flat whatever the target
sends) and noticing a body cut short. `describe_error` turns the transport exceptions of
geventhttpclient, requests and urllib3 into one short, stable message each ("connection refused",
"connection closed without a response", "response cut short: …"), so the failures table groups
them. `without_hidden_retries` switches off geventhttpclient's own retry of a closed connection,
which would send a request again without the report ever counting it. No statistics, no Locust
events: the compiled step does the reporting.
"""

from __future__ import annotations

import errno
import socket
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BLOCK = 64 * 1024
MB = 1024 * 1024


@dataclass
class BodyRead:
    """What reading a body found: bytes received on the wire, whether the kept part hit the limit,
    and a transport problem (None when the body arrived whole)."""

    received: int = 0
    over: bool = False
    problem: str | None = None


def limit_text(limit: int) -> str:
    """`10 MB`, `1.5 MB`, `512 KB`: the body limit as the failure message says it."""
    if limit >= MB:
        return f"{limit / MB:g} MB"
    return f"{limit / 1024:g} KB" if limit >= 1024 else f"{limit} bytes"


# --- decoding -------------------------------------------------------------------------------------


class _Deflate:
    """`Content-Encoding: deflate`, which servers send zlib-wrapped or raw; told apart by the first byte."""

    def __init__(self) -> None:
        self._inner: Any = None

    def __call__(self, data: bytes) -> bytes:
        if self._inner is None:
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0
            self._inner = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return self._inner.decompress(data)


def _decoder(encoding: str) -> Callable[[bytes], bytes] | None:
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if encoding == "deflate":
        return _Deflate()
    if encoding == "br":
        import brotli  # geventhttpclient depends on it

        return brotli.Decompressor().process
    return None


class _Keeper:
    """Collects decoded bytes up to `limit`; past it only counts what arrives."""

    def __init__(self, limit: int, encoding: str):
        self.limit = limit
        self.kept = bytearray()
        self.decode = _decoder(encoding) if encoding else None
        self.read = BodyRead()

    def feed(self, chunk: bytes) -> None:
        self.read.received += len(chunk)
        if self.read.over:
            return  # read and dropped: no decoding, no copy
        data = self.decode(chunk) if self.decode is not None else chunk
        room = self.limit - len(self.kept)
        if len(data) > room:
            self.kept += data[:room]
            self.read.over = True
        else:
            self.kept += data


# --- the two clients --------------------------------------------------------------------------------


def read_fast_body(response: Any, limit: int) -> BodyRead:
    """Read the body of a streamed FastHttpSession response (its `_response` is geventhttpclient's)
    into `response._cached_content`, so `.content` and `.text` serve the kept part."""
    read_already = getattr(response, "_cached_content", None)  # a slot of geventhttpclient's response
    if read_already is not None:  # a 4xx/5xx: geventhttpclient read the body for its error log
        response._cached_content = read_already[:limit]
        return BodyRead(received=len(read_already), over=len(read_already) > limit)
    raw = getattr(response, "_response", None)
    if raw is None:
        response._cached_content = b""
        return BodyRead()
    headers = response.headers
    keeper = _Keeper(limit, headers.get("content-encoding", "") if headers is not None else "")
    try:
        while True:
            chunk = raw.read(BLOCK)
            if not chunk:
                break
            keeper.feed(chunk)
        if not raw.message_complete:
            keeper.read.problem = "response cut short"
    except Exception as exc:  # noqa: BLE001 - any transport or decoding error ends the body
        buffered = len(getattr(raw, "_body_buffer", b""))  # parsed, not yet handed out when the error came
        keeper.read.problem = describe_error(exc, received=keeper.read.received + buffered,
                                             expected=raw.content_length)
    finally:
        try:
            raw.release()
        except Exception:  # noqa: BLE001, S110 - releasing a broken socket may fail; it is closed anyway
            pass
    response._cached_content = bytes(keeper.kept)
    return keeper.read


def read_requests_body(response: Any, limit: int) -> BodyRead:
    """Read the body of a streamed requests response (`stream=True`) from urllib3, decoded here,
    into `response._content`, so `.content`, `.text` and `.json()` serve the kept part."""
    raw = getattr(response, "raw", None)
    if raw is None or not hasattr(raw, "stream"):
        response._content, response._content_consumed = b"", True
        return BodyRead()
    keeper = _Keeper(limit, response.headers.get("content-encoding", ""))
    expected = response.headers.get("content-length")
    try:
        for chunk in raw.stream(BLOCK, decode_content=False):
            keeper.feed(chunk)
    except Exception as exc:  # noqa: BLE001 - any transport or decoding error ends the body
        keeper.read.problem = describe_error(exc, received=keeper.read.received,
                                             expected=int(expected) if expected and expected.isdigit() else None)
    response._content, response._content_consumed = bytes(keeper.kept), True
    if keeper.read.problem is None:
        raw.release_conn()
    else:
        response.close()
    return keeper.read


def without_hidden_retries(session: Any) -> None:
    """Make a FastHttpSession send each request once. geventhttpclient's `HTTPClient.request`
    retries a GET whose connection closed before the response `pool.size + 1` times (12 sends for
    Locust's concurrency of 10), below Locust's `max_retries`, and reports only the last outcome.
    The retry budget is read from the connection pool's `size` on every request and used for
    nothing else, so each client the pool creates gets a budget of none. A dead idle connection
    is still replaced before sending: the pool checks each idle socket before reusing it."""
    from geventhttpclient.client import HTTPClientPool

    class OncePool(HTTPClientPool):
        def get_client(self, url: Any) -> Any:
            client = super().get_client(url)
            client._connection_pool.size = -1  # attempts_left = size + 1 = 0
            return client

    agent = session.client
    agent.clientpool = OncePool(**agent.clientpool.client_args)


# --- messages -------------------------------------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (causes, contexts, exceptions among its args)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current in seen or len(seen) > 12:
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__, getattr(current, "original", None),
                             getattr(current, "reason", None)) if isinstance(e, BaseException)]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
    return seen


def describe_error(exc: BaseException, *, received: int | None = None, expected: int | None = None) -> str:
    """One short, stable message for a transport error of either client."""
    chain = _chain(exc)
    names = {type(e).__name__ for e in chain}
    text = " ".join(str(e) for e in chain).lower()
    if received is not None and (expected or "incomplete" in text or "connection broken" in text
                                 or "reset" in text or names & {"ConnectionResetError", "HTTPParseError"}):
        of = f" of {expected}" if expected else ""
        why = "connection reset" if ("reset" in text or "ConnectionResetError" in names) else "connection closed"
        return f"response cut short: {received}{of} bytes, then {why}"
    tls = [e for e in chain if "SSL" in type(e).__name__ or "Certificate" in type(e).__name__]
    if tls:
        detail = str(tls[-1])  # the innermost: "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: …"
        return "TLS error: " + _short(detail, 160)
    if "ConnectionRefusedError" in names or "refused" in text:
        return "connection refused"
    if names & {"ConnectionResetError"} or any(getattr(e, "errno", None) == errno.ECONNRESET for e in chain) \
            or "connection reset" in text:
        return "connection reset by the server"
    if names & {"HTTPConnectionClosed", "RemoteDisconnected", "EmptyResponse"} or "without response" in text:
        return "connection closed without a response"
    if names & {"BadStatusLine", "HTTPParseError", "LineTooLong", "InvalidChunkLength", "HeaderParsingError"} \
            or "expected http/" in text:
        detail = next((str(e) for e in chain if type(e).__name__ in ("HTTPParseError", "BadStatusLine")), "")
        return "malformed HTTP response" + (f" ({_short(detail)})" if detail else "")
    if names & {"ReadTimeout", "ConnectTimeout", "Timeout", "TimeoutError", "ReadTimeoutError",
                "ConnectTimeoutError"} or any(isinstance(e, socket.timeout) for e in chain) or "timed out" in text:
        return "timed out"
    if "name or service not known" in text or "gaierror" in {n.lower() for n in names}:
        return "host name not found"
    return f"{type(exc).__name__}: {_short(str(exc))}" if str(exc) else type(exc).__name__


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split()).strip("()'\"")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_error(exc: BaseException) -> str:
    """The message of a request that could not be built or handed to the client."""
    text = _short(str(exc), 100)
    return f"could not build the request: {type(exc).__name__}" + (f": {text}" if text else "")


__all__ = ["BLOCK", "MB", "BodyRead", "build_error", "describe_error", "limit_text", "read_fast_body",
           "read_requests_body", "without_hidden_retries"]
