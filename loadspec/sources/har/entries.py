"""HAR entries, read and made ready to become steps: the options and reports of an import, reading a
file within its size limit, normalising entries, filtering out what a browser fetched by itself,
redirect chains, request and response details, and step names.

It reads the files it is given and nothing else; correlation and the Spec are `importer`'s job."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urljoin, urlsplit

from haralyzer import HarEntry, HarParser

from ...errors import HarError, InputFileError, UsageError
from ...lang.credentials import Secret, split_userinfo
from ...lang.text import format_duration as duration
from ...model import (
    HTTP_METHODS,
    Spec,
)
from ..common import file_size
from .correlate import (
    looks_dynamic,
)
from .drafts import RecordedStep

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 512 * MB


# --- options and results ------------------------------------------------------------------------


@dataclass
class HarOptions:
    """How to import: filters, correlation, think-time inference and the size guard."""

    include_hosts: Sequence[str] = ()
    exclude_urls: Sequence[str] = ()
    correlate: bool = True
    think_time_threshold: float = 0.5  # seconds; shorter gaps are the browser, not the user
    max_think_time: float = 10.0  # seconds; longer gaps are capped (0 = no think time at all)
    max_bytes: int = DEFAULT_MAX_BYTES
    constants: tuple[str, ...] = ()  # recorded values the replay check saw unchanged live: not correlated
    dynamic: tuple[str, ...] = ()  # recorded values the replay check saw change live: correlated whatever their shape


@dataclass
class FileReport:
    """What happened to one recording."""

    path: str
    creator: str = ""
    entries: int = 0
    steps: int = 0
    main_host: str = ""
    redirects: list[str] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    other_hosts: Counter[str] = field(default_factory=Counter)
    pauses: list[float] = field(default_factory=list)
    correlations: list[tuple[str, str, list[str]]] = field(default_factory=list)  # var, source, uses
    warnings: list[str] = field(default_factory=list)
    sanitized: str | None = None


@dataclass
class ImportReport:
    """The conversion summary of one import (one or several files)."""

    files: list[FileReport]
    secrets: list[Secret]
    options: HarOptions

    def header_notes(self) -> list[str]:
        """A few lines for the header comment of the converted YAML."""
        notes = []
        for report in self.files:
            dropped = sum(report.dropped.values())
            reasons = ", ".join(f"{n} {r.split(' (')[0]}" for r, n in report.dropped.most_common(4))
            notes.append(f"{Path(report.path).name}: {report.entries} entries → {report.steps} steps"
                         + (f"; dropped {dropped} ({reasons})" if dropped else "")
                         + (f"; {len(report.redirects)} redirects asserted" if report.redirects else "")
                         + (f"; {len(report.correlations)} values correlated" if report.correlations else ""))
            if report.sanitized:
                notes.append("WARNING: sanitized export (no Cookie/Set-Cookie/Authorization): steps that need a "
                             "bearer token or API key will fail; see the conversion summary.")
        return notes

    def render(self, *, brief: bool = False) -> str:
        """The summary a user reads after `convert` (or, brief, before `run`)."""
        out: list[str] = []
        for report in self.files:
            dropped = sum(report.dropped.values())
            out.append(f"{report.path} ({report.creator or 'unknown recorder'}): {report.entries} entries → "
                       f"{report.steps} step{'s' if report.steps != 1 else ''} on {report.main_host}"
                       + (f", {dropped} dropped" if dropped else ""))
            if not brief:
                for reason, count in report.dropped.most_common():
                    line = f"    dropped {count:>4}  {reason}"
                    if reason == "other host" and report.other_hosts:
                        hosts = ", ".join(f"{h} ×{n}" for h, n in report.other_hosts.most_common(5))
                        more = len(report.other_hosts) - 5
                        line += f" ({hosts}{f', {more} more' if more > 0 else ''}; keep one with --include-host)"
                    out.append(line)
                if report.redirects:
                    out.append(f"  redirects replayed as redirects (the step asserts the 3xx, the next step "
                               f"follows it): {len(report.redirects)}")
                    chains = Counter(report.redirects)
                    out.extend(f"    {chain}" + (f" (×{n})" if n > 1 else "") for chain, n in list(chains.items())[:10])
                if report.pauses:
                    total = sum(report.pauses)
                    out.append(f"  think time: {len(report.pauses)} pause{'s' if len(report.pauses) != 1 else ''}, "
                               f"{total:.1f}s in all (gaps ≥ {duration(self.options.think_time_threshold)}, "
                               f"capped at {duration(self.options.max_think_time)})")
                if not self.options.correlate:
                    out.append("  correlation: off (--no-correlate): dynamic values are replayed as recorded")
                elif report.correlations:
                    groups: dict[tuple[str, str], list[list[str]]] = {}
                    for variable, source, uses in report.correlations:
                        groups.setdefault((variable, source), []).append(uses)
                    out.append(f"  correlations ({len(report.correlations)} capture"
                               f"{'s' if len(report.correlations) != 1 else ''}):")
                    width = max(len(v) for v, _ in groups)
                    for (variable, source), use_lists in groups.items():
                        uses = list(dict.fromkeys(u for lst in use_lists for u in lst))
                        shown = "; ".join(uses[:3]) + (f"; +{len(uses) - 3} more" if len(uses) > 3 else "")
                        times = f" (×{len(use_lists)}, re-captured each time)" if len(use_lists) > 1 else ""
                        out.append(f"    {variable:<{width}}  from {source}{times}  →  {shown}")
                else:
                    out.append("  correlations: none found")
            if report.sanitized:
                out.append("  warning: " + report.sanitized.replace("\n", "\n  "))
            for warning in report.warnings[: 3 if brief else 12]:
                out.append(f"  warning: {warning}")
            hidden = len(report.warnings) - (3 if brief else 12)
            if hidden > 0:
                out.append(f"  ... and {hidden} more warning{'s' if hidden != 1 else ''}")
        if self.secrets:
            out.append("credentials of the recording are not written into the spec; they are read from "
                       "environment variables:")
            width = max(len(s.env) for s in self.secrets)
            for secret in self.secrets:
                out.append(f"    {secret.env:<{width}}  {', '.join(secret.where[:3])}")
        return "\n".join(out)


@dataclass
class HarImport:
    """The result of an import: the Spec and the summary (which lists the recorded credentials)."""

    spec: Spec
    report: ImportReport
    recorded: dict[str, list[RecordedStep]] = field(default_factory=dict)  # scenario → one per step

    @property
    def secrets(self) -> dict[str, str]:
        """The recorded credentials: env variable name → recorded value."""
        return {secret.env: secret.value for secret in self.report.secrets}


# --- reading ------------------------------------------------------------------------------------


def _size_text(size: float) -> str:
    """`10485` → `10.2 KB`, `536870912` → `512 MB`."""
    amount, unit = (size / MB, "MB") if size >= MB else (size / 1024, "KB")
    return f"{amount:.1f}".removesuffix(".0") + f" {unit}"


def _read_har(file: Path, max_bytes: int) -> HarParser:
    """Read and check a HAR file into haralyzer's parser (its `har_data` is the `log`)."""
    size = file_size(file, "a HAR file")
    if size > max_bytes:
        raise HarError(
            f"{file}: {_size_text(size)} is more than the {_size_text(max_bytes)} loadspec reads from one HAR "
            "file. Such files are mostly response bodies of images and videos: record a shorter session, "
            "or filter the DevTools request list (Fetch/XHR and Doc) before you export, or raise the limit "
            "with --max-har-size MB if this machine has the memory (about 5× the file size).")
    if size == 0:
        raise HarError(f"{file}: the file is empty (0 bytes): the export did not finish; save it again from DevTools")
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{file}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HarError(f"{file}: not a HAR file: not UTF-8 text (byte {exc.start}); HAR files are JSON "
                       "saved by the browser's DevTools (Network tab, 'Save all as HAR')") from None
    del raw
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HarError(_json_problem(file, text, exc)) from None
    try:
        parser = HarParser(data)  # haralyzer: checks it is a mapping with a log
    except ValueError:
        raise HarError(f"{file}: not a HAR file: the JSON is a {type(data).__name__}, not an object with a "
                       "\"log\"") from None
    except KeyError:
        keys = ", ".join(list(data)[:5]) or "nothing"
        raise HarError(f"{file}: not a HAR file: the JSON has no \"log\" object (it has {keys})") from None
    log = parser.har_data
    if not isinstance(log, dict):
        raise HarError(f"{file}: not a HAR file: \"log\" is not an object")
    version = str(log.get("version", "")).strip()
    if version and not re.fullmatch(r"1(\.\d+)?", version):
        raise HarError(f"{file}: HAR version {version} is not supported: loadspec reads HAR 1.1 and 1.2, "
                       "which every browser writes")
    entries = log.get("entries")
    if entries is None:
        raise HarError(f"{file}: not a HAR file: \"log\" has no \"entries\" list")
    if not isinstance(entries, list):
        raise HarError(f"{file}: not a HAR file: \"log.entries\" is a {type(entries).__name__}, not a list")
    if not entries:
        raise HarError(f"{file}: the recording is empty (no entries). Open DevTools (Network tab) before "
                       "you start the session, then export it with 'Save all as HAR'")
    return parser


def _json_problem(file: Path, text: str, exc: json.JSONDecodeError) -> str:
    start = text.lstrip()[:1]
    if start not in ("{", "["):
        shown = text.lstrip()[:30].replace("\n", " ")
        return (f"{file}: not a HAR file: it is not JSON (it starts with {shown!r}). A HAR file is the JSON "
                "the browser's DevTools saves with 'Save all as HAR'")
    if exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string"):
        return (f"{file}: the file is cut off: the JSON stops in the middle at line {exc.lineno} "
                f"(after {_size_text(len(text.encode('utf-8')))}). The export or the copy did not finish; "
                "save the HAR again")
    return f"{file}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"


# --- normalising entries -----------------------------------------------------------------------


@dataclass
class _Entry:
    """One HAR entry with the fields the importer needs, read tolerantly."""

    position: int
    raw: dict[str, Any]
    method: str
    url: str
    parts: SplitResult
    start: float  # seconds since the epoch; an entry without a readable time has the one before it
    elapsed: float
    status: int
    resource_type: str
    mime: str
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None  # why it is dropped; None = kept
    page: str = ""  # path of the latest document the browser had navigated to
    userinfo: str | None = None  # `user:password` the URL carried (removed from `url` and `parts`)


def _pairs(value: Any) -> list[tuple[str, str]]:
    """HAR name/value pairs (headers, cookies, params), skipping malformed items."""
    if not isinstance(value, list):
        return []
    return [(item["name"], "" if item.get("value") is None else str(item["value"])) for item in value
            if isinstance(item, dict) and isinstance(item.get("name"), str)]


def _timestamp(raw: dict[str, Any]) -> float | None:
    text = raw.get("startedDateTime")
    if not isinstance(text, str) or not text:
        return None
    try:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = HarEntry(raw).startTime  # haralyzer (dateutil) copes with the odder formats
            if moment is None:
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError, TypeError):  # dateutil overflows on "99999999999999999999"
        return None


def _normalise(log: dict[str, Any], report: FileReport) -> list[_Entry]:
    entries: list[_Entry] = []
    stamps: list[float | None] = []
    for position, raw in enumerate(log["entries"]):
        if not isinstance(raw, dict):
            report.dropped["malformed entry"] += 1
            report.warnings.append(f"entry #{position + 1} is not an object; skipped")
            continue
        request = raw.get("request")
        method, url = (request.get("method"), request.get("url")) if isinstance(request, dict) else (None, None)
        if not isinstance(method, str) or not isinstance(url, str) or not method or not url:
            report.dropped["malformed entry"] += 1
            report.warnings.append(f"entry #{position + 1} has no request method or URL; skipped")
            continue
        url, userinfo = split_userinfo(url)  # a credential: never part of a host, a name or a message
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # e.g. "http://[::1/x": Invalid IPv6 URL
            report.dropped["malformed entry"] += 1
            report.warnings.append(f"entry #{position + 1} has a request URL that cannot be read ({exc}); skipped")
            continue
        method = method.upper()
        response = raw.get("response") if isinstance(raw.get("response"), dict) else {}
        try:
            status = int(response.get("status") or 0)
        except (TypeError, ValueError, OverflowError):
            status = 0
        content = response.get("content") if isinstance(response.get("content"), dict) else {}
        mime = str(content.get("mimeType") or "").split(";")[0].strip().lower()
        elapsed = raw.get("time")
        stamps.append(_timestamp(raw))
        entries.append(_Entry(
            position=position, raw=raw, method=method, url=url.split("#", 1)[0], parts=parts, start=0.0,
            elapsed=float(elapsed) / 1000.0 if isinstance(elapsed, (int, float)) and elapsed > 0 else 0.0,
            status=status, resource_type=str(raw.get("_resourceType") or "").lower(), mime=mime,
            request_headers=_pairs(request.get("headers")), response_headers=_pairs(response.get("headers")),
            userinfo=userinfo,
        ))
    # an entry without a readable time keeps its place in the file: it gets the time of the entry
    # before it (the first known time for the entries before any)
    previous = next((stamp for stamp in stamps if stamp is not None), 0.0)
    for entry, stamp in zip(entries, stamps, strict=True):
        entry.start = previous = stamp if stamp is not None else previous
    entries.sort(key=lambda e: (e.start, e.position))
    return entries


# --- filtering ----------------------------------------------------------------------------------

_STATIC_TYPES = frozenset({"stylesheet", "image", "media", "font", "script", "texttrack", "manifest",
                           "signed-exchange"})
_BEACON_TYPES = frozenset({"ping", "csp-violation-report", "beacon"})
_API_TYPES = frozenset({"xhr", "fetch", "document"})
_STATIC_MIME_PREFIXES = ("image/", "font/", "audio/", "video/", "text/css", "text/javascript",
                         "application/javascript", "application/x-javascript", "application/ecmascript",
                         "application/font-", "application/x-font-", "application/vnd.ms-fontobject",
                         "application/wasm", "application/manifest+json", "text/vtt")
_STATIC_EXTENSIONS = (".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
                      ".avif", ".bmp", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp4", ".webm", ".mp3",
                      ".ogg", ".wav", ".m4a", ".m3u8", ".ts", ".vtt", ".webmanifest", ".wasm")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_STATIC = "static asset (stylesheet, script, image, font, media)"
_EXCLUDED = "excluded by --exclude-url"
_FOLLOWABLE = (None, _STATIC, "other host", _EXCLUDED)


def _is_static(entry: _Entry) -> bool:
    if entry.resource_type in _STATIC_TYPES:
        return True
    if entry.resource_type in _API_TYPES:
        return False
    if entry.mime.startswith(_STATIC_MIME_PREFIXES):
        return True
    return entry.parts.path.lower().endswith(_STATIC_EXTENSIONS)


def _main_host(entries: list[_Entry]) -> str:
    web = [e for e in entries if e.parts.scheme in ("http", "https") and e.parts.netloc]
    for entry in web:
        if entry.resource_type == "document" and entry.status:
            return entry.parts.netloc.lower()
    for entry in web:
        if entry.mime == "text/html" and entry.status and entry.method in ("GET", "POST"):
            return entry.parts.netloc.lower()
    hosts = Counter(e.parts.netloc.lower() for e in web if not _is_static(e))
    if not hosts:
        hosts = Counter(e.parts.netloc.lower() for e in web)
    return hosts.most_common(1)[0][0] if hosts else ""


def _host_matcher(main: str, includes: Sequence[str]) -> Callable[[str], bool]:
    patterns = []
    for item in includes:
        item = item.strip().lower()
        if "://" in item:
            try:
                item = urlsplit(item).netloc
            except ValueError as exc:
                raise UsageError(f"--include-host {item!r}: {exc}") from None
        if item:
            patterns.append(item.rstrip("/"))

    def allowed(netloc: str) -> bool:
        netloc = netloc.lower()
        if netloc == main:
            return True
        hostname = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
        return any(fnmatch.fnmatchcase(netloc, p) or fnmatch.fnmatchcase(hostname, p) for p in patterns)

    return allowed


_NO_RESPONSE = "no response recorded"


def _filter(entries: list[_Entry], excludes: list[re.Pattern[str]], allowed: Callable[[str], bool]) -> None:
    """Set `reason` on every entry that must not be replayed."""
    for entry in entries:
        raw, scheme = entry.raw, entry.parts.scheme.lower()
        lowered = {name.lower(): value for name, value in entry.request_headers}
        if scheme in ("ws", "wss") or entry.resource_type == "websocket" or (
                lowered.get("upgrade", "").lower() == "websocket") or "_webSocketMessages" in raw:
            entry.reason = "websocket"
        elif scheme == "data":
            entry.reason = "data: URL"
        elif scheme not in ("http", "https"):
            entry.reason = f"not HTTP ({scheme or 'no scheme'}:)"
        elif entry.method == "CONNECT":
            entry.reason = "CONNECT (proxy tunnel)"
        elif raw.get("_fromCache"):
            entry.reason = "cache hit (the server never saw it)"
        elif not isinstance(raw.get("response"), dict):
            entry.reason = _NO_RESPONSE
        elif entry.status == 0 or (isinstance(raw.get("response"), dict) and raw["response"].get("_error")):
            entry.reason = "aborted or blocked (status 0)"
        elif entry.resource_type == "preflight" or (
                entry.method == "OPTIONS" and "access-control-request-method" in lowered):
            entry.reason = "CORS preflight"
        elif any(p.search(entry.url) for p in excludes):
            entry.reason = _EXCLUDED
        elif not allowed(entry.parts.netloc):
            entry.reason = "other host"
        elif entry.resource_type in _BEACON_TYPES:
            entry.reason = "beacon, ping or CSP report"
        elif entry.resource_type == "eventsource":
            entry.reason = "server-sent event stream"
        elif _is_static(entry):
            entry.reason = _STATIC
        elif entry.method.lower() not in HTTP_METHODS:
            entry.reason = f"method {entry.method} (not supported by loadspec)"


# --- redirect chains ----------------------------------------------------------------------------


@dataclass
class _Exchange:
    """A request as the user's browser made it (one entry; `chain` keeps room for more)."""

    chain: list[_Entry]
    allow_redirects: bool | None = None
    status: Any = None
    followed: bool = False  # a redirect whose next request was recorded (and is the next step)

    @property
    def first(self) -> _Entry:
        return self.chain[0]

    @property
    def last(self) -> _Entry:
        return self.chain[-1]


def _location(entry: _Entry) -> str:
    response = entry.raw.get("response") if isinstance(entry.raw.get("response"), dict) else {}
    target = response.get("redirectURL")
    if not target or not isinstance(target, str):
        target = next((v for k, v in entry.response_headers if k.lower() == "location"), "")
    if not target:
        return ""
    try:
        return urljoin(entry.url, target).split("#", 1)[0]
    except ValueError:  # a target such as "http://[::1/x" leads nowhere the replay can go
        return ""


def _collapse(entries: list[_Entry], report: FileReport, allowed: Callable[[str], bool]) -> list[_Exchange]:
    """One exchange per kept entry. A redirect is replayed as a redirect: its step does not follow it
    and asserts the recorded 3xx; the request the browser made next (when recorded) is its own step,
    so a refused form that answers 200 instead of redirecting fails its step."""
    exchanges: list[_Exchange] = []
    for index, entry in enumerate(entries):
        if entry.reason is not None:
            continue
        exchange = _Exchange([entry])
        if entry.status in _REDIRECTS and _location(entry):
            exchange.allow_redirects = False
            exchange.status = entry.status
            target = _location(entry)
            method = "GET" if entry.status in (301, 302, 303) and entry.method != "HEAD" else entry.method
            hop = next((later for later in range(index + 1, min(len(entries), index + 60))
                        if entries[later].url == target and entries[later].method == method
                        and entries[later].reason in _FOLLOWABLE), None)
            followed = hop is not None and entries[hop].reason is None
            report.redirects.append(f"{entry.method} {entry.parts.path or '/'} → {entry.status} "
                                    f"{urlsplit(target).path or '/'}" + ("" if followed else " (not replayed)"))
            exchange.followed = followed
        else:
            exchange.status = [200, 304] if entry.status == 304 else entry.status
        exchanges.append(exchange)
    return exchanges


# --- request and response details ---------------------------------------------------------------

_DROP_HEADERS = frozenset({
    "cookie", "content-length", "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding",
    "upgrade", "te", "trailer", "accept-encoding", "referer", "origin", "upgrade-insecure-requests", "dnt",
    "priority", "purpose", "sec-purpose", "x-client-data", "cache-control", "pragma", "if-none-match",
    "if-modified-since", "sec-gpc", "x-requested-with-devtools",
})
_DROP_PREFIXES = (":", "sec-fetch-", "sec-ch-", "x-devtools-")


def clean_headers(headers: list[tuple[str, str]]) -> list[list[str]]:
    """Header hygiene: drop pseudo-headers, Cookie, Content-Length, Host and browser noise (any case)."""
    kept: list[list[str]] = []
    seen: set[str] = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered in seen or _dropped_header(lowered):
            continue
        seen.add(lowered)
        kept.append([canonical_header(name), value])
    return kept


@lru_cache(maxsize=4096)
def _dropped_header(lowered: str) -> bool:
    return lowered in _DROP_HEADERS or lowered.startswith(_DROP_PREFIXES)


@lru_cache(maxsize=4096)
def canonical_header(name: str) -> str:
    """`user-agent` → `User-Agent` (HTTP/2 exports write every name in lower case)."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _decode_base64(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=False).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def response_text(raw: dict[str, Any]) -> str | None:
    """The recorded response body as text (base64 decoded), or None if not saved or binary."""
    response = raw.get("response") if isinstance(raw.get("response"), dict) else {}
    content = response.get("content") if isinstance(response.get("content"), dict) else {}
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if str(content.get("encoding") or "").lower() == "base64":
        return _decode_base64(text)
    return text


def _request_body(raw: dict[str, Any], headers: list[tuple[str, str]]) -> tuple[str | None, Any, str | None]:
    """(kind, value, note): kind json | form | raw, or None without a body."""
    request = raw.get("request") if isinstance(raw.get("request"), dict) else {}
    post = request.get("postData")
    if not isinstance(post, dict):
        return None, None, None
    mime = str(post.get("mimeType") or next((v for k, v in headers if k.lower() == "content-type"), "")).lower()
    text = post.get("text")
    if isinstance(post.get("_textBase64"), str) and not isinstance(text, str):
        text = _decode_base64(post["_textBase64"])
        if text is None:
            return None, None, "binary request body (base64) is not replayed"
    elif isinstance(text, str) and str(post.get("encoding") or "").lower() == "base64":
        text = _decode_base64(text)
        if text is None:
            return None, None, "binary request body (base64) is not replayed"
    if not isinstance(text, str):
        params = _pairs(post.get("params"))
        if not params:
            return None, None, None
        text = urlencode(params)
        mime = mime or "application/x-www-form-urlencoded"
    if "json" in mime or (not mime and text.lstrip()[:1] in ("{", "[")):
        try:  # JSON under another type (fetch() sends a string as text/plain) stays the recorded text,
            return "json", json.loads(text), None  # byte for byte; correlation reads the JSON inside it
        except ValueError:
            return "raw", text, None
    if "x-www-form-urlencoded" in mime:
        return "form", [list(pair) for pair in parse_qsl(text, keep_blank_values=True)], None
    if "multipart/form-data" in mime:
        files = re.search(r'content-disposition:[^\r\n]*filename=', text, re.IGNORECASE)
        return "raw", text, "multipart body with a file replayed as recorded text (the file may be incomplete)" \
            if files else None
    return "raw", text, None


# --- step naming --------------------------------------------------------------------------------


def templated_path(path: str, names: dict[int, str] | None = None) -> str:
    """`/api/orders/ord_1f3a/submit` → `/api/orders/{id}/submit`; correlated segments use their variable."""
    names = names or {}
    segments = path.split("/")
    out = []
    for index, segment in enumerate(segments):
        decoded = unquote(segment)
        if index in names:
            out.append("{" + names[index] + "}" if "{" not in names[index] else names[index])
        elif decoded and (decoded.isdigit() or looks_dynamic(decoded) and any(c.isdigit() for c in decoded)):
            out.append("{id}")
        else:
            out.append(segment)
    return "/".join(out) or "/"


def _step_label(entry: _Entry, main: str, names: dict[int, str] | None = None) -> str:
    path = templated_path(entry.parts.path or "/", names)
    where = path if entry.parts.netloc.lower() == main else f"{entry.parts.netloc}{path}"
    return f"{entry.method} {where}"


__all__ = ["DEFAULT_MAX_BYTES", "FileReport", "HarImport", "HarOptions", "ImportReport", "MB", "canonical_header",
           "clean_headers", "response_text", "templated_path"]
