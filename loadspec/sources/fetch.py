"""Fetch an input document (an OpenAPI document, ...) from an http(s) URL: the one place a source reads the network.

Its one job is `fetch_document`: one GET with the standard library, with a timeout (on the
connection and on the whole answer), the size cap of input files (`common.MAX_BYTES`), redirects
followed (the credentials of the URL, sent as basic auth, never to another origin) and an `Accept`
header asking for JSON or YAML. Every way it can fail is one `FetchError` that names the URL with
its credentials masked. What the body is, the dispatch decides with the recognisers it uses for
files. It never parses a document and never imports the engine.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._version import __version__
from ..errors import FetchError
from ..lang.credentials import Masker
from .common import MAX_BYTES, Document, split_userinfo

__all__ = ["ACCEPT", "TIMEOUT", "fetch_document", "is_url", "shown_url"]

#: Seconds to wait for the connection, and for the whole answer.
TIMEOUT = 30.0
ACCEPT = "application/json, application/yaml;q=0.9, */*;q=0.1"
_CHUNK = 64 * 1024


def is_url(source: str | Path) -> bool:
    """True for a source given as a URL (`scheme://...`) rather than as a file path."""
    if not isinstance(source, str):
        return False
    scheme, sep, _ = source.partition("://")
    return bool(sep) and scheme[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in scheme)


def shown_url(url: str) -> str:
    """The URL as messages show it: `https://***@host/x` for `https://user:password@host/x`."""
    return Masker().url(url)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _redirects() -> Any:
    """A handler that follows redirects to http(s) URLs only; the basic-auth header stays on the URL's
    own origin. (urllib.request, http.client and ssl load only when something is fetched: a process
    that runs Locust must not import ssl before gevent patches it.)"""
    import urllib.request

    class Redirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> urllib.request.Request | None:
            if urlsplit(newurl).scheme.lower() not in ("http", "https"):
                raise FetchError(f"{shown_url(req.full_url)}: redirected ({code}) to {shown_url(newurl)}, which is "
                                 "not an http(s) URL")
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            if new is not None and _origin(newurl) != _origin(req.full_url):
                new.remove_header("Authorization")
            return new

    return Redirects()


def _failure(reason: Any, host: str, port: int, timeout: float) -> str:
    """What went wrong on the way to the server, in words."""
    import socket
    import ssl

    if isinstance(reason, ConnectionRefusedError):
        return f"connection refused: nothing listens on {host}:{port}"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host {host} ({reason.strerror or reason})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed with {host}:{port}: {getattr(reason, 'verify_message', None) or reason.reason or reason}"
    if isinstance(reason, OSError):
        return f"cannot fetch from {host}:{port}: {reason.strerror or reason}"
    return f"cannot fetch: {reason}"


def fetch_document(url: str, *, what: str = "an OpenAPI document (JSON or YAML)", timeout: float | None = None,
                   max_bytes: int = MAX_BYTES) -> Document:
    """GET `url` and return its body as a `Document` (named by the masked URL, `url` the one it came
    from after redirects); FetchError, naming `what` was expected, when that fails."""
    import http.client
    import urllib.error
    import urllib.request

    name = shown_url(url)
    bare, user, password = split_userinfo(url)
    try:
        parts = urlsplit(bare)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"{name}: not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"{name}: loadspec fetches http:// and https:// URLs only; download the document "
                         "and give its file")
    host = parts.hostname or ""
    if not host:
        raise FetchError(f"{name}: the URL has no host")
    limit = TIMEOUT if timeout is None else timeout
    request = urllib.request.Request(bare, headers={"Accept": ACCEPT, "User-Agent": f"loadspec/{__version__}"})
    if user is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    deadline = time.monotonic() + limit
    try:
        with urllib.request.build_opener(_redirects()).open(request, timeout=limit) as response:
            final = split_userinfo(response.geturl())[0]
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{name}: the answer is {int(declared) // (1024 * 1024)} MB, more than loadspec "
                                 f"reads as {what} ({max_bytes // (1024 * 1024)} MB)")
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(f"{name}: the answer took longer than {limit:g} s")
            media_type = response.headers.get_content_type()
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        exc.close()
        raise FetchError(f"{name}: the server answered {exc.code} {exc.reason}; expected {what}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"{name}: {_failure(exc.reason, host, port, limit)}") from None
    except http.client.HTTPException as exc:
        raise FetchError(f"{name}: the server at {host}:{port} did not send a valid HTTP answer "
                         f"({type(exc).__name__})") from None
    except OSError as exc:
        raise FetchError(f"{name}: {_failure(exc, host, port, limit)}") from None
    except ValueError as exc:  # http.client.InvalidURL
        raise FetchError(f"{name}: not a valid URL ({exc})") from None
    body = b"".join(chunks)
    if len(body) > max_bytes:
        raise FetchError(f"{name}: the answer is more than {max_bytes // (1024 * 1024)} MB, what loadspec reads "
                         f"as {what}")
    try:
        text = body.decode("utf-8-sig" if charset.lower().replace("_", "-") in ("utf-8", "utf8") else charset)
    except (UnicodeDecodeError, LookupError):
        raise FetchError(f"{name}: the answer ({media_type}) is not {charset} text; expected {what}") from None
    if not text.strip():
        raise FetchError(f"{name}: the answer is empty; expected {what}")
    return Document(name, text, url=final, media_type=media_type)
