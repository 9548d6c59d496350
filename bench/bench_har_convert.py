"""Benchmark: `loadspec convert` on a generated 10,000-entry HAR recording (goal: under 5 s).

The recording imitates a long browser session on a shop: HTML pages with a rotating CSRF token in a
hidden input, a login that returns a bearer token, JSON API calls that create orders and then use
their ids in URLs and bodies, static assets (filtered), a third-party analytics host (filtered),
CORS preflights, cache hits and redirects. It exercises every stage: reading, filtering, redirect
collapsing, correlation with verification, YAML writing and the validation of the written YAML.

    /work/venv/bin/python bench/bench_har_convert.py [--entries 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOST = "https://shop.example.test"
GOAL_SECONDS = 5.0


def _headers(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs.items()]


class Recorder:
    """Writes HAR entries one after another, with realistic timestamps."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.clock = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self.token = ""

    def add(self, method: str, url: str, status: int = 200, *, rtype: str = "fetch", mime: str = "application/json",
            body: str = "", request_body: str | None = None, request_mime: str = "application/json",
            headers: dict[str, str] | None = None, response_headers: dict[str, str] | None = None,
            gap_ms: float = 20, extra: dict[str, Any] | None = None) -> None:
        self.clock += timedelta(milliseconds=gap_ms)
        request_headers = {":authority": "shop.example.test", ":method": method, ":path": url.split(HOST)[-1],
                           ":scheme": "https", "accept": "application/json", "accept-language": "en-US,en;q=0.9",
                           "user-agent": "Mozilla/5.0 (bench) Chrome/130.0", "sec-fetch-mode": "cors",
                           "cookie": "session=abc123def456"}
        request_headers.update(headers or {})
        entry: dict[str, Any] = {
            "startedDateTime": self.clock.isoformat().replace("+00:00", "Z"),
            "time": 12.5,
            "_resourceType": rtype,
            "request": {"method": method, "url": url, "httpVersion": "http/2.0", "headers": _headers(request_headers),
                        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "http/2.0",
                         "headers": _headers({"content-type": mime, **(response_headers or {})}), "cookies": [],
                         "content": {"size": len(body), "mimeType": mime, "text": body},
                         "redirectURL": (response_headers or {}).get("location", ""), "headersSize": -1,
                         "bodySize": -1},
            "cache": {}, "timings": {"send": 0.1, "wait": 10, "receive": 2.4},
        }
        if request_body is not None:
            entry["request"]["postData"] = {"mimeType": request_mime, "text": request_body}
        entry.update(extra or {})
        self.entries.append(entry)


def session(rec: Recorder, round_no: int) -> None:
    csrf = secrets.token_urlsafe(24)
    page = f'<html><head><meta name="csrf-token" content="{csrf}"></head><body><form>' \
           f'<input type="hidden" name="csrf_token" value="{csrf}"></form>{"<p>text</p>" * 50}</body></html>'
    rec.add("GET", f"{HOST}/login", rtype="document", mime="text/html", body=page, gap_ms=900)
    for asset in ("app.css", "app.js", "logo.png", "font.woff2"):
        rec.add("GET", f"{HOST}/static/{asset}", rtype={"css": "stylesheet", "js": "script", "png": "image",
                                                          "woff2": "font"}[asset.rsplit(".", 1)[1]],
                mime="text/css", body="body{}" * 20)
    rec.add("POST", f"{HOST}/analytics/collect", rtype="ping", mime="text/plain")
    rec.add("GET", "https://www.google-analytics.com/g/collect?v=2", rtype="xhr", mime="text/plain")
    rec.add("POST", f"{HOST}/login", 302, rtype="document", mime="text/html",
            request_body=f"csrf_token={csrf}&username=user{round_no}&password=hunter2",
            request_mime="application/x-www-form-urlencoded", response_headers={"location": "/account"}, gap_ms=1500)
    rec.add("GET", f"{HOST}/account", rtype="document", mime="text/html", body=page.replace(csrf, "x" * 8))
    token = secrets.token_hex(20)
    rec.add("POST", f"{HOST}/api/token", body=json.dumps({"access_token": token, "expires_in": 300}),
            request_body="{}")
    auth = {"authorization": f"Bearer {token}"}
    for _ in range(4):
        order = f"ord_{secrets.token_hex(8)}"
        line = secrets.token_hex(6)
        rec.add("OPTIONS", f"{HOST}/api/orders", 204, rtype="preflight", mime="text/plain",
                headers={"access-control-request-method": "POST"})
        rec.add("POST", f"{HOST}/api/orders", 201, headers=auth, request_body=json.dumps({"item": "widget", "qty": 2}),
                body=json.dumps({"id": order, "lines": [{"line_id": line, "sku": "W-1"}], "status": "draft"}),
                response_headers={"location": f"/api/orders/{order}"})
        rec.add("GET", f"{HOST}/api/orders/{order}", headers=auth,
                body=json.dumps({"id": order, "lines": [{"line_id": line}]}))
        rec.add("GET", f"{HOST}/api/orders/{order}", headers=auth, body="{}", extra={"_fromCache": "memory"})
        rec.add("PUT", f"{HOST}/api/orders/{order}/lines/{line}", headers=auth,
                request_body=json.dumps({"qty": 3, "order": order}), body=json.dumps({"ok": True}))
        rec.add("POST", f"{HOST}/api/orders/{order}/submit", headers={**auth, "x-csrf-token": csrf},
                request_body="{}", body=json.dumps({"confirmation": f"CONF-{secrets.token_hex(4)}"}))
        rec.add("GET", f"{HOST}/api/search?q=widget&page=2&_=1767268800123", headers=auth,
                body=json.dumps({"results": [{"sku": f"W-{n}", "name": "Widget"} for n in range(20)]}))
        rec.add("GET", f"{HOST}/static/img/{secrets.token_hex(4)}.jpg", rtype="image", mime="image/jpeg")
    rec.add("GET", f"{HOST}/logout", 302, rtype="document", mime="text/html", response_headers={"location": "/login"})


def generate(entries: int) -> dict[str, Any]:
    rec = Recorder()
    round_no = 0
    while len(rec.entries) < entries:
        session(rec, round_no)
        round_no += 1
    del rec.entries[entries:]
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [],
                    "entries": rec.entries}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--keep", metavar="DIR", help="write the HAR and the YAML here instead of a temp dir")
    args = parser.parse_args(argv)

    from loadspec.cli import main as loadspec

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(args.keep or temp)
        folder.mkdir(parents=True, exist_ok=True)
        har, out = folder / "bench.har", folder / "bench.yaml"
        har.write_text(json.dumps(generate(args.entries)), encoding="utf-8")
        size = har.stat().st_size / 1024 / 1024
        started, cpu = time.perf_counter(), time.process_time()
        status = loadspec(["convert", str(har), "-o", str(out)])
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        steps = out.read_text(encoding="utf-8").count("\n      - name: ") if status == 0 else 0
    print(f"\nconvert: {args.entries} entries ({size:.1f} MB) → {steps} steps in {elapsed:.2f} s wall, "
          f"{cpu:.2f} s CPU (goal < {GOAL_SECONDS:g} s: {'met' if elapsed < GOAL_SECONDS else 'MISSED'}; "
          "a busy machine inflates the wall time, the CPU time is what convert itself costs)")
    return 0 if status == 0 and elapsed < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
