"""Record real headless-Chromium HAR files of one harapp session (tests/harapp/recordings).

Usage::

    /work/venv/bin/python tests/harapp/record.py [--out DIR] [--show-log]

Needs Debian's Chromium (``apt-get install -y chromium`` -> /usr/bin/chromium) and the PyPI
``playwright`` package (its wheel bundles the driver; ``playwright install`` is NOT needed and
is never run: the browser is ``executable_path=/usr/bin/chromium``).

What it does:

1. starts ``tests/harapp/app.py`` on 127.0.0.1 (random port) -- the only host contacted;
2. launches Chromium with a fresh, empty user-data-dir and records the *same* browser session
   twice at once:

   * Playwright's HAR recorder (``record_har_path`` + ``record_har_content="embed"``)
     -> ``session.har`` (written verbatim, exactly as Playwright produced it);
   * a Chrome DevTools Protocol session on the page (``Network.*`` + ``Page.*`` events,
     ``Network.getResponseBody``) turned into a DevTools-style HAR by :class:`CdpHarRecorder`
     -> ``chrome_http1.har`` (entries carry ``_resourceType``, ``_initiator``, ``_priority``,
     ``connection``, Chrome's timing breakdown; HTTP/1.1 because that is what the app speaks);

3. drives the app like a user: open /login, type credentials, submit (302 -> /dashboard, which
   loads app.js / style.css / logo.png), click "Create order" (JS: POST /api/token,
   POST /api/orders, GET <Location>), change the quantity and click "Change quantity"
   (PUT /api/orders/<id>), click "Submit order" (POST .../submit, then an XMLHttpRequest
   GET /api/config), then follow the "Log out" link (302 -> /login);
4. runs ``make_variants.py`` to derive ``chrome_devtools.har``, ``chrome_sanitized.har`` and
   ``firefox.har`` from the two recordings;
5. checks ``/__stats`` of the app: the recorded session must have zero failures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from urllib.request import urlopen

HERE = Path(__file__).resolve().parent
RECORDINGS = HERE / "recordings"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USERNAME = "alice"
PASSWORD = "demo"

# CDP ResourceType -> the lower-case name DevTools writes into ``_resourceType``.
RESOURCE_TYPES = {
    "XHR": "xhr",
    "TextTrack": "texttrack",
    "CSPViolationReport": "csp-violation-report",
    "SignedExchange": "signed-exchange",
}


def load_sibling(name: str) -> ModuleType:
    """Import ``tests/harapp/<name>.py`` by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"harapp_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def iso(wall: float) -> str:
    """Epoch seconds -> ISO 8601 with milliseconds and 'Z', as DevTools' Date.toJSON()."""
    stamp = datetime.fromtimestamp(wall, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def r3(value: float) -> float:
    return round(value, 3)


def header_list(headers: dict[str, str]) -> list[dict[str, str]]:
    """CDP header dict -> HAR list; CDP joins repeated headers (Set-Cookie) with newlines."""
    out = []
    for name, value in headers.items():
        for part in str(value).split("\n"):
            out.append({"name": name, "value": part})
    return out


def header_value(headers: list[dict[str, str]], name: str) -> str | None:
    for header in headers:
        if header["name"].lower() == name.lower():
            return header["value"]
    return None


def parse_set_cookie(line: str, host: str, base_wall: float) -> dict[str, Any]:
    parts = [p.strip() for p in line.split(";")]
    name, _, value = parts[0].partition("=")
    cookie: dict[str, Any] = {
        "name": name.strip(),
        "value": value.strip(),
        "path": "/",
        "domain": host,
        "expires": None,
        "httpOnly": False,
        "secure": False,
    }
    for attr in parts[1:]:
        key, _, val = attr.partition("=")
        key = key.strip().lower()
        if key == "path":
            cookie["path"] = val
        elif key == "domain":
            cookie["domain"] = val
        elif key == "max-age":
            cookie["expires"] = iso(base_wall + int(val))
        elif key == "httponly":
            cookie["httpOnly"] = True
        elif key == "secure":
            cookie["secure"] = True
        elif key == "samesite":
            cookie["sameSite"] = val
    return cookie


class Hop:
    """One request/response exchange (a redirect chain is several hops of one requestId)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.request: dict[str, Any] = params["request"]
        self.issue_time: float = params["timestamp"]
        self.wall_time: float = params["wallTime"]
        self.response: dict[str, Any] | None = None
        self.response_time: float | None = None
        self.end_time: float | None = None
        self.encoded_length: int = 0
        self.extra_request: dict[str, Any] | None = None
        self.extra_response: dict[str, Any] | None = None
        self.post_data: str | None = None
        self.body: str | None = None
        self.body_base64 = False
        self.error: str | None = None
        self.pageref: str | None = None


class CdpHarRecorder:
    """Collect CDP Network/Page events of one page and build a DevTools-style HAR 1.2 log.

    The field layout follows what Chrome DevTools writes for "Export HAR (with sensitive
    data)": ``_initiator``, ``_priority``, ``_resourceType``, ``cache``, ``connection``,
    ``pageref``, ``request``/``response`` (with ``_transferSize``/``_error``),
    ``serverIPAddress``, ``startedDateTime``, ``time``, ``timings`` (+ ``_blocked_queueing``),
    and ``pages`` whose ``title`` is the page URL.
    """

    def __init__(self, cdp: Any) -> None:
        self.cdp = cdp
        self.hops: list[Hop] = []
        self.current: dict[str, Hop] = {}
        self.chains: dict[str, list[Hop]] = {}
        self.extra_req: dict[str, list[dict[str, Any]]] = {}
        self.extra_resp: dict[str, list[dict[str, Any]]] = {}
        self.pages: list[dict[str, Any]] = []
        self.page_by_loader: dict[str, dict[str, Any]] = {}
        self.main_frame: str | None = None
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for event, handler in [
            ("Network.requestWillBeSent", self.on_request),
            ("Network.requestWillBeSentExtraInfo", self.on_request_extra),
            ("Network.responseReceived", self.on_response),
            ("Network.responseReceivedExtraInfo", self.on_response_extra),
            ("Network.loadingFinished", self.on_finished),
            ("Network.loadingFailed", self.on_failed),
            ("Page.domContentEventFired", self.on_dom_content),
            ("Page.loadEventFired", self.on_load),
        ]:
            self.cdp.on(event, handler)
        await self.cdp.send("Page.enable")
        tree = await self.cdp.send("Page.getFrameTree")
        self.main_frame = tree["frameTree"]["frame"]["id"]
        await self.cdp.send("Network.enable", {"maxTotalBufferSize": 50_000_000, "maxResourceBufferSize": 10_000_000})

    # -- events ------------------------------------------------------------------------
    def on_request(self, params: dict[str, Any]) -> None:
        rid = params["requestId"]
        previous = self.current.get(rid)
        if previous is not None and "redirectResponse" in params:
            previous.response = params["redirectResponse"]
            previous.response_time = params["timestamp"]
            previous.end_time = params["timestamp"]
            previous.encoded_length = params["redirectResponse"].get("encodedDataLength", 0)
        hop = Hop(params)
        if (
            params.get("type") == "Document"
            and params.get("frameId") == self.main_frame
            and params.get("loaderId") not in self.page_by_loader
        ):
            page = {
                "id": f"page_{len(self.pages) + 1}",
                "url": hop.request["url"],
                "start": hop.issue_time,
                "wall": hop.wall_time,
                "dcl": -1.0,
                "load": -1.0,
            }
            self.pages.append(page)
            self.page_by_loader[params["loaderId"]] = page
        page = self.page_by_loader.get(params.get("loaderId", ""))
        if page is not None:
            hop.pageref = page["id"]
            if params.get("type") == "Document" and params.get("frameId") == self.main_frame:
                page["url"] = hop.request["url"]
        elif self.pages:
            hop.pageref = self.pages[-1]["id"]
        self.hops.append(hop)
        self.current[rid] = hop
        chain = self.chains.setdefault(rid, [])
        chain.append(hop)
        self.attach_extras(rid)
        if hop.request.get("hasPostData") and "postData" not in hop.request:
            entries = hop.request.get("postDataEntries") or []
            if entries and all("bytes" in e for e in entries):
                raw = b"".join(base64.b64decode(e["bytes"]) for e in entries)
                hop.post_data = raw.decode("utf-8", "replace")
            else:
                self.tasks.append(asyncio.ensure_future(self.fetch_post_data(rid, hop)))
        elif "postData" in hop.request:
            hop.post_data = hop.request["postData"]

    def attach_extras(self, rid: str) -> None:
        """ExtraInfo events may come before or after their hop: pair them up by order."""
        chain = self.chains.get(rid, [])
        for i, extra in enumerate(self.extra_req.get(rid, [])):
            if i < len(chain):
                chain[i].extra_request = extra
        for i, extra in enumerate(self.extra_resp.get(rid, [])):
            if i < len(chain):
                chain[i].extra_response = extra

    def on_request_extra(self, params: dict[str, Any]) -> None:
        self.extra_req.setdefault(params["requestId"], []).append(params)
        self.attach_extras(params["requestId"])

    def on_response(self, params: dict[str, Any]) -> None:
        hop = self.current.get(params["requestId"])
        if hop is not None:
            hop.response = params["response"]
            hop.response_time = params["timestamp"]
            hop.params["type"] = params.get("type", hop.params.get("type"))

    def on_response_extra(self, params: dict[str, Any]) -> None:
        self.extra_resp.setdefault(params["requestId"], []).append(params)
        self.attach_extras(params["requestId"])

    def on_finished(self, params: dict[str, Any]) -> None:
        hop = self.current.get(params["requestId"])
        if hop is not None:
            hop.end_time = params["timestamp"]
            hop.encoded_length = int(params.get("encodedDataLength", 0))
            self.tasks.append(asyncio.ensure_future(self.fetch_body(params["requestId"], hop)))

    def on_failed(self, params: dict[str, Any]) -> None:
        hop = self.current.get(params["requestId"])
        if hop is not None:
            hop.end_time = params["timestamp"]
            hop.error = params.get("errorText") or "failed"

    def on_dom_content(self, params: dict[str, Any]) -> None:
        if self.pages:
            self.pages[-1]["dcl"] = params["timestamp"]

    def on_load(self, params: dict[str, Any]) -> None:
        if self.pages:
            self.pages[-1]["load"] = params["timestamp"]

    async def fetch_body(self, rid: str, hop: Hop) -> None:
        try:
            result = await self.cdp.send("Network.getResponseBody", {"requestId": rid})
        except Exception as exc:
            hop.body = None
            print(f"warning: no body for {hop.request['url']}: {exc}", file=sys.stderr)
            return
        hop.body = result["body"]
        hop.body_base64 = bool(result["base64Encoded"])

    async def fetch_post_data(self, rid: str, hop: Hop) -> None:
        try:
            result = await self.cdp.send("Network.getRequestPostData", {"requestId": rid})
            hop.post_data = result["postData"]
        except Exception as exc:
            print(f"warning: no post data for {hop.request['url']}: {exc}", file=sys.stderr)

    async def settle(self) -> None:
        """Wait for outstanding getResponseBody / getRequestPostData calls."""
        while any(not t.done() for t in self.tasks):
            await asyncio.gather(*self.tasks, return_exceptions=True)

    # -- HAR building --------------------------------------------------------------------
    def build(self, browser_version: str) -> dict[str, Any]:
        entries = [self.entry(hop) for hop in self.hops if hop.response is not None]
        pages = [
            {
                "startedDateTime": iso(p["wall"]),
                "id": p["id"],
                "title": p["url"],
                "pageTimings": {
                    "onContentLoad": r3((p["dcl"] - p["start"]) * 1000) if p["dcl"] >= 0 else -1,
                    "onLoad": r3((p["load"] - p["start"]) * 1000) if p["load"] >= 0 else -1,
                },
            }
            for p in self.pages
        ]
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "WebInspector", "version": browser_version},
                "pages": pages,
                "entries": entries,
            }
        }

    def entry(self, hop: Hop) -> dict[str, Any]:
        assert hop.response is not None
        req, resp = hop.request, hop.response
        url = req["url"].split("#", 1)[0]
        split = urlsplit(url)
        req_headers = header_list((hop.extra_request or {}).get("headers") or req.get("headers", {}))
        extra_resp = hop.extra_response or {}
        resp_headers = header_list(extra_resp.get("headers") or resp.get("headers", {}))
        resp_headers_text: str = extra_resp.get("headersText") or resp.get("headersText") or ""
        protocol = (resp.get("protocol") or "").lower()
        proto_name = {"h2": "http/2.0", "h3": "http/3.0"}.get(protocol, protocol)
        request_version = proto_name or "http/1.1"
        if resp_headers_text:
            response_version = resp_headers_text.split(" ", 1)[0]
        else:
            response_version = proto_name
        cookies = [
            {
                "name": c["cookie"]["name"],
                "value": c["cookie"]["value"],
                "path": c["cookie"].get("path", "/"),
                "domain": c["cookie"].get("domain", split.hostname),
                "expires": None if c["cookie"].get("session") else iso(c["cookie"]["expires"]),
                "httpOnly": c["cookie"].get("httpOnly", False),
                "secure": c["cookie"].get("secure", False),
                **({"sameSite": c["cookie"]["sameSite"]} if c["cookie"].get("sameSite") else {}),
            }
            for c in (hop.extra_request or {}).get("associatedCookies", [])
            if not c.get("blockedReasons")
        ]
        set_cookies = [
            parse_set_cookie(h["value"], split.hostname or "", hop.wall_time)
            for h in resp_headers
            if h["name"].lower() == "set-cookie"
        ]
        request: dict[str, Any] = {
            "method": req["method"],
            "url": url,
            "httpVersion": request_version,
            "headers": req_headers,
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(split.query, keep_blank_values=True)],
            "cookies": cookies,
            "headersSize": -1,
            "bodySize": len(hop.post_data.encode("utf-8")) if hop.post_data else 0,
        }
        if hop.post_data:
            mime = header_value(req_headers, "Content-Type") or ""
            post: dict[str, Any] = {"mimeType": mime, "text": hop.post_data}
            if mime.startswith("application/x-www-form-urlencoded"):
                post["params"] = [
                    {"name": n, "value": v} for n, _, v in (p.partition("=") for p in hop.post_data.split("&") if p)
                ]
            request["postData"] = post
        transfer = hop.encoded_length
        body_bytes = (base64.b64decode(hop.body) if hop.body_base64 else hop.body.encode("utf-8")) if hop.body else b""
        content: dict[str, Any] = {"size": len(body_bytes), "mimeType": resp.get("mimeType") or "x-unknown"}
        body_size = transfer - len(resp_headers_text) if resp_headers_text else -1
        if resp_headers_text:
            content["compression"] = len(body_bytes) - body_size
        if hop.body is not None:
            content["text"] = hop.body
            if hop.body_base64:
                content["encoding"] = "base64"
        response = {
            "status": resp["status"],
            "statusText": resp.get("statusText", ""),
            "httpVersion": response_version,
            "headers": resp_headers,
            "cookies": set_cookies,
            "content": content,
            "redirectURL": header_value(resp_headers, "Location") or "",
            "headersSize": len(resp_headers_text) if resp_headers_text else -1,
            "bodySize": body_size,
            "_transferSize": transfer,
            "_error": hop.error,
            "_fetchedViaServiceWorker": bool(resp.get("fromServiceWorker")),
        }
        timings = self.timings(hop)
        total = sum(max(timings[k], 0) for k in ("blocked", "dns", "connect", "send", "wait", "receive"))
        initiator = hop.params.get("initiator") or {"type": "other"}
        entry: dict[str, Any] = {
            "_initiator": initiator,
            "_priority": req.get("initialPriority"),
            "_resourceType": RESOURCE_TYPES.get(
                hop.params.get("type", "Other"), hop.params.get("type", "Other").lower()
            ),
            "cache": {},
            "connection": str(resp.get("connectionId", "")),
            "pageref": hop.pageref,
            "request": request,
            "response": response,
            "serverIPAddress": (resp.get("remoteIPAddress") or "").strip("[]"),
            "startedDateTime": iso(hop.wall_time),
            "time": r3(total),
            "timings": timings,
        }
        if hop.pageref is None:
            del entry["pageref"]
        return entry

    @staticmethod
    def timings(hop: Hop) -> dict[str, Any]:
        """DevTools' breakdown: blocked/dns/ssl/connect/send/wait/receive in ms (-1 = n/a)."""
        assert hop.response is not None
        timing = hop.response.get("timing")
        result: dict[str, Any] = {
            "blocked": -1.0,
            "dns": -1.0,
            "ssl": -1.0,
            "connect": -1.0,
            "send": 0.0,
            "wait": 0.0,
            "receive": 0.0,
            "_blocked_queueing": -1.0,
        }
        if not timing:
            return result
        queued = (timing["requestTime"] - hop.issue_time) * 1000
        result["blocked"] = result["_blocked_queueing"] = max(queued, 0.0)
        starts = [t for t in (timing["dnsStart"], timing["connectStart"], timing["sendStart"]) if t >= 0]
        blocked_start = min(starts) if starts else 0.0
        result["blocked"] += blocked_start
        dns_end = timing["dnsEnd"] if timing["dnsEnd"] >= 0 else -1
        result["dns"] = dns_end - blocked_start if dns_end >= 0 else -1.0
        ssl_end = timing["sslEnd"] if timing["sslEnd"] > 0 else -1
        result["ssl"] = ssl_end - timing["sslStart"] if ssl_end > 0 else -1.0
        connect_end = timing["connectEnd"] if timing["connectEnd"] >= 0 else -1
        if connect_end >= 0:
            result["connect"] = connect_end - max(dns_end, blocked_start)
        send_end = timing["sendEnd"] if timing["sendEnd"] >= 0 else 0
        send_start = max(connect_end, dns_end, blocked_start)
        result["send"] = max(send_end - send_start, 0.0)
        highest = max(send_end, connect_end, ssl_end, dns_end, blocked_start, 0)
        received = hop.response_time if hop.response_time is not None else timing["requestTime"]
        wait_end = (received - timing["requestTime"]) * 1000
        wait_end = max(wait_end, timing.get("receiveHeadersEnd", wait_end))
        result["wait"] = max(wait_end - highest, 0.0)
        end = hop.end_time if hop.end_time is not None else received
        result["receive"] = max((end - timing["requestTime"]) * 1000 - wait_end, 0.0)
        return {k: r3(v) for k, v in result.items()}


async def wait_status(page: Any, text: str) -> None:
    await page.wait_for_function(
        "t => { const s = document.getElementById('status'); "
        "if (s && s.textContent.startsWith('error')) throw new Error(s.textContent); "
        "return s && s.textContent === t; }",
        arg=text,
        timeout=15_000,
    )


async def drive(page: Any, base_url: str) -> None:
    """One user session: login -> create/view/update/submit an order -> config -> logout."""
    await page.goto(f"{base_url}/login", wait_until="load")
    await page.fill("input[name=username]", USERNAME)
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation(url=f"{base_url}/dashboard", wait_until="load"):
        await page.click("#login")
    await wait_status(page, "ready")
    await page.select_option("#item", "widget")
    await page.fill("#qty", "2")
    await page.click("#create")
    await wait_status(page, "created")
    await page.fill("#qty", "3")
    await page.click("#update")
    await wait_status(page, "updated")
    await page.click("#submit")
    await wait_status(page, "submitted")
    await page.wait_for_load_state("networkidle")
    async with page.expect_navigation(url=f"{base_url}/login", wait_until="load"):
        await page.click("#logout")
    await page.wait_for_load_state("networkidle")


async def record(out_dir: Path, base_url: str) -> dict[str, Path]:
    from playwright.async_api import async_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    session_path = out_dir / "session.har"
    cdp_path = out_dir / "chrome_http1.har"
    user_data = Path(tempfile.mkdtemp(prefix="harapp-chromium-"))
    try:
        async with async_playwright() as pw:
            context = await pw.chromium.launch_persistent_context(
                str(user_data),
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                record_har_path=str(session_path),
                record_har_content="embed",
                record_har_mode="full",
                viewport={"width": 1024, "height": 720},
            )
            page = context.pages[0] if context.pages else await context.new_page()
            cdp = await context.new_cdp_session(page)
            recorder = CdpHarRecorder(cdp)
            await recorder.start()
            version = await cdp.send("Browser.getVersion")
            await drive(page, base_url)
            await asyncio.sleep(0.5)  # let trailing events (favicon, loadingFinished) arrive
            await recorder.settle()
            webkit = version.get("revision", "")
            product = version.get("product", "")
            ua_webkit = version.get("userAgent", "").split("AppleWebKit/")[-1].split(" ")[0]
            har = recorder.build(ua_webkit or webkit or product)
            await cdp.detach()
            await context.close()  # writes session.har
    finally:
        shutil.rmtree(user_data, ignore_errors=True)
    cdp_path.write_text(json.dumps(har, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"session": session_path, "chrome_http1": cdp_path}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Record harapp HAR fixtures with headless Chromium.")
    parser.add_argument("--out", type=Path, default=RECORDINGS, help="output directory")
    parser.add_argument("--show-log", action="store_true", help="print the recorded request sequence")
    args = parser.parse_args(argv)

    app = load_sibling("app")
    variants = load_sibling("make_variants")
    base_url, stop = app.start_app()
    try:
        started = time.monotonic()
        paths = asyncio.run(record(args.out, base_url))
        with urlopen(f"{base_url}/__stats", timeout=10) as resp:
            stats = json.load(resp)
    finally:
        stop()
    print(f"recorded against {base_url} in {time.monotonic() - started:.1f}s; app stats {stats}")
    if stats["failures"]:
        print("ERROR: the recorded session had rejected requests", file=sys.stderr)
        return 1
    written = variants.build_variants(args.out)
    for path in [*paths.values(), *written]:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    if args.show_log:
        for entry in json.loads(paths["session"].read_text())["log"]["entries"]:
            print(entry["request"]["method"], entry["request"]["url"], entry["response"]["status"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
