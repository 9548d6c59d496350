"""What the Postman, OpenAPI and cURL importers share: reading the input, naming, credentials, the summary.

Its one job is the plumbing every importer of a foreign file format needs and none should write
twice: read a JSON or YAML document tolerantly with clear errors, make step and variable names
that the loader accepts (unique, identifiers), move credentials into `{{ env.LOADSPEC_* }}`
(through the HAR importer's `SecretRegistry`, so the names read the same whatever the source),
pick the one host most steps use, and hold the conversion summary (what became what, what was
dropped and why, which scripts were not translated) that `convert` prints. It also writes an
import as YAML and checks it through the loader, the one validation gate. It never sends a request
and never imports the engine.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ..errors import InputFileError
from ..lang.credentials import (
    Secret,
    SecretRegistry,
    env_template,
    is_supplied_secret_header,
    is_supplied_secret_key,
)
from ..lang.templates import BUILTIN_VARIABLES
from ..lang.text import plural
from ..model import Assertion, Predicate, Query, RequestStep, Spec, iter_request_steps
from ..writers.yaml import write_yaml
from .loader import load_spec_text

__all__ = [
    "Credentials",
    "Document",
    "ImportResult",
    "ImportSummary",
    "Names",
    "VariableNames",
    "choose_host",
    "defuse",
    "describe_text",
    "file_size",
    "finish",
    "identifier",
    "is_supplied_secret_header",
    "is_supplied_secret_key",
    "parse_document",
    "read_document",
    "read_text",
    "sniff_text",
    "split_base",
    "split_userinfo",
    "status_assertion",
    "upload_path",
    "validated_yaml",
]

MAX_BYTES = 64 * 1024 * 1024


# --- reading ------------------------------------------------------------------------------------


def file_size(file: Path, what: str) -> int:
    """The size of an input file that exists and is not a folder; InputFileError (naming `what` it
    should be) otherwise."""
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise InputFileError(f"{file}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{file}: cannot read: {exc.strerror}") from None
    if file.is_dir():
        raise InputFileError(f"{file}: is a folder, not {what}")
    return size


def read_text(path: str | Path, what: str, *, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of an input file; InputFileError (naming `what` it should be) otherwise."""
    file = Path(path)
    size = file_size(file, what)
    if size > max_bytes:
        raise InputFileError(f"{file}: {size // (1024 * 1024)} MB is more than loadspec reads as {what}")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{file}: not UTF-8 text (byte {exc.start}); {what} is UTF-8 JSON or YAML") from None
    except OSError as exc:
        raise InputFileError(f"{file}: cannot read: {exc.strerror}") from None
    if not text.strip():
        raise InputFileError(f"{file}: the file is empty; expected {what}")
    return text


@dataclass(frozen=True)
class Document:
    """An input's text and where it came from: a file, or a URL (fetched by `sources.fetch`)."""

    name: str  # what messages and summaries say: the file's path, or the URL with its credentials masked
    text: str
    file: Path | None = None  # the file it was read from; None for a URL
    url: str | None = None  # the URL it was served from, after redirects, without credentials
    media_type: str = ""  # the Content-Type the server gave a fetched document

    @property
    def stem(self) -> str:
        """The file's (or the URL path's last segment's) name without its extension."""
        path = self.file or Path(urlsplit(self.url or self.name).path or "document")
        return path.stem or "document"


def read_document(source: str | Path | Document, what: str) -> Document:
    """A file's `Document` (`read_text`), or `source` itself when it was already read (fetched)."""
    if isinstance(source, Document):
        return source
    file = Path(source)
    return Document(str(file), read_text(file, what), file)


def sniff_text(path: Path, head: bytes, limit: int = 1024 * 1024) -> str:
    """The start of a file as text for a recogniser: `head`, or up to `limit` bytes when a recogniser
    needs more (a Postman collection without a schema URL is only known by its items)."""
    data = head
    if len(head) >= 4096:
        try:
            with path.open("rb") as handle:
                data = handle.read(limit)
        except OSError:
            pass
    return data.decode("utf-8-sig", errors="replace")


def parse_document(path: str | Path, text: str, what: str) -> Any:
    """JSON (or, failing that, YAML) text as Python data; InputFileError with the line otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip()[:1] in ("{", "[") and Path(path).suffix.lower() == ".json":
            raise InputFileError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
                                 f"expected {what}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise InputFileError(f"{path}: neither JSON nor YAML{where}; expected {what}") from None


def describe_text(text: str, media_type: str = "") -> str:
    """What a text that no importer recognised looks like, for the error: `an HTML page`, `JSON with
    the keys a, b`, `a Swagger 2.0 document ...`."""
    start = text.lstrip("\ufeff \t\r\n")
    if media_type == "text/html" or start[:15].lower().startswith(("<!doctype html", "<html")):
        return "an HTML page"
    try:
        data = json.loads(start)
    except ValueError:
        try:
            data = yaml.safe_load(start)
        except yaml.YAMLError:
            data = None
    if isinstance(data, dict):
        if data.get("swagger"):
            return (f"a Swagger {data['swagger']} document; loadspec reads OpenAPI 3.0 and 3.1: convert it first "
                    "(e.g. with swagger2openapi)")
        if data.get("openapi"):
            return f"an OpenAPI {data['openapi']} document; loadspec reads 3.0 and 3.1"
        if "scenarios" in data:
            return "a loadspec spec: save it as a file and give the file"
        keys = ", ".join(str(key) for key in list(data)[:5]) + (", ..." if len(data) > 5 else "")
        return f"{'JSON' if start.startswith('{') else 'YAML'} with the keys {keys} (no `openapi: 3.x`)"
    if isinstance(data, list):
        return f"a list of {plural(len(data), 'item')}"
    first = start.splitlines()[0] if start else ""
    return f"{media_type or 'text'} that starts {first[:60]!r}"


# --- names ----------------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^A-Za-z0-9_]+")


def identifier(name: str) -> str:
    """A template name the loader accepts for `name`: `base-url` → `base_url`, `1st` → `_1st`."""
    text = _NOT_WORD.sub("_", name.strip()).strip("_") or "value"
    if text[0].isdigit():
        text = "_" + text
    if text in BUILTIN_VARIABLES:
        text += "_"
    return text


class Names:
    """Hands out unique names: the first `login` stays `login`, the next is `login (2)`."""

    def __init__(self, *, sep: str = " (", end: str = ")") -> None:
        self.taken: set[str] = set()
        self.sep, self.end = sep, end

    def unique(self, wanted: str) -> str:
        base = wanted.strip() or "request"
        candidate, n = base, 2
        while candidate in self.taken:
            candidate, n = f"{base}{self.sep}{n}{self.end}", n + 1
        self.taken.add(candidate)
        return candidate


class VariableNames:
    """Maps names of the source (`base-url`, `user.id`) to identifiers, one identifier per name."""

    def __init__(self) -> None:
        self.by_source: dict[str, str] = {}
        self.used: set[str] = set()

    def __call__(self, source_name: str) -> str:
        if source_name in self.by_source:
            return self.by_source[source_name]
        base = identifier(source_name)
        candidate, n = base, 2
        while candidate in self.used:
            candidate, n = f"{base}_{n}", n + 1
        self.used.add(candidate)
        self.by_source[source_name] = candidate
        return candidate

    def renamed(self) -> list[tuple[str, str]]:
        return [(s, i) for s, i in self.by_source.items() if s != i]


# --- credentials ----------------------------------------------------------------------------------


class Credentials:
    """Moves credentials out of the spec into `{{ env.LOADSPEC_* }}`; `recorded` keeps the values that
    the source held (for `loadspec run SOURCE`), `needed` the names the user must set."""

    def __init__(self) -> None:
        self.registry = SecretRegistry()
        self.needed: dict[str, str] = {}  # env name -> what to put there, for credentials without a value

    def value(self, key: str, value: str, where: str) -> str:
        """`{{ env.LOADSPEC_KEY }}` for a credential whose value the source holds."""
        return env_template(self.registry.name_for(key, value, where))

    def missing(self, key: str, hint: str, where: str) -> str:
        """`{{ env.LOADSPEC_KEY }}` for a credential the source does not hold; the user sets it."""
        name = re.sub(r"[^A-Za-z0-9]+", "_", "LOADSPEC_" + key).strip("_").upper()
        if name not in self.needed:
            self.needed[name] = f"{hint} ({where})"
        return env_template(name)

    def basic(self, username: str, password: str, where: str) -> str:
        """The value of an `Authorization` header for HTTP basic auth, its base64 part from the env."""
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        return "Basic " + self.value("basic_auth", token, where)

    @property
    def secrets(self) -> list[Secret]:
        return list(self.registry.by_name.values())


# --- URLs and hosts -----------------------------------------------------------------------------


def split_base(url: str) -> tuple[str, str]:
    """`https://api.example.com:8443/v1/x?q=1` → (`https://api.example.com:8443`, `/v1/x?q=1`);
    ("", url) when `url` is not absolute."""
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
        return "", url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", url
    if not parts.netloc:
        return "", url
    rest = url[len(parts.scheme) + 3 + len(parts.netloc):]
    return f"{parts.scheme.lower()}://{parts.netloc}", rest if rest.startswith("/") else "/" + rest


def split_userinfo(url: str) -> tuple[str, str | None, str]:
    """`https://bob:pw@api.example.com/x` → (`https://api.example.com/x`, `bob`, `pw`); (url, None, "")
    when the URL carries no user."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@?#]*)@", url)
    if not match:
        return url, None, ""
    user, _, password = match.group(2).partition(":")
    return match.group(1) + url[match.end():], unquote(user), unquote(password)


def choose_host(steps: list[RequestStep]) -> str | None:
    """The base most steps use becomes the spec's `host`; those steps get relative URLs."""
    bases = Counter(split_base(step.url)[0] for step in steps)
    bases.pop("", None)
    if not bases:
        return None
    host = bases.most_common(1)[0][0]
    for step in steps:
        base, rest = split_base(step.url)
        if base == host:
            step.url = rest
    return host


def upload_path(path: str, base: Path) -> str | None:
    """The absolute path of a file a source uploads (relative paths are read next to the source),
    or None when it is not there (the loader would reject the step)."""
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = base / candidate
    return str(candidate.resolve()) if candidate.is_file() else None


def defuse(value: Any) -> tuple[Any, bool]:
    """A value of the source with every `{{` written `{ {`, so that the loader does not read a
    source's own braces (an example text such as "Hello {{name}}") as a template; and whether any was."""
    if isinstance(value, str):
        return (value.replace("{{", "{ {"), True) if "{{" in value else (value, False)
    if isinstance(value, dict):
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key, key_changed = defuse(key)
            new_item, item_changed = defuse(item)
            out[new_key] = new_item
            changed = changed or key_changed or item_changed
        return out, changed
    if isinstance(value, list):
        items = [defuse(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    return value, False


def status_assertion(value: Any) -> Assertion:
    """`status: 200`, `status: [200, 201]` or `status: "2xx"`."""
    return Assertion(Query("status"), [Predicate("in" if isinstance(value, list) else "eq", value)])


# --- the summary and the result ---------------------------------------------------------------


@dataclass
class ImportSummary:
    """What one import did, for the user: printed by `convert`, in brief before `run`."""

    source: str
    kind: str  # "Postman collection v2.1", "OpenAPI 3.0.3", "cURL commands"
    title: str = ""
    made: list[str] = field(default_factory=list)  # "what became what"
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    untranslated: list[tuple[str, str]] = field(default_factory=list)  # (step, script text): kept as comments
    warnings: list[str] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    needed: dict[str, str] = field(default_factory=dict)  # env names without a value in the source
    steps: int = 0

    def drop(self, what: str, why: str) -> None:
        self.dropped.append((what, why))

    def header_notes(self) -> list[str]:
        """A few lines for the header comment of the written YAML."""
        where = self.source if "://" in self.source else Path(self.source).name  # a URL in full (masked)
        notes = [f"imported from the {self.kind} {where}"
                 + (f" ({self.title})" if self.title else "") + f": {self.steps} steps"]
        if self.dropped:
            reasons = Counter(why for _, why in self.dropped)
            notes.append(f"dropped {len(self.dropped)}: " + ", ".join(f"{n} {r}" for r, n in reasons.most_common(3)))
        if self.untranslated:
            notes.append(f"{plural(len(self.untranslated), 'script statement')} not translated: kept as comments "
                         "above their steps")
        return notes

    def render(self, *, brief: bool = False) -> str:
        """The summary a user reads after `convert` (or, brief, before `run`)."""
        out = [f"{self.source} ({self.kind}{': ' + self.title if self.title else ''}) → {plural(self.steps, 'step')}"
               + (f", {len(self.dropped)} dropped" if self.dropped else "")
               + (f", {plural(len(self.untranslated), 'script statement')} not translated" if self.untranslated
                  else "")]
        limit = 3 if brief else 40
        if not brief:
            out.extend(f"  {line}" for line in self.made)
        for what, why in self.dropped[:limit]:
            out.append(f"  dropped: {what}: {why}")
        if len(self.dropped) > limit:
            out.append(f"  ... and {len(self.dropped) - limit} more dropped")
        if self.untranslated:
            out.append("  not translated (kept as a comment above the step; check it by hand):")
            for step, text in self.untranslated[:limit]:
                out.append(f"    {step}: {text}")
            if len(self.untranslated) > limit:
                out.append(f"    ... and {len(self.untranslated) - limit} more")
        for warning in self.warnings[:limit]:
            out.append(f"  warning: {warning}")
        if len(self.warnings) > limit:
            out.append(f"  ... and {len(self.warnings) - limit} more warnings")
        if self.secrets or self.needed:
            out.append("credentials are not written into the spec; they are read from environment variables:")
            width = max(len(name) for name in [s.env for s in self.secrets] + list(self.needed))
            for secret in self.secrets:
                out.append(f"    {secret.env:<{width}}  {', '.join(secret.where[:3])}")
            for name, hint in self.needed.items():
                out.append(f"    {name:<{width}}  not in the source: set it to {hint}")
        return "\n".join(out)


@dataclass
class ImportResult:
    """An import: the Spec and its summary. `secrets` are the credential values the source held."""

    spec: Spec
    summary: ImportSummary

    @property
    def secrets(self) -> dict[str, str]:
        return {secret.env: secret.value for secret in self.summary.secrets}

    @property
    def report(self) -> ImportSummary:  # the name `_source` and the CLI use for HAR imports
        return self.summary

    def yaml(self, output: str | None = None) -> str:
        """The spec as commented YAML (`output` names the file in the how-to-run lines)."""
        return write_yaml(self.spec, notes=self.summary.header_notes(), output=output)


def finish(spec: Spec, summary: ImportSummary, credentials: Credentials) -> ImportResult:
    """Fill the summary's totals and the spec's in-memory credentials."""
    summary.steps = sum(len(iter_request_steps(s.setup + s.steps)) for s in spec.scenarios)
    summary.secrets = credentials.secrets
    summary.needed = dict(credentials.needed)
    spec.recorded_secrets = {secret.env: secret.value for secret in credentials.secrets}
    return ImportResult(spec, summary)


def validated_yaml(result: ImportResult, output: str | None = None, base_dir: Path | None = None) -> str:
    """The YAML of an import, after the loader has accepted it (SpecError otherwise)."""
    text = result.yaml(Path(output).name if output else None)
    load_spec_text(text, output or "<converted>", base_dir=base_dir or Path(output or ".").resolve().parent)
    return text

