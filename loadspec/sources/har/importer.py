"""Import browser HAR recordings into the Spec model: one weighted scenario per recording.

Its one job is HAR → `Spec`: read each file tolerantly (haralyzer where it works, the raw entry dicts
where it loses information: repeated Set-Cookie headers, base64 bodies, missing optional fields),
drop what a load test must not replay (static assets, other hosts, CORS preflights, cache hits,
aborted, websocket and data: entries; every drop counted by reason), clean the headers, replay
redirects as redirects (the step asserts the 3xx, the next recorded request is the next step), infer
think time from the gaps, name steps by their templated path and assert the recorded status. Finding
dynamic values is `correlate`'s job, deciding what is a credential (and replacing it by an env
template) `lang.credentials`', writing YAML `writers.yaml`'s. It reads the files it is given and
nothing else, never sends a request and never imports the engine.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ...errors import HarError, UsageError
from ...lang.credentials import Protector, SecretRegistry, basic_authorization, is_secret_name
from ...lang.text import unique_name
from ...model import (
    Assertion,
    Body,
    Defaults,
    Predicate,
    Query,
    RequestStep,
    Scenario,
    Spec,
    ThinkTime,
)
from .correlate import (
    Correlation,
    Correlator,
    DraftRequest,
    RecordedResponse,
    sanitized_warning,
    set_cookies,
    token_fields,
)
from .drafts import RecordedStep
from .entries import (
    _NO_RESPONSE,
    _REDIRECTS,
    DEFAULT_MAX_BYTES,
    MB,
    FileReport,
    HarImport,
    HarOptions,
    ImportReport,
    _collapse,
    _Entry,
    _Exchange,
    _filter,
    _host_matcher,
    _location,
    _main_host,
    _normalise,
    _pairs,
    _read_har,
    _request_body,
    _size_text,
    _step_label,
    canonical_header,
    clean_headers,
    response_text,
    templated_path,
)

# --- the import ---------------------------------------------------------------------------------


@dataclass
class _FileResult:
    scenario: Scenario
    report: FileReport
    base_url: str
    recorded: list[RecordedStep]


def _import_file(path: Path, weight: int, options: HarOptions, secrets: SecretRegistry,
                 excludes: list[re.Pattern[str]], scenario_name: str) -> _FileResult:
    parser = _read_har(path, options.max_bytes)
    log = parser.har_data
    report = FileReport(path=str(path))
    try:
        creator = parser.creator
        report.creator = f"{creator.get('name', '')} {creator.get('version', '')}".strip()
    except (KeyError, AttributeError):
        report.creator = ""
    try:
        browser = parser.browser  # Chrome writes no "browser": haralyzer raises KeyError then
        if isinstance(browser, dict) and browser.get("name") and browser.get("name") not in report.creator:
            report.creator += f", {browser.get('name')} {browser.get('version', '')}".rstrip()
    except KeyError:
        pass
    version = str(log.get("version", "")).strip()
    if not version:
        report.warnings.append("no HAR version in the file; read as HAR 1.2")
    elif version not in ("1.1", "1.2"):
        report.warnings.append(f"HAR version {version}; read as HAR 1.2")
    report.entries = len(log["entries"])
    earlier_warnings = len(report.warnings)
    entries = _normalise(log, report)
    if not entries:
        problems = [warning.removesuffix("; skipped") for warning in report.warnings[earlier_warnings:]]
        more = len(problems) - 3
        raise HarError(f"{path}: none of the {report.entries} entries can be read: " + "; ".join(problems[:3])
                       + (f"; and {more} more" if more > 0 else ""))
    _label_pages(entries)
    main = _main_host(entries)
    report.main_host = main
    allowed = _host_matcher(main, options.include_hosts)
    _filter(entries, excludes, allowed)
    exchanges = _collapse(entries, report, allowed)
    for entry in entries:
        if entry.reason is not None and entry.reason != "redirect":
            report.dropped[entry.reason] += 1
            if entry.reason == "other host":
                report.other_hosts[entry.parts.netloc.lower()] += 1
    base_url = f"{next(e.parts.scheme for e in entries if e.parts.netloc.lower() == main)}://{main}" if main else ""

    drafts: list[DraftRequest] = []
    responses: list[RecordedResponse] = []
    kept: list[_Exchange] = []
    for exchange in exchanges:
        draft = _draft(exchange, main, report)
        if draft is None:
            continue
        kept.append(exchange)
        drafts.append(draft)
        last = exchange.last
        responses.append(RecordedResponse(
            status=last.status, headers=last.response_headers, text=response_text(last.raw),
            mime=last.mime, url=last.url))
    if not drafts:
        reasons = ", ".join(f"{n} {r}" for r, n in report.dropped.most_common())
        hosts = ", ".join(h for h, _ in report.other_hosts.most_common(3))
        raise HarError(f"{path}: nothing left to replay: all {report.entries} entries were dropped ({reasons})"
                       + (f"; to keep another host pass --include-host, e.g. --include-host {hosts.split(',')[0]}"
                          if hosts else "")
                       + ("; this HAR holds requests only: export it with responses (browser DevTools: "
                          "Network → Save all as HAR)" if _NO_RESPONSE in report.dropped else ""))
    _check_bodies(kept, responses, report)
    _check_cookies(entries, kept, report)
    _browser_authentication(drafts)
    tokens = token_fields((d.label, r) for d, r in zip(drafts, responses, strict=True))
    if _looks_sanitized(entries, drafts, responses, tokens):
        report.sanitized = sanitized_warning(path.name, report.creator, tokens)

    correlator = Correlator(drafts, responses, secrets, enabled=options.correlate,
                            constants=frozenset(options.constants), dynamic=frozenset(options.dynamic))
    result = correlator.run()
    protector = Protector(secrets)
    for draft in drafts:  # whatever correlation did not turn into a capture or an env template
        protector.protect(draft)

    names = [_step_label(x.first, main, d.segment_names) for x, d in zip(kept, drafts, strict=True)]
    report.correlations = [_describe(c, names) for c in result.correlations]
    steps: list[RequestStep] = []
    for index, (exchange, draft) in enumerate(zip(kept, drafts, strict=True)):
        think = None
        if index + 1 < len(kept) and options.max_think_time > 0:
            gap = kept[index + 1].first.start - (exchange.last.start + exchange.last.elapsed)
            if gap >= options.think_time_threshold:
                seconds = round(min(gap, options.max_think_time), 1) or 0.1
                think = ThinkTime(seconds, seconds)
                report.pauses.append(seconds)
        steps.append(_step(exchange, draft, names[index], think, names))
    report.steps = len(steps)
    scenario = Scenario(name=scenario_name, steps=list(steps), weight=weight, cookies="iteration")
    recorded = [RecordedStep(response) for response in responses]
    for correlation in result.correlations:
        recorded[correlation.producer].sources[correlation.variable] = correlation.source
    return _FileResult(scenario, report, base_url, recorded)


def _browser_authentication(drafts: list[DraftRequest]) -> None:
    """HTTP Basic credentials the browser sent by itself (after a 401 challenge it answered, which the
    recording folds into the retried request or leaves out) are sent by every step of the main host:
    the replay has no browser to answer the challenge."""
    basic = {value for d in drafts if not d.base for name, value in d.headers
             if name.lower() == "authorization" and value.lower().startswith("basic ")}
    if len(basic) != 1:
        return
    value = basic.pop()
    for draft in drafts:
        if not draft.base and not any(name.lower() == "authorization" for name, _ in draft.headers):
            draft.headers.append(["Authorization", value])


def _describe(correlation: Correlation, names: list[str]) -> tuple[str, str, list[str]]:
    uses = []
    for where, index in correlation.uses:
        text = f"{where} of {names[index]}"
        if text not in uses:
            uses.append(text)
    return correlation.variable, f"{correlation.source} of {names[correlation.producer]}", uses


def _body_missing(request: dict[str, Any], headers: list[tuple[str, str]]) -> bool:
    """The browser sent a body that the recording does not hold (Chromium drops large ones)."""
    size = request.get("bodySize")
    length = next((v for k, v in headers if k.lower() == "content-length"), "")
    sent = (isinstance(size, int) and size > 0) or (length.strip().isdigit() and int(length) > 0)
    post = request.get("postData")
    if not isinstance(post, dict):
        return sent
    return sent and not post.get("text") and not post.get("_textBase64") and not _pairs(post.get("params"))


def _draft(exchange: _Exchange, main: str, report: FileReport) -> DraftRequest | None:
    entry = exchange.first
    raw = entry.raw
    request = raw.get("request") if isinstance(raw.get("request"), dict) else {}
    recorded_headers = entry.request_headers
    label = _step_label(entry, main)
    if _body_missing(request, recorded_headers):
        report.dropped["request body missing from the recording"] += 1
        report.warnings.append(f"{label} (entry #{entry.position + 1}): the browser sent a request body that the "
                               "recording does not hold (Chromium leaves large bodies out); the step is left out "
                               "rather than sent empty")
        return None
    if entry.userinfo and not any(k.lower() == "authorization" for k, _ in recorded_headers):
        recorded_headers = [*recorded_headers, ("Authorization", basic_authorization(entry.userinfo))]
    kind, body, note = _request_body(raw, recorded_headers)
    headers = clean_headers(recorded_headers)
    if kind == "json":
        headers = [h for h in headers if not (h[0] == "Content-Type"
                                              and h[1].split(";")[0].strip().lower() == "application/json")]
    post = request.get("postData") if isinstance(request.get("postData"), dict) else {}
    body_text = post.get("text") if isinstance(post.get("text"), str) else (str(body) if body is not None else "")
    if kind == "raw" and isinstance(body, str):
        body_text = body  # decoded from base64
    texts = [entry.url, body_text] + [v for _, v in headers]
    if any("{{" in text for text in texts):
        report.dropped["contains '{{' (would read as a template)"] += 1
        report.warnings.append(f"{label}: the recorded request contains '{{{{', which loadspec would read as a "
                               "template; the step is left out")
        return None
    query = [list(pair) for pair in parse_qsl(entry.parts.query, keep_blank_values=True)]
    same_host = entry.parts.netloc.lower() == main
    draft = DraftRequest(
        label=label, method=entry.method.lower(),
        path=entry.parts.path or "/",
        base="" if same_host else f"{entry.parts.scheme}://{entry.parts.netloc}",
        params=query, headers=headers, body_kind=kind, body=body, started=entry.start,
    )
    if note:
        draft.notes.append(note)
        report.warnings.append(f"{label}: {note}")
    return draft


def _step(exchange: _Exchange, draft: DraftRequest, name: str, think: ThinkTime | None,
          names: list[str]) -> RequestStep:
    url = draft.path if draft.path.startswith("{{") else draft.base + draft.path
    params: dict[str, Any] = {}
    for key, value in draft.params:
        _add_multi(params, str(key), value)
    body = None
    if draft.body_kind == "json":
        body = Body("json", draft.body)
    elif draft.body_kind == "form":
        form: dict[str, Any] = {}
        for key, value in draft.body:
            _add_multi(form, str(key), value)
        body = Body("form", form)
    elif draft.body_kind == "raw":
        body = Body("raw", draft.body)
    status = exchange.status
    assertion = Assertion(Query("status"), [Predicate("in" if isinstance(status, list) else "eq", status)])
    lines: list[str] = []
    if exchange.allow_redirects is False and exchange.followed:
        lines.append(f"recorded {exchange.first.status} to {urlsplit(_location(exchange.first)).path or '/'}: the "
                     "step asserts the redirect, the next step follows it")
    elif exchange.allow_redirects is False:
        lines.append(f"recorded {exchange.first.status} to {_location(exchange.first) or 'nowhere'}, which the "
                     "recording did not follow (or another host): redirects are not followed")
    captures = list(draft.captures)
    for capture in captures:
        if capture.name in draft.capture_notes:
            source, used_by = draft.capture_notes[capture.name]
            capture.comment = f"{source}, sent back by {names[used_by]}"
    lines.extend(draft.notes)
    if any("{{ env." in value for _, value in draft.headers):
        lines.append("a credential of the recording is read from an environment variable")
    return RequestStep(
        name=name, method=draft.method, url=url, headers={k: v for k, v in draft.headers}, params=params,
        body=body, allow_redirects=exchange.allow_redirects, think_time=think, captures=captures,
        assertions=[assertion], comment="\n".join(lines) or None, section=exchange.first.page or None,
    )


def _add_multi(target: dict[str, Any], key: str, value: Any) -> None:
    if key in target:
        existing = target[key]
        target[key] = (existing if isinstance(existing, list) else [existing]) + (
            value if isinstance(value, list) else [value])
    else:
        target[key] = value


def _label_pages(entries: list[_Entry]) -> None:
    """Each entry's page: the path of the latest document the browser navigated to."""
    current = ""
    for entry in entries:
        if entry.resource_type == "document" or (not entry.resource_type and entry.mime == "text/html"
                                                 and entry.method in ("GET", "POST")):
            current = entry.parts.path or "/"
        entry.page = current


def _check_bodies(kept: list[_Exchange], responses: list[RecordedResponse], report: FileReport) -> None:
    missing = 0
    for exchange, response in zip(kept, responses, strict=True):
        if response.text is None and response.status not in (204, 304) and response.status not in _REDIRECTS:
            content = exchange.last.raw.get("response", {}).get("content", {})
            if isinstance(content, dict) and content.get("size", 1) != 0 and "image" not in exchange.last.mime:
                missing += 1
    if missing:
        report.warnings.append(
            f"{missing} response{'s have' if missing != 1 else ' has'} no saved body (Firefox without response "
            "bodies, or Chrome dropped them from its buffer): values in them cannot be correlated. Re-record "
            "with 'Disable cache' ticked and export right after the session")


def _check_cookies(entries: list[_Entry], kept: list[_Exchange], report: FileReport) -> None:
    set_names: set[str] = set()
    for entry in entries:
        set_names.update(set_cookies(entry.response_headers))
        response = entry.raw.get("response")
        if isinstance(response, dict):
            set_names.update(name for name, _ in _pairs(response.get("cookies")))
    sent: Counter[str] = Counter()
    for exchange in kept:
        for name, value in exchange.first.request_headers:
            if name.lower() == "cookie":
                for part in value.split(";"):
                    if "=" in part:
                        sent[part.split("=", 1)[0].strip()] += 1
    missing = sorted(name for name in sent if name and name not in set_names)
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        report.warnings.append(
            f"cookie{'s' if len(missing) != 1 else ''} {shown} {'were' if len(missing) != 1 else 'was'} sent but "
            "never set by a recorded response (set by JavaScript, or before the recording started): the "
            f"replay's cookie jar will not have {'them' if len(missing) != 1 else 'it'}. Start recording before "
            "you log in, or add a Cookie header under defaults.headers")


def _looks_sanitized(entries: list[_Entry], drafts: list[DraftRequest], responses: list[RecordedResponse],
                     tokens: list[str]) -> bool:
    if len(entries) < 2:
        return False
    for entry in entries:
        for name, _ in entry.request_headers + entry.response_headers:
            if name.lower() in ("cookie", "set-cookie", "authorization"):
                return False
        for part in ("request", "response"):
            message = entry.raw.get(part)
            if isinstance(message, dict) and message.get("cookies"):
                return False
    login = any(d.body_kind == "form" and any(is_secret_name(str(k)) for k, _ in d.body) for d in drafts)
    login = login or any(d.body_kind == "json" and isinstance(d.body, dict) and any(is_secret_name(str(k))
                                                                                    for k in d.body)
                         for d in drafts)
    denied = any(r.status in (401, 403) for r in responses)
    return login or bool(tokens) or denied


def har_options(*, include_hosts: Sequence[str] = (), exclude_urls: Sequence[str] = (), correlate: bool = True,
                think_time_threshold: float | None = None, max_think_time: float | None = None,
                max_har_size_mb: float | None = None) -> HarOptions:
    """HarOptions from plain values as a user gives them (None keeps a default); UsageError for a
    size that is no limit."""
    defaults = HarOptions()
    size = max_har_size_mb
    if size is not None and not (math.isfinite(size) and size * MB >= 1):
        raise UsageError(f"--max-har-size: {size:g} MB is not a limit; give a number of MB above 0, e.g. "
                         f"--max-har-size 1024 (the default is {_size_text(defaults.max_bytes)})")
    return HarOptions(
        include_hosts=tuple(include_hosts or ()),
        exclude_urls=tuple(exclude_urls or ()),
        correlate=correlate,
        think_time_threshold=defaults.think_time_threshold if think_time_threshold is None else think_time_threshold,
        max_think_time=defaults.max_think_time if max_think_time is None else max_think_time,
        max_bytes=defaults.max_bytes if size is None else int(size * MB),
    )


# --- several files → one Spec ---------------------------------------------------------------------


def parse_weighted(argument: str) -> tuple[Path, int]:
    """`rec.har` or `rec.har:3` (a weight after the last colon, when no such file exists)."""
    path = Path(argument)
    match = re.fullmatch(r"(.+):(\d+)", argument)
    if match and not path.exists() and Path(match.group(1)).exists():
        return Path(match.group(1)), max(1, int(match.group(2)))
    return path, 1


def import_har(files: Sequence[str | Path], options: HarOptions | None = None) -> HarImport:
    """Import one or more HAR files (`rec.har:3` gives that scenario weight 3) into one Spec."""
    options = options or HarOptions()
    excludes = []
    for pattern in options.exclude_urls:
        try:
            excludes.append(re.compile(pattern))
        except re.error as exc:
            raise HarError(f"--exclude-url {pattern!r} is not a valid regular expression: {exc}") from None
    secrets = SecretRegistry()
    results: list[_FileResult] = []
    taken: set[str] = set()
    for item in files:
        path, weight = parse_weighted(str(item))
        name = unique_name(re.sub(r"[^\w.-]+", "_", path.stem) or "recording", taken)
        results.append(_import_file(path, weight, options, secrets, excludes, name))
    host = results[0].base_url
    for result in results[1:]:  # scenarios recorded on another host use absolute URLs
        if result.base_url != host:
            for step in result.scenario.steps:
                if isinstance(step, RequestStep) and step.url.startswith("/"):
                    step.url = result.base_url + step.url
    scenarios = [r.scenario for r in results]
    defaults = Defaults(headers=_hoist_headers(scenarios))
    first = parse_weighted(str(files[0]))[0]
    spec = Spec(
        name=first.stem if len(results) == 1 else "+".join(r.scenario.name for r in results)[:80],
        scenarios=scenarios, host=host or None, defaults=defaults, source=first,
    )
    report = ImportReport(files=[r.report for r in results], secrets=list(secrets.by_name.values()),
                          options=options)
    return HarImport(spec=spec, report=report, recorded={r.scenario.name: r.recorded for r in results})


def _hoist_headers(scenarios: list[Scenario]) -> dict[str, str]:
    """Headers every step sends (static values only) move to `defaults`; the most common value wins."""
    steps = [s for sc in scenarios for s in sc.steps if isinstance(s, RequestStep)]
    if len(steps) < 2:
        return {}
    values: dict[str, Counter[str]] = {}
    for step in steps:
        for name, value in step.headers.items():
            if "{{" in value and "{{ env." not in value:
                continue
            values.setdefault(name, Counter())[value] += 1
    hoisted: dict[str, str] = {}
    for name, counter in values.items():
        if sum(counter.values()) != len(steps):
            continue  # some step does not send it at all
        value, count = counter.most_common(1)[0]
        if count * 2 > len(steps) and "{{ env." not in value:
            hoisted[name] = value
    for step in steps:
        for name, value in hoisted.items():
            if step.headers.get(name) == value:
                del step.headers[name]
    return hoisted


__all__ = ["DEFAULT_MAX_BYTES", "FileReport", "HarImport", "HarOptions", "ImportReport", "MB", "canonical_header",
           "clean_headers", "har_options", "import_har", "parse_weighted", "response_text", "templated_path"]
