"""Import a file of `curl` commands (DevTools "Copy as cURL", API documentation) into the Spec model.

Its one job is cURL text → `Spec`: split the file into commands (line continuations, `$'...'`
ANSI-C quoting, comments), read each command's options the way curl does (`-X`, `-H`, `-d`,
`--data-raw`, `--data-binary`, `--data-urlencode`, `--json`, `-F`, `-u`, `-b`, `-G`, `--url`,
`-k`, `-m`, `--compressed` ...) and make one request step of each, in file order. Browser noise
headers are cleaned as for HAR recordings, and credentials (`Authorization` and API-key headers,
`-u user:pass`, cookies, secret query fields) become `{{ env.LOADSPEC_* }}` with their values kept
in `Spec.recorded_secrets`. Options that change nothing a load test replays are listed in the
summary; options it cannot replay (uploads from files, proxies, client certificates) are dropped
with the reason. It never runs curl, never sends a request and never imports the engine.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ..errors import InputFileError
from ..model import Body, RequestStep, Scenario, Spec, UploadFile
from .common import (
    Credentials,
    ImportResult,
    ImportSummary,
    Names,
    choose_host,
    finish,
    is_supplied_secret_header,
    is_supplied_secret_key,
    read_text,
    split_base,
    split_userinfo,
    upload_path,
)
from .har.importer import canonical_header, clean_headers, templated_path

__all__ = ["CurlOptions", "import_curl", "looks_like", "parse_commands"]

WHAT = "a file of curl commands"


@dataclass
class CurlOptions:
    """How to import cURL commands."""

    scenario: str | None = None  # scenario name; default: the file's name
    keep_browser_headers: bool = False  # keep sec-ch-*, Referer, Accept-Encoding ... as written


@dataclass
class CurlCommand:
    """One curl invocation as curl would read it."""

    line: int
    url: str = ""
    method: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: list[tuple[str, str]] = field(default_factory=list)  # (option, value) in order
    form: list[str] = field(default_factory=list)
    user: str | None = None
    cookies: list[str] = field(default_factory=list)
    get: bool = False
    head: bool = False
    insecure: bool = False
    timeout: float | None = None
    json_option: bool = False
    ignored: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def looks_like(path: Path, text: str) -> bool:
    """True when the file holds curl commands: its first command word is `curl`."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        stripped = re.sub(r"^(\$|>|PS>)\s*", "", stripped)
        return bool(re.match(r"^(curl|curl\.exe)(\s|$)", stripped))
    return False


# --- splitting the text into words ----------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f",
            "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def _ansi_c(text: str, start: int) -> tuple[str, int]:
    """Decode `$'...'` starting at the quote after `$`; returns (value, index after the closing quote)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "'":
            return "".join(out), i + 1
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            hexa = re.match(r"x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([0-7]{1,3})", text[i + 1:])
            if hexa:
                digits = next(g for g in hexa.groups() if g)
                out.append(chr(int(digits, 8 if hexa.group(4) else 16)))
                i += 1 + len(hexa.group(0))
                continue
            out.append(char)
            i += 1
            continue
        out.append(char)
        i += 1
    raise InputFileError("a $'...' string is not closed")


def _segments(text: str) -> list[tuple[int, str]]:
    """The file as shell lines: line continuations (`\\`, `^` of cmd.exe, PowerShell's backtick)
    joined, comments removed, `$'...'` turned into plain single-quoted words so that `shlex` can read
    them; a newline inside quotes stays part of its word. Each item: (first line number, text)."""
    out: list[tuple[int, str]] = []
    current: list[str] = []
    line, start = 1, 1
    i, quote_char = 0, ""
    at_word_start = True
    while i < len(text):
        char = text[i]
        if quote_char:
            current.append(char)
            if char == "\n":
                line += 1
            if char == quote_char:
                quote_char = ""
            elif char == "\\" and quote_char == '"' and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            i += 1
            continue
        continuation = re.match(r"[\\^`]\r?\n", text[i:i + 3]) if char in "\\^`" else None
        if continuation and (char == "\\" or i > 0 and text[i - 1] in " \t"):
            current.append(" ")
            line += 1
            i += len(continuation.group(0))
            at_word_start = True
            continue
        if char == "\n":
            out.append((start, "".join(current)))
            current, line, start = [], line + 1, line + 1
            i += 1
            at_word_start = True
            continue
        if char == "#" and at_word_start:
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        if char == "$" and text.startswith("$'", i):
            value, i = _ansi_c(text, i + 1)
            current.append(shlex.quote(value))
            at_word_start = False
            continue
        if char in "'\"":
            quote_char = char
        elif char == "\\" and i + 1 < len(text):
            current.append(char + text[i + 1])
            i += 2
            at_word_start = False
            continue
        current.append(char)
        at_word_start = char in " \t\r"
        i += 1
    if quote_char:
        raise InputFileError(f"the curl command starting on line {start} has a {quote_char} quote that is not closed")
    out.append((start, "".join(current)))
    return out


# --- reading one command ------------------------------------------------------------------------

_DATA = {"-d": "data", "--data": "data", "--data-ascii": "data", "--data-raw": "raw", "--data-binary": "binary",
         "--data-urlencode": "urlencode"}
_IGNORED_FLAGS = {"-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i", "--include", "-L", "--location",
                  "--compressed", "-g", "--globoff", "-f", "--fail", "--fail-with-body", "-#", "--progress-bar",
                  "--http1.1", "--http2", "--http2-prior-knowledge", "--http1.0", "-N", "--no-buffer",
                  "--location-trusted", "--compressed-ssh", "--tr-encoding", "-4", "-6", "--ipv4", "--ipv6",
                  "-n", "--netrc", "--no-keepalive", "--raw", "--path-as-is", "-j", "--junk-session-cookies",
                  "-O", "--remote-name", "-J", "--remote-header-name", "--ssl-reqd", "--ssl"}
_IGNORED_WITH_VALUE = {"-o", "--output", "-w", "--write-out", "--retry", "--retry-delay", "--retry-max-time",
                       "--connect-timeout", "--max-redirs", "-c", "--cookie-jar", "--trace", "--trace-ascii",
                       "-D", "--dump-header", "--limit-rate", "-r", "--range", "-z", "--time-cond",
                       "--stderr", "--config", "-K", "--expect100-timeout"}
_UNSUPPORTED_WITH_VALUE = {"-x": "proxy", "--proxy": "proxy", "-U": "proxy credentials", "--proxy-user": "proxy",
                           "-E": "client certificate", "--cert": "client certificate", "--key": "client key",
                           "--cacert": "CA bundle", "--capath": "CA bundle", "-T": "file upload",
                           "--upload-file": "file upload", "--resolve": "DNS override",
                           "--connect-to": "connection override", "--unix-socket": "unix socket",
                           "--oauth2-bearer": "bearer token option", "--aws-sigv4": "AWS signing"}
_WITH_VALUE = {"-X", "--request", "-H", "--header", "-F", "--form", "--form-string", "-u", "--user", "-b",
               "--cookie", "--url", "-A", "--user-agent", "-e", "--referer", "-m", "--max-time", "--json"}


def _short_split(word: str) -> list[str]:
    """`-sSL` → `-s -S -L`, `-XPOST` → `-X POST`, `-d@f` → `-d @f`: curl's combined short options."""
    if not word.startswith("-") or word.startswith("--") or len(word) <= 2:
        return [word]
    out: list[str] = []
    i = 1
    while i < len(word):
        flag = "-" + word[i]
        if flag in _WITH_VALUE or flag in _DATA or flag in _IGNORED_WITH_VALUE or flag in _UNSUPPORTED_WITH_VALUE:
            out.append(flag)
            if i + 1 < len(word):
                out.append(word[i + 1:])
            return out
        out.append(flag)
        i += 1
    return out


def _command(words: list[str], line: int) -> CurlCommand:
    command = CurlCommand(line=line)
    expanded: list[str] = []
    for word in words:
        expanded.extend(_short_split(word))
    i = 0
    while i < len(expanded):
        word = expanded[i]
        value = expanded[i + 1] if i + 1 < len(expanded) else None
        takes = word in _WITH_VALUE or word in _DATA or word in _IGNORED_WITH_VALUE or word in _UNSUPPORTED_WITH_VALUE
        if takes and value is None:
            command.unsupported.append(f"{word} without a value")
            break
        if word in ("-X", "--request"):
            command.method = value
        elif word in ("-H", "--header"):
            name, sep, header_value = str(value).partition(":")
            if not sep and name.endswith(";"):
                name, header_value = name[:-1], ""
            if name.strip():
                command.headers.append((name.strip(), header_value.strip()))
        elif word in _DATA:
            command.data.append((_DATA[word], str(value)))
        elif word == "--json":
            command.data.append(("raw", str(value)))
            command.json_option = True
        elif word in ("-F", "--form", "--form-string"):
            command.form.append(str(value))
        elif word in ("-u", "--user"):
            command.user = value
        elif word in ("-b", "--cookie"):
            command.cookies.append(str(value))
        elif word == "--url":
            command.url = str(value)
        elif word in ("-A", "--user-agent"):
            command.headers.append(("User-Agent", str(value)))
        elif word in ("-e", "--referer"):
            command.headers.append(("Referer", str(value)))
        elif word in ("-m", "--max-time"):
            try:
                command.timeout = float(str(value))
            except ValueError:
                command.ignored.append(f"{word} {value}")
        elif word in ("-G", "--get"):
            command.get = True
        elif word in ("-I", "--head"):
            command.head = True
        elif word in ("-k", "--insecure"):
            command.insecure = True
        elif word in _IGNORED_FLAGS:
            command.ignored.append(word)
        elif word in _IGNORED_WITH_VALUE:
            command.ignored.append(f"{word} {value}")
        elif word in _UNSUPPORTED_WITH_VALUE:
            command.unsupported.append(f"{word} ({_UNSUPPORTED_WITH_VALUE[word]})")
        elif word.startswith("-") and len(word) > 1:
            command.ignored.append(word)
            takes = False
        else:
            if not command.url:
                command.url = word
            else:
                command.unsupported.append(f"a second URL {word} (one step per command: only the first is kept)")
            takes = False
        i += 2 if takes else 1
    return command


_SEPARATORS = frozenset({";", "&&", "||", "|", "&"})


def parse_commands(text: str) -> list[CurlCommand]:
    """Every curl command of the text, in order (a command ends at a newline, `;`, `&&`, `|`)."""
    commands: list[CurlCommand] = []
    for line, segment in _segments(text):
        try:
            words = shlex.split(segment, posix=True)
        except ValueError as exc:
            raise InputFileError(f"line {line}: the curl command cannot be read: {exc}") from None
        current: list[str] | None = None
        split: list[str] = []
        for word in words:  # `a;` (no space before the `;`) ends a command too
            split.extend([word[:-1], ";"] if word.endswith(";") and len(word) > 1 else [word])
        for word in split:
            if word in _SEPARATORS:
                if current is not None:
                    commands.append(_command(current, line))
                current = None
            elif current is None:
                if re.fullmatch(r"(.*[/\\])?curl(\.exe)?", word):
                    current = []
            else:
                current.append(word)
        if current is not None:
            commands.append(_command(current, line))
    return commands


# --- one step per command -----------------------------------------------------------------------


def _urlencode_item(value: str) -> str:
    """`--data-urlencode` forms: `content`, `=content`, `name=content` (`@file` forms are not read)."""
    if "=" in value:
        name, _, content = value.partition("=")
        return (f"{name}=" if name else "") + quote(content, safe="")
    return quote(value, safe="")


def _step(command: CurlCommand, names: Names, credentials: Credentials, summary: ImportSummary,
          options: CurlOptions, index: int, base_dir: Path) -> RequestStep | None:
    where_cmd = f"command #{index} (line {command.line})"
    url = command.url
    if not url:
        summary.drop(where_cmd, "no URL")
        return None
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
        url = "http://" + url  # curl's default scheme
    url, url_user, url_password = split_userinfo(url)
    if url_user is not None and command.user is None:
        command.user = f"{url_user}:{url_password}"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        summary.drop(where_cmd, f"the URL cannot be read ({exc})")
        return None
    method = (command.method or ("HEAD" if command.head else "POST" if (command.data or command.form)
                                 and not command.get else "GET")).upper()
    label = f"{method} {templated_path(parts.path or '/')}"
    texts = [url] + [v for _, v in command.headers] + [v for _, v in command.data] + command.form
    if any("{{" in text for text in texts):
        summary.drop(f"{label} ({where_cmd})", "contains '{{' (a placeholder loadspec would read as a template); "
                     "replace it by a value or a {{ variable }} by hand")
        return None
    if method.lower() not in ("get", "post", "put", "patch", "delete", "head", "options"):
        summary.drop(f"{label} ({where_cmd})", f"method {method} is not supported by loadspec")
        return None
    name = names.unique(label)
    for item in command.unsupported:
        summary.drop(f"{item} of {name}", "not replayed by loadspec")
    params: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if is_secret_param(key):
            value = credentials.value(key, value, f"query {key} of {name}")
        _add(params, key, value)

    headers: dict[str, str] = {}
    content_type = ""
    cookie_values = list(command.cookies)
    raw_headers: list[tuple[str, str]] = []
    for header, value in command.headers:
        if header.lower() == "cookie":
            cookie_values.append(value)
        else:
            raw_headers.append((header, value))
        if header.lower() == "content-type":
            content_type = value.lower()
    kept = [list(h) for h in raw_headers] if options.keep_browser_headers else clean_headers(raw_headers)
    for header, value in kept:
        if header.lower() in ("content-length", "host", "authority", ":authority"):
            continue
        if is_supplied_secret_header(header) and value:
            value = credentials.value(header, value, f"header {header} of {name}")
        headers[canonical_header(header)] = value
    jar = [c for c in cookie_values if "=" not in c]
    for file in jar:
        summary.drop(f"-b {file} of {name}", "a cookie file is not read; give the cookies as -b 'name=value'")
    pairs = "; ".join(c for c in cookie_values if "=" in c)
    if pairs:
        headers["Cookie"] = credentials.value("cookie", pairs, f"cookies of {name}")
    if command.user is not None:
        user, _, password = command.user.partition(":")
        headers["Authorization"] = credentials.basic(user, password, f"-u of {name}")

    body: Body | None = None
    notes: list[str] = []
    if command.form:
        body = _multipart(command.form, name, summary, base_dir)
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    elif command.data:
        pieces: list[str] = []
        for kind, value in command.data:
            if value.startswith("@") and kind in ("data", "binary", "urlencode"):
                summary.drop(f"{kind} {value} of {name}", "a body read from a file is not replayed; paste the "
                             "content into the step's body")
                continue
            if kind == "urlencode":
                pieces.append(_urlencode_item(value))
            elif kind == "data":
                pieces.append(value.replace("\r", "").replace("\n", ""))  # curl -d strips newlines
            else:
                pieces.append(value)
        text = "&".join(pieces)
        if command.get:
            for key, value in parse_qsl(text, keep_blank_values=True):
                _add(params, key, value)
        elif pieces:
            body, note = _body(text, content_type or ("application/json" if command.json_option else ""),
                               name, credentials, summary)
            if note:
                notes.append(note)
            if body is not None and body.kind in ("json", "form"):
                headers = {k: v for k, v in headers.items() if not (k.lower() == "content-type" and (
                    body.kind == "json" and "json" in v.lower() or body.kind == "form" and "urlencoded" in v.lower()))}
            if command.json_option:
                headers.setdefault("Accept", "application/json")
    ignored = [item for item in command.ignored if item not in ("--compressed",)]
    if ignored:
        notes.append("curl options without effect on the replay: " + " ".join(ignored))
    if "--compressed" in command.ignored:
        notes.append("--compressed: the HTTP client asks for compressed responses by itself")
    if any("{{ env." in v for v in headers.values()):
        notes.append("a credential of the command is read from an environment variable")
    base = f"{parts.scheme.lower()}://{parts.netloc}"
    return RequestStep(name=name, method=method.lower(), url=base + (parts.path or "/"), headers=headers,
                       params=params, body=body, timeout=command.timeout,
                       verify_tls=False if command.insecure else None, comment="\n".join(notes) or None)


def is_secret_param(key: str) -> bool:
    """A query parameter that carries a credential (`api_key`, `access_token`, `password` ...)."""
    return is_supplied_secret_key(key) or key.lower() in ("access_token", "token", "auth", "key", "apikey", "api_key")


def _add(target: dict[str, Any], key: str, value: Any) -> None:
    if key in target:
        existing = target[key]
        target[key] = (existing if isinstance(existing, list) else [existing]) + [value]
    else:
        target[key] = value


def _body(text: str, content_type: str, name: str, credentials: Credentials,
          summary: ImportSummary) -> tuple[Body | None, str | None]:
    stripped = text.lstrip()
    if "json" in content_type or (not content_type and stripped[:1] in ("{", "[")):
        try:
            value = json.loads(text)
        except ValueError:
            return Body("raw", text), "the body is not valid JSON; it is sent as written"
        note = None if content_type else ("the body is JSON but the command sets no Content-Type (curl would "
                                          "send it as a form): it is sent as JSON")
        return Body("json", _hide_json(value, name, credentials)), note
    if not content_type or "x-www-form-urlencoded" in content_type:
        pairs = parse_qsl(text, keep_blank_values=True)
        if pairs and all(k for k, _ in pairs) and "=" in text:
            form: dict[str, Any] = {}
            for key, value in pairs:
                if is_supplied_secret_key(key):
                    value = credentials.value(key, value, f"form {key} of {name}")
                _add(form, key, value)
            return Body("form", form), None
        return Body("raw", text), None
    return Body("raw", text), None


def _hide_json(value: Any, name: str, credentials: Credentials) -> Any:
    if isinstance(value, dict):
        return {k: (credentials.value(k, item, f"JSON {k} of {name}") if is_supplied_secret_key(str(k)) and isinstance(
            item, str) and item else _hide_json(item, name, credentials)) for k, item in value.items()}
    if isinstance(value, list):
        return [_hide_json(item, name, credentials) for item in value]
    return value


def _multipart(items: list[str], name: str, summary: ImportSummary, base: Path) -> Body | None:
    parts: dict[str, Any] = {}
    for item in items:
        field_name, _, value = item.partition("=")
        if value.startswith("@") or value.startswith("<"):
            path, *attrs = value[1:].split(";")
            kind = None
            filename = None
            for attr in attrs:
                key, _, attr_value = attr.partition("=")
                if key.strip() == "type":
                    kind = attr_value.strip()
                elif key.strip() == "filename":
                    filename = attr_value.strip().strip('"')
            if value.startswith("<"):
                summary.drop(f"form field {field_name} of {name}", "a field read from a file (-F name=<file) "
                             "is not replayed")
                continue
            found = upload_path(path, base)
            if found is None:
                summary.drop(f"file field {field_name} ({path}) of {name}", "the file is not there (looked next to "
                             "the commands file); add it to the step's files: by hand")
                continue
            parts[field_name] = UploadFile(found, kind, filename)
        else:
            parts[field_name] = value.split(";type=")[0].strip('"')
    return Body("files", parts) if parts else None


def import_curl(path: str | Path, options: CurlOptions | None = None) -> ImportResult:
    """Import a file of curl commands: one request step per command, in order."""
    options = options or CurlOptions()
    file = Path(path)
    text = read_text(file, WHAT)
    commands = parse_commands(text)
    if not commands:
        raise InputFileError(f"{file}: no curl command found; each command starts with `curl`")
    summary = ImportSummary(source=str(file), kind="cURL commands")
    credentials = Credentials()
    names = Names()
    steps: list[RequestStep] = []
    for index, command in enumerate(commands, start=1):
        step = _step(command, names, credentials, summary, options, index, file.resolve().parent)
        if step is not None:
            steps.append(step)
    if not steps:
        raise InputFileError(f"{file}: nothing to replay: every command was dropped ("
                             + "; ".join(f"{w}: {r}" for w, r in summary.dropped[:3]) + ")")
    host = choose_host(steps)
    bases = {split_base(s.url)[0] for s in steps} - {""}
    summary.made.append(f"{len(commands)} curl command{'s' if len(commands) != 1 else ''} → {len(steps)} request "
                        f"step{'s' if len(steps) != 1 else ''} on {host}"
                        + (f" (absolute URLs for {', '.join(sorted(bases))})" if bases else ""))
    scenario_name = options.scenario or re.sub(r"[^\w.-]+", "_", file.stem) or "curl"
    spec = Spec(name=scenario_name, scenarios=[Scenario(name=scenario_name, steps=list(steps))], host=host,
                source=file)
    return finish(spec, summary, credentials)
