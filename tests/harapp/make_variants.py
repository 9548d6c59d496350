"""Derive browser-specific HAR variants from the two real recordings of one harapp session.

Usage::

    /work/venv/bin/python tests/harapp/make_variants.py [RECORDINGS_DIR]

``record.py`` runs this automatically; it can be re-run alone (no browser needed).  Inputs, both
written by ``record.py`` from the *same* headless-Chromium session:

* ``session.har``      -- Playwright's own HAR recorder output, committed verbatim.
* ``chrome_http1.har`` -- the same session captured through the Chrome DevTools Protocol and
  laid out the way Chrome DevTools' "Export HAR" writes it, HTTP/1.1 exactly as on the wire.

Outputs.  Every transform only moves, renames, drops or re-formats fields; no dynamic value
(CSRF token, cookies, bearer token, order id, ...) is changed, so correlation can be tested on
each file and must find the same values:

``chrome_devtools.har`` (from ``chrome_http1.har``) -- mimics Chrome DevTools "Export HAR (with
sensitive data)" of a site served over HTTP/2 (Chrome only speaks h2 over TLS, the test app is
plain HTTP/1.1 on loopback, so this part is synthesized):

* ``request.httpVersion`` / ``response.httpVersion`` -> ``"http/2.0"`` (what DevTools writes
  when there is no raw HTTP/1 header text);
* request headers: HTTP/2 pseudo-headers ``:authority``, ``:method``, ``:path``, ``:scheme``
  are put first (values taken from the recorded URL and method), the other names are
  lower-cased (h2 has no upper case) and the connection-specific HTTP/1 headers ``Host``,
  ``Connection``, ``Keep-Alive``, ``Proxy-Connection``, ``Transfer-Encoding`` and
  ``Upgrade`` are dropped, as an h2 request cannot carry them;
* response headers: names lower-cased, ``Connection``/``Keep-Alive``/``Transfer-Encoding``
  dropped (``:status`` is not listed, as in DevTools);
* ``headersSize`` -> -1 and ``response.bodySize`` -> -1, ``content.compression`` removed
  (DevTools has no raw header text for h2); ``_transferSize`` is kept;
* ``_resourceType``, ``_initiator``, ``_priority``, ``connection`` (connection id),
  ``pages`` with ``page_N`` ids and URL titles are kept as recorded.

``chrome_sanitized.har`` (from ``chrome_devtools.har``) -- mimics Chrome >= 130 "Export HAR
(sanitized)", the default export: every ``Cookie``, ``Set-Cookie`` and ``Authorization`` header
(any case) is removed from requests and responses and every ``cookies`` array is emptied.
Bodies (incl. the ``access_token`` JSON and HTML with the CSRF token) are untouched, as in
Chrome.

``firefox.har`` (from ``session.har``) -- mimics Firefox DevTools "Save All As HAR":

* ``log.version`` "1.1" (Firefox's HAR_VERSION), ``creator`` and ``browser`` {"name":
  "Firefox", "version": ...};
* one page ``page_1`` (Firefox exports one page per tab) titled with the document title,
  ``pageTimings`` {onContentLoad, onLoad}; every entry has ``pageref: "page_1"``;
* entry keys in Firefox's order (pageref, startedDateTime, time, request, response, cache,
  timings, serverIPAddress, connection) with ``cache: {}`` and ``connection`` = server *port*
  (Firefox semantics, unlike Chrome's connection id); no ``_``-prefixed fields at all (no
  ``_resourceType``, ``_transferSize``, ``_securityDetails``, ...);
* ``startedDateTime`` with a numeric UTC offset ("...+00:00") instead of "Z";
* header names keep their original (HTTP/1.1 wire) case; headers are re-ordered the way
  Firefox sends them; ``User-Agent`` becomes a Firefox UA and the Chromium-only client hints
  ``sec-ch-ua*`` are dropped;
* ``cookies`` arrays hold only {name, value} (Firefox's HarBuilder);
* ``redirectURL`` is the raw ``Location`` header value (relative, and also set on the
  ``201 Created`` response that carries a Location), "" otherwise;
* response ``content`` always has ``text`` ("" for the empty 302 bodies), binary bodies are
  ``encoding: "base64"``, ``size`` is the decoded size; ``postData`` always has ``params``
  (decoded form fields, [] for JSON) and ``text``; ``request.bodySize`` = len(text);
* ``timings`` has blocked, dns, connect, ssl, send, wait, receive (-1 where unknown) and
  ``time`` is their sum.
"""

from __future__ import annotations

import base64
import copy
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

HERE = Path(__file__).resolve().parent
RECORDINGS = HERE / "recordings"
FIREFOX_VERSION = "128.0"
FIREFOX_UA = f"Mozilla/5.0 (X11; Linux x86_64; rv:{FIREFOX_VERSION}) Gecko/20100101 Firefox/{FIREFOX_VERSION}"
H2_FORBIDDEN_REQUEST = {"host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
H2_FORBIDDEN_RESPONSE = {"connection", "keep-alive", "transfer-encoding"}
SANITIZED_HEADERS = {"cookie", "set-cookie", "authorization"}
# Order in which Firefox puts request headers on the wire (others keep their relative order after).
FIREFOX_HEADER_ORDER = [
    "host",
    "user-agent",
    "accept",
    "accept-language",
    "accept-encoding",
    "content-type",
    "content-length",
    "authorization",
    "origin",
    "connection",
    "referer",
    "cookie",
    "upgrade-insecure-requests",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
    "priority",
    "cache-control",
]

Har = dict[str, Any]


def load(path: Path) -> Har:
    return json.loads(path.read_text(encoding="utf-8"))


def dump(har: Har, path: Path) -> Path:
    path.write_text(json.dumps(har, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# -- Chrome, HTTP/2 --------------------------------------------------------------------------
def to_chrome_h2(har: Har) -> Har:
    """DevTools HTTP/1.1 export -> the same session as DevTools shows an HTTP/2 site."""
    out = copy.deepcopy(har)
    for entry in out["log"]["entries"]:
        req, resp = entry["request"], entry["response"]
        url = urlsplit(req["url"])
        path = url.path + (f"?{url.query}" if url.query else "")
        pseudo = [
            {"name": ":authority", "value": url.netloc},
            {"name": ":method", "value": req["method"]},
            {"name": ":path", "value": path or "/"},
            {"name": ":scheme", "value": url.scheme},
        ]
        req["headers"] = pseudo + [
            {"name": h["name"].lower(), "value": h["value"]}
            for h in req["headers"]
            if h["name"].lower() not in H2_FORBIDDEN_REQUEST
        ]
        resp["headers"] = [
            {"name": h["name"].lower(), "value": h["value"]}
            for h in resp["headers"]
            if h["name"].lower() not in H2_FORBIDDEN_RESPONSE
        ]
        req["httpVersion"] = resp["httpVersion"] = "http/2.0"
        req["headersSize"] = resp["headersSize"] = -1
        resp["bodySize"] = -1
        resp["content"].pop("compression", None)
    return out


def sanitize_chrome(har: Har) -> Har:
    """Chrome >= 130 default "Export HAR (sanitized)": no Cookie/Set-Cookie/Authorization."""
    out = copy.deepcopy(har)
    for entry in out["log"]["entries"]:
        for part in (entry["request"], entry["response"]):
            part["headers"] = [h for h in part["headers"] if h["name"].lower() not in SANITIZED_HEADERS]
            part["cookies"] = []
    return out


# -- Firefox ---------------------------------------------------------------------------------
def firefox_time(stamp: str) -> str:
    """ISO 'Z' time -> Firefox's dateToJSON(): local time with a numeric offset (UTC here)."""
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone(timedelta(0)))
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+00:00"


def firefox_headers(headers: list[dict[str, str]], request: bool) -> list[dict[str, str]]:
    kept = []
    for header in headers:
        name = header["name"]
        if request and name.lower().startswith("sec-ch-ua"):
            continue
        value = FIREFOX_UA if request and name.lower() == "user-agent" else header["value"]
        kept.append({"name": name, "value": value})
    if request:
        rank = {name: i for i, name in enumerate(FIREFOX_HEADER_ORDER)}
        kept.sort(key=lambda h: rank.get(h["name"].lower(), len(rank)))
    return kept


def firefox_entry(entry: Har, pageref: str) -> Har:
    req, resp = entry["request"], entry["response"]
    request: Har = {
        "bodySize": 0,
        "method": req["method"],
        "url": req["url"],
        "httpVersion": req["httpVersion"],
        "headers": firefox_headers(req["headers"], request=True),
        "cookies": [{"name": c["name"], "value": c["value"]} for c in req.get("cookies", [])],
        "queryString": [{"name": q["name"], "value": q["value"]} for q in req.get("queryString", [])],
        "headersSize": req.get("headersSize", -1),
    }
    post = req.get("postData")
    if post and post.get("text"):
        params = []
        if post.get("mimeType", "").startswith("application/x-www-form-urlencoded"):
            for pair in post["text"].split("&"):
                name, _, value = pair.partition("=")
                params.append({"name": unquote_plus(name), "value": unquote_plus(value)})
        request["postData"] = {"mimeType": post.get("mimeType", ""), "params": params, "text": post["text"]}
        request["bodySize"] = len(post["text"])
    src = resp.get("content", {})
    text = src.get("text", "")
    if src.get("encoding") == "base64":
        size = len(base64.b64decode(text))
    else:
        size = len(text.encode("utf-8"))
    content: Har = {"mimeType": src.get("mimeType", ""), "size": size}
    if src.get("encoding"):
        content["encoding"] = src["encoding"]
    content["text"] = text
    location = next((h["value"] for h in resp["headers"] if h["name"].lower() == "location"), "")
    transfer = resp.get("_transferSize", -1)
    headers_size = resp.get("headersSize", -1)
    response: Har = {
        "status": resp["status"],
        "statusText": resp.get("statusText", ""),
        "httpVersion": resp.get("httpVersion", ""),
        "headers": firefox_headers(resp["headers"], request=False),
        "cookies": [{"name": c["name"], "value": c["value"]} for c in resp.get("cookies", [])],
        "content": content,
        "redirectURL": location,
        "headersSize": headers_size,
        "bodySize": transfer - headers_size if transfer >= 0 and headers_size >= 0 else -1,
    }
    src_t = entry.get("timings", {})
    timings = {k: src_t.get(k, -1) for k in ("blocked", "dns", "connect", "ssl", "send", "wait", "receive")}
    out: Har = {
        "pageref": pageref,
        "startedDateTime": firefox_time(entry["startedDateTime"]),
        "time": round(sum(max(v, 0) for v in timings.values() if isinstance(v, (int, float))), 3),
        "request": request,
        "response": response,
        "cache": {},
        "timings": timings,
    }
    if entry.get("serverIPAddress"):
        out["serverIPAddress"] = entry["serverIPAddress"]
    port = entry.get("_serverPort") or urlsplit(req["url"]).port
    if port:
        out["connection"] = str(port)
    return out


def to_firefox(har: Har) -> Har:
    """Playwright/Chromium HAR -> Firefox DevTools "Save All As HAR" layout (same values)."""
    log = har["log"]
    pages = log.get("pages") or []
    first = pages[0] if pages else {}
    timings = first.get("pageTimings", {})
    entries = [firefox_entry(e, "page_1") for e in log["entries"]]
    page = {
        "startedDateTime": entries[0]["startedDateTime"] if entries else firefox_time(first["startedDateTime"]),
        "id": "page_1",
        "title": first.get("title", ""),
        "pageTimings": {"onContentLoad": timings.get("onContentLoad", -1), "onLoad": timings.get("onLoad", -1)},
    }
    return {
        "log": {
            "version": "1.1",
            "creator": {"name": "Firefox", "version": FIREFOX_VERSION},
            "browser": {"name": "Firefox", "version": FIREFOX_VERSION},
            "pages": [page],
            "entries": entries,
        }
    }


def build_variants(recordings: Path = RECORDINGS) -> list[Path]:
    """Write chrome_devtools.har, chrome_sanitized.har and firefox.har next to the inputs."""
    chrome = to_chrome_h2(load(recordings / "chrome_http1.har"))
    return [
        dump(chrome, recordings / "chrome_devtools.har"),
        dump(sanitize_chrome(chrome), recordings / "chrome_sanitized.har"),
        dump(to_firefox(load(recordings / "session.har")), recordings / "firefox.har"),
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for path in build_variants(Path(args[0]) if args else RECORDINGS):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
